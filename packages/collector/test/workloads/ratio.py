"""Workload for the share tests: `a` does twice the work of `b`, both under main -> outer.

Usage: python3 ratio.py [SECONDS]   (default: run until killed)
Prints "ready <pid>" once it is running.
"""
import os
import sys
import time


class Worker:
    def __init__(self):
        self.total = 0

    def spin(self, n):
        x = 0
        for i in range(n):
            x += (i * i) % 7 + (i * 3) // 5 + (i ^ 0x55) - (i & 0xF) * 2  # HOT-LINE
        self.total += x


def a(w):
    w.spin(40000)  # twice the work of b
    w.spin(40000)


def b(w):
    w.spin(40000)


def outer(deadline):
    w = Worker()
    while deadline is None or time.monotonic() < deadline:
        a(w)
        b(w)
    return w.total


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    print(f"ready {os.getpid()}", flush=True)
    outer(time.monotonic() + seconds if seconds else None)


if __name__ == "__main__":
    main()
