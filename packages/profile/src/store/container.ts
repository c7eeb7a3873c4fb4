/**
 * The binary container shared by the store's two persisted forms (a StackStore segment and a
 * StoredProfile). Little endian throughout.
 *
 *   offset  size  field
 *   0       4     magic: "PFST" (StackStore segment) or "PFSP" (StoredProfile)
 *   4       4     u32 format version (1)
 *   8       4     u32 H: length of the header, UTF-8 JSON
 *   12      4     u32 B: length of the body
 *   16      4     u32 CRC-32 (IEEE 802.3, as zlib/gzip) of every other byte: [0, 16) then [20, end)
 *   20      4     u32 reserved, 0
 *   24      H     header JSON, then spaces up to the next multiple of 8
 *   24+pad8(H) B  body: the typed arrays named by the header, back to back, each padded to 8 bytes
 *
 * The total length must be exactly 24 + pad8(H) + B. The checksum covers prefix, header and body, so a
 * flipped bit anywhere is rejected instead of silently changing an id or a value. What the header and body hold
 * is described next to the writer of each form (segment.ts, stored-codec.ts).
 */

export type Magic = "PFST" | "PFSP";
export const CONTAINER_VERSION = 1;
const PREFIX = 24;

const KIND: Record<Magic, string> = { PFST: "stack store segment", PFSP: "stored profile" };

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const CRC_TABLE = /* @__PURE__ */ (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE), the checksum of zlib, gzip and PNG; pass the CRC of the preceding bytes as `crc` to continue one. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = CRC_TABLE;
  let c = ~crc;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export type Section = Float64Array | Int32Array;

/** CRC-32 of the whole container except the checksum field itself. */
const checksum = (b: Uint8Array) => crc32(b, 20, b.length, crc32(b, 0, 16));

const pad8 = (n: number) => (n + 7) & ~7;

function requireLittleEndian(): void {
  if (!littleEndian) throw new Error("the stack store's binary format is little endian; this host is big endian");
}

/** Writes magic, header and the sections (in order) into one buffer. */
export function writeContainer(magic: Magic, header: unknown, sections: readonly Section[]): Uint8Array {
  requireLittleEndian();
  const h = new TextEncoder().encode(JSON.stringify(header));
  let bodyLen = 0;
  for (const s of sections) bodyLen += pad8(s.byteLength);
  const hp = pad8(h.length);
  const total = PREFIX + hp + bodyLen;
  const out = new Uint8Array(total);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, CONTAINER_VERSION, true);
  dv.setUint32(8, h.length, true);
  dv.setUint32(12, bodyLen, true);
  out.set(h, PREFIX);
  out.fill(0x20, PREFIX + h.length, PREFIX + hp);
  let o = PREFIX + hp;
  for (const s of sections) {
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), o);
    o += pad8(s.byteLength);
  }
  dv.setUint32(16, checksum(out), true);
  return out;
}

/** A checked container: its header (parsed JSON) and a reader for its body sections, in order. */
export interface ContainerReader {
  header: Record<string, unknown>;
  float64(count: number, what: string): Float64Array;
  int32(count: number, what: string): Int32Array;
  /** Throws unless every body byte was consumed by the sections read. */
  end(): void;
}

/** Checks magic, version, lengths and checksum, parses the header; every failure is an Error saying what is wrong. */
export function readContainer(bytes: Uint8Array, magic: Magic): ContainerReader {
  requireLittleEndian();
  const kind = KIND[magic];
  if (!(bytes instanceof Uint8Array)) throw new Error(`cannot decode ${kind}: expected a Uint8Array of bytes`);
  if (bytes.length < PREFIX) {
    throw new Error(
      `cannot decode ${kind}: ${bytes.length} bytes is shorter than the ${PREFIX}-byte prefix (truncated file or not a ${kind})`,
    );
  }
  let m = "";
  for (let i = 0; i < 4; i++) m += String.fromCharCode(bytes[i]!);
  if (m !== magic) {
    throw new Error(
      `cannot decode ${kind}: it starts with ${JSON.stringify(m)}, not "${magic}" (not a ${kind}, or a different kind of file)`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== CONTAINER_VERSION) {
    throw new Error(
      `cannot decode ${kind}: format version ${version} is not supported (this build reads version ${CONTAINER_VERSION}); upgrade @perforator/profile`,
    );
  }
  const hLen = dv.getUint32(8, true);
  const bLen = dv.getUint32(12, true);
  const want = PREFIX + pad8(hLen) + bLen;
  if (bytes.length < want) {
    throw new Error(`cannot decode ${kind}: truncated, ${bytes.length} bytes but the prefix announces ${want}`);
  }
  if (bytes.length > want || dv.getUint32(20, true) !== 0) {
    throw new Error(
      `cannot decode ${kind}: ${bytes.length} bytes but the prefix announces ${want} (corrupted, or several files joined)`,
    );
  }
  const sum = checksum(bytes);
  if (sum !== dv.getUint32(16, true)) {
    throw new Error(`cannot decode ${kind}: checksum mismatch (the bytes were corrupted after they were written)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + hLen)));
  } catch (e) {
    throw new Error(`cannot decode ${kind}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error(`cannot decode ${kind}: header is not a JSON object`);
  }
  let o = PREFIX + pad8(hLen);
  const take = (count: number, size: number, what: string): ArrayBuffer => {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new Error(`cannot decode ${kind}: header gives ${String(count)} as the length of ${what}`);
    }
    const n = count * size;
    if (o + n > want) throw new Error(`cannot decode ${kind}: ${what} runs past the end of the body`);
    const buf = bytes.slice(o, o + n).buffer;
    o += pad8(n);
    return buf;
  };
  return {
    header: header as Record<string, unknown>,
    float64: (count, what) => new Float64Array(take(count, 8, what)),
    int32: (count, what) => new Int32Array(take(count, 4, what)),
    end: () => {
      if (o !== want) throw new Error(`cannot decode ${kind}: ${want - o} body bytes are not described by the header`);
    },
  };
}
