import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { toFolded } from "../exporters/folded.js";
import { serializeProfile } from "../exporters/json.js";
import { toPprof } from "../exporters/pprof.js";
import { totalValue } from "../model.js";
import { importProfile } from "./auto.js";
import { parseFolded } from "./folded.js";

const enc = (s: string) => new TextEncoder().encode(s);
const sample = parseFolded("main (/srv/app.py:3);work (/srv/app.py:9) 5\nmain (/srv/app.py:3);sleep_[k] 2\n");

describe("importProfile", () => {
  it("detects every format, gzipped or not", () => {
    const inputs: [string, Uint8Array][] = [
      ["pprof.gz", toPprof(sample)],
      ["pprof raw", toPprof(sample, { gzip: false })],
      ["folded", enc(toFolded(sample))],
      ["folded.gz", gzipSync(enc(toFolded(sample)))],
      ["json", enc(serializeProfile(sample))],
      ["json.gz", gzipSync(enc(serializeProfile(sample)))],
    ];
    for (const [what, bytes] of inputs) {
      const p = importProfile(bytes);
      expect(totalValue(p), what).toBe(7);
      expect(toFolded(p), what).toBe(toFolded(sample));
    }
    const cpu = importProfile(
      enc(
        JSON.stringify({
          nodes: [{ id: 1, callFrame: { functionName: "f", url: "x.js", lineNumber: 0 }, hitCount: 2 }],
        }),
      ),
    );
    expect(totalValue(cpu)).toBe(2);
  });

  it("names the file and the format it could not parse", () => {
    expect(() => importProfile(enc("hello world\n"), "notes.txt")).toThrow(
      /cannot import "notes\.txt" as folded stacks text: .*line 1/,
    );
    expect(() => importProfile(enc('{"a":1}'), "x.json")).toThrow(/"x\.json".*neither a perforator-profile/);
    expect(() => importProfile(new Uint8Array([0x0a, 0xff, 0x01, 0x02]), "cpu.pb")).toThrow(/as pprof/);
    expect(() => importProfile(new Uint8Array([0x1f, 0x8b, 0x00]), "cpu.pb.gz")).toThrow(/gzip/);
    expect(() => importProfile(new Uint8Array(), "empty")).toThrow(/empty/);
  });
});
