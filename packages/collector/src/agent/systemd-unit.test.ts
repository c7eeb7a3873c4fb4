/** The agent's systemd unit (packaging/perforator-agent.service) as systemd itself reads it. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../cli/test-utils/e2e.js";

describe("systemd unit", () => {
  it("passes systemd-analyze verify", () => {
    const unit = readFileSync(new URL("../../packaging/perforator-agent.service", import.meta.url), "utf8");
    const dir = mkdtempSync(join(tmpdir(), "perforator-unit-"));
    writeFileSync(join(dir, "perforator-agent.service"), unit.replace("/usr/local/bin/perforator", CLI));
    let out = "";
    try {
      out = execFileSync("systemd-analyze", ["verify", join(dir, "perforator-agent.service")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      out = String((err as { stderr?: string }).stderr ?? err);
    }
    expect(out.trim()).toBe("");
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/perforator agent \$PERFORATOR_AGENT_ARGS$/m);
  });
});
