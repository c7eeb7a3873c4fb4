import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Profile, ProfileBuilder } from "../model.js";
import { arbProfile } from "../test-utils/arb.js";
import { crc32 } from "./container.js";
import { mergeStored } from "./merge-stored.js";
import { StackStore } from "./stack-store.js";
import { decodeStored, encodeStored } from "./stored-codec.js";

/** Every entry of a store, by id. */
const contents = (s: StackStore) => ({
  id: s.id,
  frames: Array.from({ length: s.frameCount }, (_, i) => s.frame(i)),
  labels: Array.from({ length: s.labelSetCount }, (_, i) => ({ ...s.labels(i) })),
  stacks: Array.from({ length: s.stackCount }, (_, i) => s.stack(i)),
  series: Array.from({ length: s.seriesCount }, (_, i) => s.series(i)),
});

function sampleStore(): { store: StackStore; profiles: Profile[] } {
  const b = new ProfileBuilder([{ type: "samples", unit: "count" }], { timeNanos: 1.7e18, durationNanos: 60e9 });
  const h = { name: "UserIDSearchHandler.get", file: "/srv/app.py", line: 40, kind: "python" as const, module: "" };
  const s = { name: "search_user", file: "/srv/app.py", line: 12, kind: "python" as const, module: "" };
  const k = { name: "do_syscall_64", file: "", line: 0, kind: "kernel" as const, module: "[kernel]" };
  b.addFrames([h, s], [7], { tid: "101", thread_name: "MainThread" });
  b.addFrames([h, s, k], [2], { tid: "102", thread_name: "worker-1" });
  b.addFrames([h], [1]);
  const store = new StackStore();
  const p = b.build();
  store.intern(p);
  return { store, profiles: [p] };
}

/** All the ways to damage bytes that the decoders must reject: every truncation and one flipped bit per byte. */
function damaged(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let n = 0; n < bytes.length; n++) out.push(bytes.slice(0, n));
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.slice();
    c[i] = c[i]! ^ (1 << (i % 8));
    out.push(c);
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  out.push(longer);
  return out;
}

describe("crc32", () => {
  it("matches the standard check value", () => {
    const b = new TextEncoder().encode("123456789");
    expect(crc32(b)).toBe(0xcbf43926);
    expect(crc32(b, 4, 9, crc32(b, 0, 4))).toBe(0xcbf43926);
  });
});

describe("StackStore encode/decode", () => {
  it("round-trips a whole store: same id, same entries under the same ids, same merges", () => {
    fc.assert(
      fc.property(fc.array(arbProfile(), { minLength: 1, maxLength: 5 }), (profiles) => {
        const store = new StackStore();
        const stored = profiles.map((p) => store.intern(p));
        const copy = StackStore.decode(store.encode());
        expect(contents(copy)).toEqual(contents(store));
        expect(mergeStored(copy, stored)).toEqual(mergeStored(store, stored));
        // The copy keeps interning with the same ids as the original.
        expect(copy.intern(profiles[0]!).series).toEqual(stored[0]!.series);
      }),
      { numRuns: 100 },
    );
  });

  it("round-trips incremental segments appended in order, and refuses them out of order or twice", () => {
    fc.assert(
      fc.property(fc.array(arbProfile(), { minLength: 2, maxLength: 6 }), (profiles) => {
        const store = new StackStore();
        const segments: Uint8Array[] = [];
        let mark = store.mark();
        for (const p of profiles) {
          store.intern(p);
          segments.push(store.encode(mark));
          mark = store.mark();
        }
        const copy = StackStore.decode(segments[0]!);
        for (const s of segments.slice(1)) copy.append(s);
        expect(contents(copy)).toEqual(contents(store));
        const grows = segments.findIndex((s, i) => i > 0 && s.length > 0 && segmentAdds(s));
        if (grows > 0) {
          const partial = StackStore.decode(segments[0]!);
          for (const s of segments.slice(1, grows)) partial.append(s);
          expect(() => partial.append(segments[grows]!).append(segments[grows]!)).toThrow(
            /append segments in the order they were written, each exactly once/,
          );
        }
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a segment of another store and a later segment as the first one", () => {
    const { store } = sampleStore();
    const m = store.mark();
    store.internFrame({ name: "late", file: "", line: 0, kind: "native", module: "" });
    expect(() => StackStore.decode(store.encode(m))).toThrow(/starts at frames = 3 but this store has 0/);
    const other = new StackStore();
    expect(() => other.append(store.encode())).toThrow(/belongs to store "[0-9a-f]+", not to this store/);
  });

  it("rejects every truncation and every flipped bit with an Error that says what is wrong", () => {
    const { store } = sampleStore();
    const bytes = store.encode();
    for (const d of damaged(bytes)) {
      expect(() => StackStore.decode(d)).toThrow(/cannot decode stack store segment: /);
    }
    expect(() =>
      StackStore.decode(encodeStored(store.intern(new ProfileBuilder([{ type: "a", unit: "b" }]).build()))),
    ).toThrow(/starts with "PFSP", not "PFST"/);
    expect(() =>
      StackStore.decode(new TextEncoder().encode('{"format":"perforator-profile"} garbage garbage')),
    ).toThrow(/not "PFST"/);
  });

  it("undoes a segment whose entries repeat earlier ones (a valid checksum over wrong content)", () => {
    const { store, profiles } = sampleStore();
    const copy = StackStore.decode(store.encode());
    const before = contents(copy);
    // A buggy writer with the same store id: one new frame, then the frames `copy` already has.
    const writer = new StackStore(store.id);
    const x = { name: "only_in_writer", file: "", line: 0, kind: "native" as const, module: "" };
    writer.internFrame(x);
    writer.intern(profiles[0]!);
    expect(() => copy.append(rewriteFrom(writer.encode(), copy.mark()))).toThrow(/frame 4 repeats an earlier entry/);
    // Frame 3 (only_in_writer) was added before the repeat was found; it is gone again.
    expect(contents(copy)).toEqual(before);
    expect(copy.internFrame(x)).toBe(3);
  });
});

describe("encodeStored/decodeStored", () => {
  it("round-trips the columns and every small field exactly", () => {
    fc.assert(
      fc.property(arbProfile(), fc.double({ noNaN: true, noDefaultInfinity: true }), (p, x) => {
        const store = new StackStore();
        const withMeta: Profile = { ...p, period: x, meta: { host: "h", merged_profiles: "2" } };
        const sp = store.intern(withMeta);
        const back = decodeStored(encodeStored(sp), store);
        expect(back).toEqual(sp);
        expect(Object.is(back.period, sp.period)).toBe(true);
        expect(mergeStored(store, [back])).toEqual(mergeStored(store, [sp]));
      }),
      { numRuns: 100 },
    );
  });

  it("rejects every truncation and every flipped bit with an Error that says what is wrong", () => {
    const { store, profiles } = sampleStore();
    const bytes = encodeStored(store.intern(profiles[0]!));
    for (const d of damaged(bytes)) expect(() => decodeStored(d)).toThrow(/cannot decode stored profile: /);
    expect(() => decodeStored(new Uint8Array(3))).toThrow(/3 bytes is shorter than the 24-byte prefix/);
    expect(() => decodeStored(store.encode())).toThrow(/starts with "PFST", not "PFSP"/);
  });

  it("checks the store when one is given", () => {
    const { store, profiles } = sampleStore();
    const bytes = encodeStored(store.intern(profiles[0]!));
    expect(() => decodeStored(bytes, new StackStore("elsewhere"))).toThrow(
      /interned in store [0-9a-f]+, not in this store \(elsewhere\)/,
    );
    const empty = StackStore.decode(new StackStore(store.id).encode());
    expect(() => decodeStored(bytes, empty)).toThrow(/had 3 series, this copy has 0; append the store segments/);
    const fork = StackStore.decode(new StackStore(store.id).encode());
    const fr = fork.internFrame(profiles[0]!.frames[0]!);
    for (const tid of ["1", "2", "3"]) fork.internSeries(fork.internLabels({ tid }), fork.internStack([fr]));
    expect(() => decodeStored(bytes, fork)).toThrow(/different history than the one that interned it/);
  });
});

/** True when the segment adds at least one entry (read from its header). */
function segmentAdds(bytes: Uint8Array): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + dv.getUint32(8, true))));
  return h.frames + h.labelSets + h.stacks + h.series > 0;
}

/**
 * The whole-store segment `bytes` relabelled as if it started at mark `m` (a buggy writer): the header's
 * `from` changes and the checksum is recomputed, so only the duplicate check can catch it.
 */
function rewriteFrom(bytes: Uint8Array, m: object): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const hLen = dv.getUint32(8, true);
  const bLen = dv.getUint32(12, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + hLen)));
  h.from = m;
  const hb = new TextEncoder().encode(JSON.stringify(h));
  const hp = (hb.length + 7) & ~7;
  const out = new Uint8Array(24 + hp + bLen);
  out.set(bytes.subarray(0, 24));
  out.set(hb, 24);
  out.fill(0x20, 24 + hb.length, 24 + hp);
  out.set(bytes.subarray(24 + ((hLen + 7) & ~7)), 24 + hp);
  const odv = new DataView(out.buffer);
  odv.setUint32(8, hb.length, true);
  odv.setUint32(16, crc32(out, 20, out.length, crc32(out, 0, 16)), true);
  return out;
}
