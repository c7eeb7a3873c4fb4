/**
 * x86-64 check that a return address follows a call instruction. A frame-pointer walk through code built without
 * frame pointers (libpython, most Debian libraries) reads garbage "return addresses"; real ones always sit right
 * after a `call`. Recognised: `call rel32` (E8 xx xx xx xx) and every `call r/m64` form (FF /2 with any ModRM/SIB/
 * displacement, optionally REX-prefixed, the prefix being outside the checked bytes).
 */

/** Length of an `FF /2` instruction (opcode + ModRM + SIB + displacement) from its ModRM and SIB bytes. */
function ff2Length(modrm: number, sib: number | undefined): number {
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (mod === 3) return 2;
  let len = 2;
  let hasSib = false;
  if (rm === 4) {
    hasSib = true;
    len += 1;
  }
  if (mod === 0) {
    if (rm === 5)
      len += 4; // rip-relative disp32
    else if (hasSib && sib !== undefined && (sib & 7) === 5) len += 4; // SIB with no base: disp32
  } else if (mod === 1) len += 1;
  else if (mod === 2) len += 4;
  return len;
}

/** `before` holds the bytes immediately preceding the return address (its last byte is at address-1). */
export function followsCall(before: Uint8Array): boolean {
  const n = before.length;
  if (n >= 5 && before[n - 5] === 0xe8) return true;
  for (let k = 2; k <= Math.min(7, n); k++) {
    const at = n - k;
    if (before[at] !== 0xff) continue;
    const modrm = before[at + 1]!;
    if (((modrm >> 3) & 7) !== 2) continue; // FF /2 = call near indirect
    if (ff2Length(modrm, before[at + 2]) === k) return true;
  }
  return false;
}
