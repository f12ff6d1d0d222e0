#!/usr/bin/env python3
# Test fixture: records its pid in pids/<QUERY_STRING>.pid (next to the
# script), then waits until a file named "open" appears next to it (at most
# a minute) and answers with its pid.
import os
import sys
import time

tag = os.environ.get("QUERY_STRING") or "gate"
os.makedirs("pids", exist_ok=True)
with open(os.path.join("pids", tag + ".pid.tmp"), "w") as f:
	f.write(str(os.getpid()))
os.rename(os.path.join("pids", tag + ".pid.tmp"), os.path.join("pids", tag + ".pid"))
for _ in range(1200):
	if os.path.exists("open"):
		break
	time.sleep(0.05)
sys.stdout.buffer.write(b"Content-Type: text/plain\r\n\r\nopened %d\n" % os.getpid())
