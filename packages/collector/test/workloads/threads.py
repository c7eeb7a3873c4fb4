"""Two busy threads with OS thread names busy-one and busy-two (set with prctl, which task->comm shows).

Usage: python3 threads.py [SECONDS]
Prints "thread <name> <tid>" for each thread, then "ready <pid>".
"""
import ctypes
import os
import sys
import threading
import time

PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)
out_lock = threading.Lock()


def say(line):
    # print() from two threads can interleave its text and newline: write whole lines under a lock.
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def burn_one(deadline):
    x = 0
    while deadline is None or time.monotonic() < deadline:
        for i in range(10000):
            x += i
    return x


def burn_two(deadline):
    x = 0
    while deadline is None or time.monotonic() < deadline:
        for i in range(10000):
            x ^= i
    return x


def start(name, fn, deadline, started):
    def body():
        libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
        say(f"thread {name} {threading.get_native_id()}")
        started.release()
        fn(deadline)

    t = threading.Thread(target=body, name=name)
    t.start()
    return t


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    deadline = time.monotonic() + seconds if seconds else None
    started = threading.Semaphore(0)
    threads = [start("busy-one", burn_one, deadline, started), start("busy-two", burn_two, deadline, started)]
    started.acquire()
    started.acquire()
    say(f"ready {os.getpid()}")
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
