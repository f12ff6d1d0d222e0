#!/usr/bin/env python3
# Test fixture: records its pid in pids/<QUERY_STRING>.pid (next to the
# script), then stays silent for a minute.
import os
import time

tag = os.environ.get("QUERY_STRING") or "hang"
os.makedirs("pids", exist_ok=True)
with open(os.path.join("pids", tag + ".pid.tmp"), "w") as f:
	f.write(str(os.getpid()))
os.rename(os.path.join("pids", tag + ".pid.tmp"), os.path.join("pids", tag + ".pid"))
time.sleep(60)
