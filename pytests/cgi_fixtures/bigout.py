#!/usr/bin/env python3
# Test fixture: ?n=BYTES of a deterministic pattern (block k of 64 KiB is
# bytes 0..255 repeated, rotated left by k mod 256); "&cl=1" adds a
# Content-Length. No Content-Length otherwise.
import os
import sys
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""))
n = int(q.get("n", ["1048576"])[0])
base = bytes(range(256)) * 256
out = sys.stdout.buffer
head = b"Content-Type: application/octet-stream\r\n"
if q.get("cl"):
	head += b"Content-Length: %d\r\n" % n
out.write(head + b"\r\n")
k = 0
while n > 0:
	r = k % 256
	blk = base[r:] + base[:r]
	out.write(blk[:n])
	n -= min(n, len(blk))
	k += 1
out.flush()
