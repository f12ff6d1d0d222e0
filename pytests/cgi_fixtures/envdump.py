#!/usr/bin/env python3
# Test fixture: the CGI environment, argv, cwd, open descriptors and request
# body digest as JSON.
import hashlib
import json
import os
import sys

h = hashlib.sha256()
n = 0
while True:
	b = sys.stdin.buffer.read(65536)
	if not b:
		break
	h.update(b)
	n += len(b)
with open("/proc/self/cmdline", "rb") as f:
	cmdline = [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]
fds = {}
for fd in os.listdir("/proc/self/fd"):
	try:
		fds[fd] = os.readlink("/proc/self/fd/" + fd)
	except OSError:
		pass
out = json.dumps({"env": dict(os.environ), "argv": sys.argv, "cmdline": cmdline,
                  "cwd": os.getcwd(),
                  "body_len": n, "body_sha256": h.hexdigest(),
                  "pid": os.getpid(), "fds": fds}).encode()
sys.stdout.buffer.write(b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % len(out) + out)
