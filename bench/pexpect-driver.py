# The pexpect side of `make bench`: spawns python3 in a PTY and waits for its
# prompt, then for each line read on stdin sends 2+2 and expects the next
# prompt, printing the milliseconds each round trip took (measured here, so the
# pipe to the bench is not counted). delaybeforesend=None: pexpect's default
# sleeps 50 ms before every send, which would dominate the figure.
import sys
import time

import pexpect

t0 = time.perf_counter()
child = pexpect.spawn("python3", ["-q"], encoding="utf-8", echo=False, dimensions=(24, 80))
child.delaybeforesend = None
child.expect(">>> ")
print(f"spawn {(time.perf_counter() - t0) * 1000:.3f}", flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    t0 = time.perf_counter()
    child.sendline("2+2")
    child.expect(">>> ")
    if "4" not in child.before:
        print(f"error {child.before!r}", flush=True)
        break
    print(f"{(time.perf_counter() - t0) * 1000:.3f}", flush=True)
child.close(force=True)
