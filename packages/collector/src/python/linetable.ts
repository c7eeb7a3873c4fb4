/**
 * Decoder of the CPython 3.11+ location table (`co_linetable`, format described in CPython's
 * Objects/locations.md) down to line numbers.
 *
 * Each entry starts with a byte with bit 7 set: code = (b >> 3) & 15, length = (b & 7) + 1 code units.
 * The running line starts at co_firstlineno. Codes 0–9 (short form): +1 byte, line delta 0. Codes 10–12
 * (one-line form): +2 bytes, delta code-10. Code 13 (no columns): svarint delta. Code 14 (long form): svarint
 * delta, then end-line delta, column, end-column varints. Code 15 (no location): no line for these code units
 * and the running line is NOT changed.
 */

import { rangeContaining } from "../sorted.js";

export interface LineEntry {
  /** Byte offsets [start, end) into co_code. */
  start: number;
  end: number;
  /** Line of these instructions; null for "no location" (code 15). */
  line: number | null;
  /** The running line at this entry (equals `line` unless the entry has no location). */
  runningLine: number;
}

function varint(t: Uint8Array, i: number): [number, number] {
  let b = t[i++] ?? 0;
  let val = b & 63;
  let shift = 6;
  while (b & 64 && i < t.length) {
    b = t[i++]!;
    val += (b & 63) * 2 ** shift;
    shift += 6;
  }
  return [val, i];
}

function svarint(t: Uint8Array, i: number): [number, number] {
  const [v, j] = varint(t, i);
  return [v % 2 === 1 ? -Math.floor(v / 2) : Math.floor(v / 2), j];
}

/** Decodes the whole table. Stops (keeping what it decoded) at a byte without bit 7 (corrupt input). */
export function decodeLineTable(table: Uint8Array, firstLineNo: number): LineEntry[] {
  const out: LineEntry[] = [];
  let line = firstLineNo;
  let addr = 0;
  let i = 0;
  while (i < table.length) {
    const first = table[i++]!;
    if ((first & 0x80) === 0) break;
    const code = (first >> 3) & 15;
    const end = addr + ((first & 7) + 1) * 2;
    let hasLine = true;
    if (code === 15) hasLine = false;
    else if (code === 14) {
      let d: number;
      [d, i] = svarint(table, i);
      line += d;
      [, i] = varint(table, i); // end line delta
      [, i] = varint(table, i); // column + 1
      [, i] = varint(table, i); // end column + 1
    } else if (code === 13) {
      let d: number;
      [d, i] = svarint(table, i);
      line += d;
    } else if (code >= 10) {
      line += code - 10;
      i += 2;
    } else {
      i += 1;
    }
    out.push({ start: addr, end, line: hasLine ? line : null, runningLine: line });
    addr = end;
  }
  return out;
}

/**
 * Line of the instruction at byte offset `byteOffset`, exactly as CPython's co_lines() / PyCode_Addr2Line
 * report it: null for instructions without a location, `firstLineNo` for a negative offset (a frame that has
 * not started), null past the end of the table.
 */
export function lineForOffset(entries: readonly LineEntry[], byteOffset: number, firstLineNo: number): number | null {
  if (byteOffset < 0) return firstLineNo;
  return findEntry(entries, byteOffset)?.line ?? null;
}

/** The entry covering `byteOffset` (binary search over the sorted, non-overlapping ranges), or undefined. */
function findEntry(entries: readonly LineEntry[], byteOffset: number): LineEntry | undefined {
  return rangeContaining(entries, byteOffset);
}

/**
 * The line a profiler shows for the instruction at `byteOffset`: the exact line when it has one; for an
 * instruction with no location (e.g. a cleanup jump), the running line of the code around it; co_firstlineno
 * for a frame that has not started or an offset outside the table. Never -1 or 0.
 */
export function displayLine(entries: readonly LineEntry[], byteOffset: number, firstLineNo: number): number {
  if (byteOffset < 0) return firstLineNo;
  const e = findEntry(entries, byteOffset);
  if (e === undefined) return firstLineNo;
  if (e.line !== null && e.line > 0) return e.line;
  return e.runningLine > 0 ? e.runningLine : firstLineNo;
}
