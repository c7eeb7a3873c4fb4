/**
 * Finding a CPython interpreter in a live process and everything the BPF sampler needs to walk its stacks.
 *
 * The interpreter state lives in libpython3.X.so when the process maps one (pyenv, --enable-shared builds),
 * otherwise in the executable (Debian's /usr/bin/python3.11 links it in). `_PyRuntime` comes from .dynsym (or the
 * .PyRuntime section), `Py_Version` gives PY_VERSION_HEX, and live reads check the table in offsets.ts before use.
 */
import { type ElfFile, openElf, sectionByName } from "../elf/index.js";
import { candidatePaths, type Mapping, ProcMem, processExe, readMaps } from "../proc/index.js";
import type { PyBpfConfig } from "../sampler/types.js";
import { loadBias } from "../symbolize/symbolizer.js";
import { compareDebugOffsets, DEBUG_OFFSETS_SIZE_313, parseDebugOffsets313 } from "./debug-offsets.js";
import {
  bpfConfigOf,
  GLIBC_TSD_DYNAMIC,
  GLIBC_TSD_STATIC,
  offsetsFor,
  type PyOffsets,
  SUPPORTED_MINORS,
} from "./offsets.js";

const LEVELS: Record<number, string> = { 10: "a", 11: "b", 12: "rc" };

export class PyVersion {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  /** PY_VERSION_HEX */
  readonly hex: number;
  constructor(hex: number) {
    this.hex = hex >>> 0;
    this.major = (hex >>> 24) & 0xff;
    this.minor = (hex >>> 16) & 0xff;
    this.micro = (hex >>> 8) & 0xff;
  }
  /** "3.12.1", "3.13.0rc2" */
  toString(): string {
    const level = (this.hex >>> 4) & 0xf;
    const serial = this.hex & 0xf;
    const suffix = LEVELS[level] ? `${LEVELS[level]}${serial}` : "";
    return `${this.major}.${this.minor}.${this.micro}${suffix}`;
  }
}

/**
 * A supported interpreter as far as a recording session looks at it: what to report, what to hand the sampler, what
 * to warn about. detectPython finds a PythonInfo, which has the rest (what the stack resolver decodes frames with).
 */
export interface PythonFound {
  /** "3.12.1", or a PyVersion (prints as it). */
  version: string | { toString(): string };
  /** The ELF file holding the interpreter state (libpython3.X.so or the executable), as the process maps it. */
  libPath: string;
  runtimeAddr: bigint;
  /** For the sampler's Python walker (a PyBpfConfig for the eBPF sampler). */
  bpfConfig: unknown;
  /** Things that were not verified but did not prevent support. */
  warnings?: string[];
}

export interface PythonInfo extends PythonFound {
  pid: number;
  version: PyVersion;
  bpfConfig: PyBpfConfig;
  offsets: PyOffsets;
  /** Load bias of libPath in the process. */
  bias: bigint;
  /** &PyCode_Type in the process (0n if the symbol is missing): lets readers reject garbage code pointers. */
  codeTypeAddr: bigint;
  /** Things that were not verified but did not prevent support (e.g. glibc TSD offsets). */
  warnings: string[];
}

export interface PythonUnsupported {
  /** The version seen ("3.10.13"), or "unknown". */
  unsupported: string;
  /** Why, in a sentence a user can act on (detectPython always says why). */
  reason?: string;
}

/** What looking for Python in a process finds: an interpreter (detectPython: a PythonInfo), an unsupported one, none. */
export type PythonDetection<Found extends PythonFound = PythonFound> = Found | PythonUnsupported | null;

const LIBPYTHON = /^libpython(\d+)\.(\d+)(t?)\.so/;

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.slice(i + 1) : p;
}

function openMapped(pid: number, maps: Mapping[], path: string): { elf: ElfFile; mapping: Mapping } | null {
  for (const m of maps) {
    if (m.path !== path) continue;
    for (const p of candidatePaths(pid, m)) {
      const elf = openElf(p);
      if (elf && elf.type !== 0) return { elf, mapping: m };
    }
  }
  return null;
}

function versionFromPath(path: string): string {
  const full = /(\d+\.\d+\.\d+)/.exec(path);
  if (full) return full[1]!;
  const short = /python(\d+\.\d+)/.exec(path);
  return short ? short[1]! : "unknown";
}

/**
 * Looks for a CPython interpreter in process `pid`.
 * Returns null for a process without one, `{ unsupported, reason }` for a version or build this collector cannot
 * walk, or the information needed to sample its Python stacks. Throws only when /proc/PID/maps cannot be read.
 */
export function detectPython(pid: number): PythonDetection<PythonInfo> {
  const maps = readMaps(pid);
  let libPath: string | null = null;
  let flavour = "";
  for (const m of maps) {
    const g = LIBPYTHON.exec(basename(m.path));
    if (g) {
      libPath = m.path;
      flavour = g[3] ?? "";
      break;
    }
  }
  // "" for a kernel thread or a process that is gone (reading its maps above would usually have failed already).
  const exePath = processExe(pid).replace(/ \(deleted\)$/, "");
  let found: { elf: ElfFile; mapping: Mapping } | null = null;
  if (libPath) found = openMapped(pid, maps, libPath);
  else if (exePath) {
    found = openMapped(pid, maps, exePath);
    if (found && !found.elf.symbolsByName.has("_PyRuntime") && !sectionByName(found.elf, ".PyRuntime")) {
      // An executable that needs libpython but has not mapped it yet (just started): not Python *yet*.
      if (found.elf.needed.some((n) => LIBPYTHON.test(n))) return null;
      if (/^python\d/.test(basename(exePath))) {
        const v = versionFromPath(exePath);
        return { unsupported: v, reason: `Python ${v} has no _PyRuntime this collector can read (3.11–3.13 only)` };
      }
      return null;
    }
    if (found) libPath = exePath;
  }
  if (!found || !libPath) return null;
  const { elf } = found;

  const rtSym = elf.symbolsByName.get("_PyRuntime");
  const rtLink = rtSym?.value ?? sectionByName(elf, ".PyRuntime")?.addr;
  const verSym = elf.symbolsByName.get("Py_Version");
  if (rtLink === undefined || !verSym) {
    const v = versionFromPath(libPath);
    return {
      unsupported: v,
      reason: `Python ${v} (${libPath}) has no Py_Version/_PyRuntime: only 3.11–3.13 are supported`,
    };
  }
  // Load bias from any mapping of the file that lies in a PT_LOAD segment.
  let bias: bigint | null = null;
  for (const m of maps) {
    if (m.path !== libPath) continue;
    bias = loadBias(elf, m);
    if (bias !== null) break;
  }
  if (bias === null) return null;

  let mem: ProcMem;
  try {
    mem = new ProcMem(pid);
  } catch (err) {
    throw new Error(
      `cannot open /proc/${pid}/mem (${(err as Error).message}): reading Python stacks needs root or CAP_SYS_PTRACE`,
    );
  }
  try {
    const hex = mem.u32(verSym.value + bias);
    if (hex === null)
      throw new Error(`cannot read Py_Version in process ${pid} at 0x${(verSym.value + bias).toString(16)}`);
    const version = new PyVersion(hex);
    const vs = version.toString();
    if (flavour === "t") return { unsupported: `${vs}t`, reason: `free-threaded Python ${vs}t is not supported` };
    const offsets = offsetsFor(version.major, version.minor);
    if (!offsets) {
      return {
        unsupported: vs,
        reason: `Python ${vs} is not supported (supported: ${SUPPORTED_MINORS.map((m) => `3.${m}`).join(", ")})`,
      };
    }
    const runtimeAddr = rtLink + bias;
    const warnings: string[] = [];

    if (version.minor >= 13) {
      const buf = mem.read(runtimeAddr, DEBUG_OFFSETS_SIZE_313);
      const dbg = buf ? parseDebugOffsets313(buf) : null;
      if (!dbg) {
        return { unsupported: vs, reason: `Python ${vs}: _PyRuntime has no readable _Py_DebugOffsets ("xdebugpy")` };
      }
      const diffs = compareDebugOffsets(dbg, offsets, version.hex);
      if (diffs.length > 0) {
        return {
          unsupported: vs,
          reason: `Python ${vs} (${libPath}) reports struct offsets that differ from ours (${diffs.slice(0, 3).join("; ")}): refusing to walk its stacks`,
        };
      }
    }

    const tssInit = mem.i32(runtimeAddr + BigInt(offsets.runtime.autoTSSkey));
    const tssKey = mem.u32(runtimeAddr + BigInt(offsets.runtime.autoTSSkey + 4));
    if (tssKey === null || tssInit === null) {
      return { unsupported: vs, reason: `Python ${vs}: cannot read _PyRuntime.autoTSSkey in process ${pid}` };
    }
    if (tssInit !== 1) warnings.push(`autoTSSkey is not initialized yet (interpreter starting or exiting)`);

    const noneSym = elf.symbolsByName.get("_Py_NoneStruct");
    const noneAddr = noneSym ? noneSym.value + bias : 0n;
    const codeType = elf.symbolsByName.get("PyCode_Type");
    const codeTypeAddr = codeType ? codeType.value + bias : 0n;

    const tsd = verifyThreadStates(mem, pid, runtimeAddr, offsets, tssKey);
    if (tsd.problem) {
      if (tsd.fatal) return { unsupported: vs, reason: `Python ${vs}: ${tsd.problem}` };
      warnings.push(tsd.problem);
    }

    const bpfConfig = bpfConfigOf(offsets, {
      versionHex: version.hex,
      tssKey,
      tsdStaticOffset: tsd.staticOffset,
      tsdDynamicOffset: tsd.dynamicOffset,
      noneAddr: version.minor >= 13 ? noneAddr : 0n,
    });
    return { pid, version, libPath, runtimeAddr, bpfConfig, offsets, bias, codeTypeAddr, warnings };
  } finally {
    mem.close();
  }
}

interface TsdResult {
  staticOffset: number;
  dynamicOffset: number;
  problem: string | null;
  fatal: boolean;
}

/**
 * Walks interpreters → thread states to check the table against live memory (each tstate must point back to its
 * interpreter), and finds glibc's thread-specific-data slots in `struct pthread` (PyThreadState.thread_id is the
 * pthread_t, i.e. the struct's address): the slot for `key` must hold the thread's PyThreadState*.
 */
function verifyThreadStates(mem: ProcMem, pid: number, runtime: bigint, o: PyOffsets, key: number): TsdResult {
  const res: TsdResult = {
    staticOffset: GLIBC_TSD_STATIC,
    dynamicOffset: GLIBC_TSD_DYNAMIC,
    problem: null,
    fatal: false,
  };
  const interp = mem.u64(runtime + BigInt(o.runtime.interpretersHead));
  if (!interp) {
    res.problem = "no interpreter yet (starting or finalizing): glibc TSD offsets not verified";
    return res;
  }
  const states: { tstate: bigint; pthread: bigint }[] = [];
  let ts = mem.u64(interp + BigInt(o.interp.threadsHead));
  for (let n = 0; ts && n < 4096; n++) {
    const back = mem.u64(ts + BigInt(o.tstate.interp));
    if (back !== interp) {
      res.problem = `thread state 0x${ts.toString(16)} does not point back to its interpreter (offsets do not match this build of process ${pid})`;
      res.fatal = true;
      return res;
    }
    const pthread = mem.u64(ts + BigInt(o.tstate.threadId));
    if (pthread) states.push({ tstate: ts, pthread });
    ts = mem.u64(ts + BigInt(o.tstate.next));
  }
  const slot = (pthread: bigint, stat: number, dyn: number): bigint | null => {
    if (key < 32) return mem.u64(pthread + BigInt(stat + key * 16 + 8));
    const blk = mem.u64(pthread + BigInt(dyn + (key >> 5) * 8));
    return blk ? mem.u64(blk + BigInt((key & 31) * 16 + 8)) : null;
  };
  for (const { tstate, pthread } of states) {
    if (slot(pthread, GLIBC_TSD_STATIC, GLIBC_TSD_DYNAMIC) === tstate) return res;
  }
  // Another glibc: search struct pthread for specific_1stblock (specific[] follows its 32 16-byte entries).
  if (key < 32) {
    for (const { tstate, pthread } of states) {
      for (let stat = 0x100; stat <= 0x900; stat += 8) {
        if (slot(pthread, stat, stat + 0x200) === tstate) {
          res.staticOffset = stat;
          res.dynamicOffset = stat + 0x200;
          return res;
        }
      }
    }
  }
  res.problem = `could not verify glibc's thread-specific data offsets in process ${pid} (${states.length} thread states checked): using glibc 2.36 defaults 0x${GLIBC_TSD_STATIC.toString(16)}/0x${GLIBC_TSD_DYNAMIC.toString(16)}; Python stacks may be missing`;
  return res;
}
