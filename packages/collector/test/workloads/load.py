"""Load generator for the tutorial server, with urllib.request (no third-party modules).

Usage: python3 load.py PORT SECONDS [CONCURRENCY]
Sends GET /search_user?user_id=<random> from CONCURRENCY threads for SECONDS; prints "requests N errors E".
"""
import random
import sys
import threading
import time
import urllib.request

port = int(sys.argv[1])
seconds = float(sys.argv[2])
concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 1
deadline = time.monotonic() + seconds
lock = threading.Lock()
done = 0
errors = 0


def worker():
    global done, errors
    rnd = random.Random()
    while time.monotonic() < deadline:
        user_id = rnd.randint(1, 1000000)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/search_user?user_id={user_id}", timeout=10) as r:
                r.read()
            with lock:
                done += 1
        except Exception:
            with lock:
                errors += 1
            time.sleep(0.01)


threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"requests {done} errors {errors}", flush=True)
