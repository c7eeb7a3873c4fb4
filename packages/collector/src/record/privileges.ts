import { readFileSync } from "node:fs";

export const CAP_SYS_ADMIN = 21;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;

export interface PrivilegeStatus {
  ok: boolean;
  euid: number;
  /** Effective capability mask from /proc/self/status. */
  capEff: bigint;
}

/** Parses the `Uid:` and `CapEff:` lines of a /proc/PID/status text. */
export function parseStatusPrivileges(status: string): { euid: number; capEff: bigint } {
  const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  const cap = /^CapEff:\s+([0-9a-fA-F]+)/m.exec(status);
  return { euid: uid ? Number(uid[2]) : -1, capEff: cap ? BigInt(`0x${cap[1]}`) : 0n };
}

export function hasCap(capEff: bigint, cap: number): boolean {
  return ((capEff >> BigInt(cap)) & 1n) === 1n;
}

/** Root, or CAP_BPF + CAP_PERFMON in the effective set, can load the sampler. */
export function checkPrivileges(statusText?: string): PrivilegeStatus {
  const text = statusText ?? readFileSync("/proc/self/status", "utf8");
  const { euid, capEff } = parseStatusPrivileges(text);
  const ok = euid === 0 || (hasCap(capEff, CAP_BPF) && hasCap(capEff, CAP_PERFMON));
  return { ok, euid, capEff };
}

export const NEED_PRIVILEGES_MESSAGE = "perforator record needs root or CAP_BPF+CAP_PERFMON: run it with sudo";
