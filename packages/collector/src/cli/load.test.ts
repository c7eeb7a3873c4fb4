import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type Profile, ProfileBuilder, totalValue } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { CliError } from "../errors.js";
import { encodeProfile } from "../output/encode.js";
import { loadProfileFile } from "./load.js";
import { tmp } from "./test-utils/e2e.js";

function sample(): Profile {
  const b = new ProfileBuilder(
    [
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ],
    { defaultSampleType: 1, period: 1e9 / 99 },
  );
  const main = { name: "main", file: "/srv/app.py", line: 40, kind: "python" as const, module: "" };
  const search = { name: "search_user", file: "/srv/app.py", line: 24, kind: "python" as const, module: "" };
  const send = {
    name: "send_response",
    file: "/usr/lib/http/server.py",
    line: 500,
    kind: "python" as const,
    module: "",
  };
  b.addFrames([main, search], [90, 90 * (1e9 / 99)], {
    pid: "7",
    tid: "7",
    thread_name: "python3",
    process_name: "python3",
  });
  b.addFrames([main, send], [10, 10 * (1e9 / 99)], {
    pid: "7",
    tid: "8",
    thread_name: "worker",
    process_name: "python3",
  });
  return b.build();
}

const names = (p: Profile) =>
  p.samples
    .map((s) => `${s.stack.map((i) => p.frames[i]!.name).join(";")} ${s.values[0]}`)
    .sort()
    .join("\n");

describe("every output format reads back through view/diff", () => {
  for (const format of ["pprof", "folded", "json", "html"] as const) {
    it(`${format}`, async () => {
      const dir = tmp();
      const p = sample();
      const bytes = await encodeProfile(p, format, { title: "t" });
      const file = join(dir, `out.${format}`);
      writeFileSync(file, bytes);
      const back = loadProfileFile(file);
      expect(names(back)).toBe(names(p));
      if (format !== "folded") expect(totalValue(back, 1)).toBeCloseTo(totalValue(p, 1), -3);
    });
  }
  it("pprof output is gzip", async () => {
    const bytes = await encodeProfile(sample(), "pprof", { title: "t" });
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(bytes).length).toBeGreaterThan(50);
  });
  it("rejects empty files and foreign HTML with a reason", () => {
    const dir = tmp();
    writeFileSync(join(dir, "empty.pb.gz"), "");
    writeFileSync(join(dir, "page.html"), "<!doctype html><p>hello</p>");
    expect(() => loadProfileFile(join(dir, "empty.pb.gz"))).toThrow(/the file is empty/);
    expect(() => loadProfileFile(join(dir, "page.html"))).toThrow(CliError);
    expect(() => loadProfileFile(join(dir, "page.html"))).toThrow(/without embedded perforator data/);
  });
});
