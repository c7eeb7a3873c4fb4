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
        print(f"thread {name} {threading.get_native_id()}", flush=True)
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
    print(f"ready {os.getpid()}", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
