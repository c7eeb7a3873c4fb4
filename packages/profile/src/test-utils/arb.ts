import fc from "fast-check";
import { type Frame, type Profile, ProfileBuilder } from "../model.js";

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.<>]{0,12}$/);

export const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    name: ident,
    file: fc.constantFrom("/srv/app/server.py", "/usr/lib/python3.12/socketserver.py", "handlers.py"),
    line: fc.integer({ min: 1, max: 2000 }),
    kind: fc.constant("python" as const),
    module: fc.constant(""),
  }),
  fc.record({
    name: ident,
    file: fc.constant(""),
    line: fc.constant(0),
    kind: fc.constant("native" as const),
    module: fc.constantFrom("", "libpython3.12.so.1.0", "libc.so.6"),
  }),
  fc.record({
    name: ident,
    file: fc.constant(""),
    line: fc.constant(0),
    kind: fc.constant("kernel" as const),
    module: fc.constantFrom("", "[kernel]"),
  }),
);

export interface ArbProfileOptions {
  sampleTypes?: { type: string; unit: string }[];
  maxSamples?: number;
}

/** Random profiles built the way importers build them (interned frames, aggregated samples). */
export function arbProfile(opts: ArbProfileOptions = {}): fc.Arbitrary<Profile> {
  const types = opts.sampleTypes ?? [
    { type: "samples", unit: "count" },
    { type: "cpu", unit: "nanoseconds" },
  ];
  return fc
    .record({
      frames: fc.uniqueArray(arbFrame, {
        minLength: 1,
        maxLength: 12,
        selector: (f) => `${f.kind}|${f.name}|${f.file}|${f.line}|${f.module}`,
      }),
      samples: fc.array(
        fc.record({
          stack: fc.array(fc.nat(), { maxLength: 8 }),
          values: fc.array(fc.integer({ min: 0, max: 1_000_000 }), {
            minLength: types.length,
            maxLength: types.length,
          }),
          tid: fc.constantFrom(undefined, "101", "102"),
          thread: fc.constantFrom(undefined, "MainThread", "worker-1"),
        }),
        { maxLength: opts.maxSamples ?? 30 },
      ),
    })
    .map(({ frames, samples }) => {
      const b = new ProfileBuilder(types, {
        period: 10101010,
        periodType: { type: "cpu", unit: "nanoseconds" },
        timeNanos: 1_700_000_000_000_000_000,
        durationNanos: 60_000_000_000,
      });
      for (const s of samples) {
        const labels: Record<string, string> = {};
        if (s.tid !== undefined) labels.tid = s.tid;
        if (s.thread !== undefined) labels.thread_name = s.thread;
        b.addFrames(
          s.stack.map((i) => frames[i % frames.length]!),
          s.values,
          labels,
        );
      }
      return b.build();
    });
}

function frameText(f: Frame): string {
  return `${f.kind}|${f.name}|${f.file}|${f.line}|${f.module}`;
}

/**
 * Canonical content of a profile, independent of frame and sample order: a sorted list of
 * "stack as frame texts | sorted labels => values", with equal keys summed.
 */
export function canonical(p: Profile, opts: { labels?: boolean; valueIndex?: number } = {}): string[] {
  const sums = new Map<string, number[]>();
  for (const s of p.samples) {
    const stack = s.stack.map((i) => frameText(p.frames[i]!)).join(" ; ");
    const labels =
      opts.labels === false
        ? ""
        : Object.keys(s.labels)
            .sort()
            .map((k) => `${k}=${s.labels[k]}`)
            .join(",");
    const key = `${stack} # ${labels}`;
    const vals = opts.valueIndex !== undefined ? [s.values[opts.valueIndex]!] : [...s.values];
    const cur = sums.get(key);
    if (cur) for (let i = 0; i < vals.length; i++) cur[i]! += vals[i]!;
    else sums.set(key, vals);
  }
  return [...sums.entries()]
    .filter(([, v]) => v.some((x) => x !== 0))
    .map(([k, v]) => `${k} => ${v.join(",")}`)
    .sort();
}
