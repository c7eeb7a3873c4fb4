/** Read-only access to another process's memory through /proc/PID/mem (never writes, never stops it). */
import { closeSync, openSync, readSync } from "node:fs";

export class ProcMem {
  readonly pid: number;
  private fd: number | null;

  /** Throws when /proc/PID/mem cannot be opened (process gone, no permission: needs root or ptrace rights). */
  constructor(pid: number) {
    this.pid = pid;
    this.fd = openSync(`/proc/${pid}/mem`, "r");
  }

  /** `n` bytes at `addr`, or null when any of them is unreadable (unmapped, process gone). */
  read(addr: bigint, n: number): Buffer | null {
    if (this.fd === null || addr <= 0n || n < 0 || addr + BigInt(n) > 0x7fffffffffffffffn) return null;
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    try {
      while (got < n) {
        const r = readSync(this.fd, buf, got, n - got, addr + BigInt(got));
        if (r <= 0) return null;
        got += r;
      }
    } catch {
      return null;
    }
    return buf;
  }

  u8(addr: bigint): number | null {
    const b = this.read(addr, 1);
    return b ? b[0]! : null;
  }

  u32(addr: bigint): number | null {
    const b = this.read(addr, 4);
    return b ? b.readUInt32LE(0) : null;
  }

  i32(addr: bigint): number | null {
    const b = this.read(addr, 4);
    return b ? b.readInt32LE(0) : null;
  }

  u64(addr: bigint): bigint | null {
    const b = this.read(addr, 8);
    return b ? b.readBigUInt64LE(0) : null;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = null;
    }
  }
}
