import { describe, expect, it } from "vitest";
import { CAP_BPF, CAP_PERFMON, checkPrivileges, parseStatusPrivileges } from "./privileges.js";

const status = (uid: number, capEff: bigint) =>
  `Name:\tnode\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t0\t0\t0\t0\nCapEff:\t${capEff.toString(16).padStart(16, "0")}\n`;

describe("checkPrivileges", () => {
  it("accepts root whatever the capabilities", () => {
    expect(checkPrivileges(status(0, 0n)).ok).toBe(true);
  });
  it("accepts a non-root user with CAP_BPF and CAP_PERFMON", () => {
    const caps = (1n << BigInt(CAP_BPF)) | (1n << BigInt(CAP_PERFMON));
    expect(checkPrivileges(status(1000, caps)).ok).toBe(true);
  });
  it("refuses a non-root user with only one of them", () => {
    expect(checkPrivileges(status(1000, 1n << BigInt(CAP_BPF))).ok).toBe(false);
    expect(checkPrivileges(status(1000, 1n << BigInt(CAP_PERFMON))).ok).toBe(false);
    expect(checkPrivileges(status(65534, 0n)).ok).toBe(false);
  });
  it("reads the effective uid (second column) and CapEff of this process", () => {
    expect(parseStatusPrivileges("Uid:\t1000\t0\t1000\t1000\nCapEff:\t000001ffffffffff\n")).toEqual({
      euid: 0,
      capEff: 0x1ffffffffffn,
    });
    const self = checkPrivileges();
    expect(self.euid).toBe(process.geteuid?.());
  });
});
