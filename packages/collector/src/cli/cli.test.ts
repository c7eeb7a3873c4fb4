import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readableCliCopy, runCli, startWorkload, tmp } from "./test-utils/e2e.js";

// The built CLI as a user runs it: exit codes and the messages they act on.
describe("perforator CLI: usage and errors", () => {
  it("prints help and version with exit 0", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/record/);
    expect(help.stdout).toMatch(/view/);
    expect(help.stdout).toMatch(/diff/);
    const rec = await runCli(["record", "--help"]);
    for (const flag of ["--pid", "--whole-system", "--freq", "--duration", "--format", "--output", "--serve"]) {
      expect(rec.stdout).toContain(flag);
    }
    const v = await runCli(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("refuses to record without a target (exit 64)", async () => {
    const r = await runCli(["record", "-d", "1s"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/no profiling target defined/);
  });

  it("names the flag of a bad value (exit 64)", async () => {
    const cases: [string[], RegExp][] = [
      [["record", "-p", "1", "-F", "0"], /--freq/],
      [["record", "-p", "1", "-F", "20000"], /--freq/],
      [["record", "-p", "1", "-d", "soon"], /--duration/],
      [["record", "-p", "x"], /--pid/],
      [["record", "-p", "1", "-f", "svg"], /--format/],
      [["record", "-p", "1", "-S", ":99999"], /--serve/],
      [["record", "-p", "1", "-o", "x.html", "-S", ":9006"], /--output and --serve cannot be used together/],
      [["record", "--frequency", "9"], /unknown option '--frequency'/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(64);
      expect(r.stderr, args.join(" ")).toMatch(msg);
    }
  });

  it("reports a pid that does not exist with exit 2", async () => {
    const r = await runCli(["record", "-p", "4000000", "-d", "1s"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no process with PID 4000000/);
  });

  it("tells a non-root user to use sudo (exit 1) and writes nothing", async () => {
    const w = await startWorkload("sh", ["-c", "echo ready $$; exec sleep 30"]);
    const dir = tmp();
    // The other user may not be able to read the checkout (a clone inside a 0700 directory): run a readable copy.
    const copy = readableCliCopy();
    try {
      const r = await runCli(["record", "-p", String(w.pid), "-d", "1s", "-o", join(dir, "out.html")], {
        wrapper: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"],
        cli: copy.cli,
        cwd: "/",
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/perforator record needs root or CAP_BPF\+CAP_PERFMON: run it with sudo/);
      expect(existsSync(join(dir, "out.html"))).toBe(false);
    } finally {
      w.stop();
      rmSync(copy.dir, { recursive: true, force: true });
    }
  });

  it("view and diff explain unreadable inputs (exit 1)", async () => {
    const dir = tmp();
    const missing = await runCli(["view", join(dir, "nope.pb.gz"), "-o", join(dir, "v.html")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read profile .*nope\.pb\.gz: no such file/);
    const garbage = join(dir, "garbage.pb.gz");
    writeFileSync(garbage, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]));
    const bad = await runCli(["diff", garbage, garbage, "-o", join(dir, "d.html")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot read profile .*garbage\.pb\.gz/);
    expect(readdirSync(dir).sort()).toEqual(["garbage.pb.gz"]);
  });
});
