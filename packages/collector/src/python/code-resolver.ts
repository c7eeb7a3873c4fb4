/**
 * RawPyFrame (code object address + instruction offset, from the sampler) → qualname, filename, line, read from
 * the live process through /proc/PID/mem. Cached by (code address, guard); the guard (co_version on 3.12+,
 * co_firstlineno on 3.11) is compared with the live code object so a freed-and-reused address is not resolved
 * to the wrong function.
 */

import { ProcMem } from "../proc/index.js";
import type { RawPyFrame } from "../sampler/types.js";
import type { PythonInfo } from "./detect.js";
import { decodeLineTable, displayLine, type LineEntry } from "./linetable.js";
import type { PyOffsets } from "./offsets.js";

export interface PyFrameInfo {
  qualname: string;
  filename: string;
  line: number;
  /** False when the code object could not be read (name is `<unknown python frame 0x…>`). */
  known: boolean;
}

interface CodeInfo {
  qualname: string;
  filename: string;
  firstLineNo: number;
  firstTraceable: number;
  lines: LineEntry[];
  lineCache: Map<number, number>;
}

const MAX_STR = 4096;
const MAX_LINETABLE = 1 << 20;
const MAX_CODES = 50_000;

/** Reads a Python str (compact ASCII, compact latin-1/UCS-2/UCS-4, or legacy non-compact) at `addr`. */
export function readPyUnicode(mem: ProcMem, o: PyOffsets, addr: bigint): string | null {
  if (!addr) return null;
  const hdr = mem.read(addr, o.unicode.state + 4);
  if (!hdr) return null;
  const length = Number(hdr.readBigInt64LE(o.unicode.length));
  const state = hdr.readUInt32LE(o.unicode.state) & 0xff; // upper bits are not part of the state bitfield
  const kind = (state >> 2) & 7;
  const compact = (state >> 5) & 1;
  const ascii = (state >> 6) & 1;
  if (length < 0 || length > MAX_STR || (kind !== 1 && kind !== 2 && kind !== 4)) return null;
  if (length === 0) return "";
  let data: bigint;
  if (compact) data = addr + BigInt(ascii ? o.unicode.asciiData : o.unicode.compactData);
  else {
    const p = mem.u64(addr + BigInt(o.unicode.nonCompactData));
    if (!p) return null;
    data = p;
  }
  const raw = mem.read(data, length * kind);
  if (!raw) return null;
  if (kind === 1) return raw.toString(ascii ? "ascii" : "latin1");
  if (kind === 2) return raw.toString("utf16le");
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCodePoint(raw.readUInt32LE(i * 4));
  return s;
}

/** Reads a Python bytes object's contents at `addr`. */
export function readPyBytes(mem: ProcMem, o: PyOffsets, addr: bigint, max = MAX_LINETABLE): Buffer | null {
  if (!addr) return null;
  const size = mem.u64(addr + BigInt(o.bytes.size));
  if (size === null || size > BigInt(max)) return null;
  if (size === 0n) return Buffer.alloc(0);
  return mem.read(addr + BigInt(o.bytes.sval), Number(size));
}

export function unknownPyFrame(codeAddr: bigint): PyFrameInfo {
  return { qualname: `<unknown python frame 0x${codeAddr.toString(16)}>`, filename: "", line: 0, known: false };
}

export class CodeObjectResolver {
  readonly pid: number;
  private readonly info: PythonInfo;
  private readonly o: PyOffsets;
  private mem: ProcMem | null = null;
  private readonly codes = new Map<string, CodeInfo | null>();
  /** Frames that could not be resolved (unreadable or guard mismatch). */
  failures = 0;

  constructor(pid: number, info: PythonInfo) {
    this.pid = pid;
    this.info = info;
    this.o = info.offsets;
  }

  private memory(): ProcMem | null {
    if (!this.mem) {
      try {
        this.mem = new ProcMem(this.pid);
      } catch {
        return null;
      }
    }
    return this.mem;
  }

  /** qualname / filename / line of one sampled Python frame; `<unknown python frame 0x…>` when unreadable. */
  resolve(f: RawPyFrame): PyFrameInfo {
    if (f.codeAddr === 0n) return unknownPyFrame(0n);
    const key = `${f.codeAddr}:${f.guard}`;
    let code = this.codes.get(key);
    if (code === undefined) {
      code = this.readCode(f.codeAddr, f.guard);
      if (this.codes.size >= MAX_CODES) this.codes.clear();
      this.codes.set(key, code);
    }
    if (!code) {
      this.failures++;
      return unknownPyFrame(f.codeAddr);
    }
    let line = code.lineCache.get(f.instrOffset);
    if (line === undefined) {
      // A frame that has not reached RESUME yet (3.11/3.12 report -2; or before _co_firsttraceable) is at its def line.
      line =
        f.instrOffset < 0 || f.instrOffset < 2 * code.firstTraceable
          ? code.firstLineNo
          : displayLine(code.lines, f.instrOffset, code.firstLineNo);
      code.lineCache.set(f.instrOffset, line);
    }
    return { qualname: code.qualname, filename: code.filename, line, known: true };
  }

  private readCode(addr: bigint, guard: number): CodeInfo | null {
    const mem = this.memory();
    if (!mem) return null;
    const o = this.o;
    const hdr = mem.read(addr, o.code.codeAdaptive);
    if (!hdr) return null;
    if (this.info.codeTypeAddr && hdr.readBigUInt64LE(o.obType) !== this.info.codeTypeAddr) return null;
    const firstLineNo = hdr.readInt32LE(o.code.firstLineNo);
    const live = o.code.version >= 0 ? hdr.readUInt32LE(o.code.version) : firstLineNo;
    if (live >>> 0 !== guard >>> 0) return null; // the address now holds another code object
    const qualname = readPyUnicode(mem, o, hdr.readBigUInt64LE(o.code.qualname));
    const filename = readPyUnicode(mem, o, hdr.readBigUInt64LE(o.code.filename));
    const table = readPyBytes(mem, o, hdr.readBigUInt64LE(o.code.linetable));
    if (qualname === null || filename === null || table === null) return null;
    return {
      qualname,
      filename,
      firstLineNo,
      firstTraceable: hdr.readInt32LE(o.code.firstTraceable),
      lines: decodeLineTable(table, firstLineNo),
      lineCache: new Map(),
    };
  }

  close(): void {
    this.mem?.close();
    this.mem = null;
  }
}
