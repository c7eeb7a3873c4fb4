"""Workload for the agent benchmark: a Python process that is on the CPU a given share of the time.

Usage: python3 busy.py DUTY [TAG]   (DUTY: 0..1, the share of each 100 ms spent computing; TAG: ignored, lets a
benchmark find its targets by command line). Prints "ready <pid>" once it is running.
"""
import os
import sys
import time


def leaf(n):
    x = 0
    for i in range(n):
        x += (i * i) % 7
    return x


def parse(n):
    return leaf(n) + leaf(n // 2)


def render(n):
    return leaf(n // 3)


def handle(deadline):
    while time.perf_counter() < deadline:
        parse(2000)
        render(2000)


def main():
    duty = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    print(f"ready {os.getpid()}", flush=True)
    while True:
        start = time.perf_counter()
        handle(start + 0.1 * duty)
        time.sleep(max(0.0, 0.1 - (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
