#!/usr/bin/env python3
# Test fixture: a client redirect (absolute URL), optionally with a Status.
import os
import sys

qs = os.environ.get("QUERY_STRING", "")
head = b"Location: http://example.com/elsewhere?x=1\r\n"
if qs == "301":
	head = b"Status: 301 Moved Permanently\r\n" + head + b"Content-Type: text/plain\r\n"
sys.stdout.buffer.write(head + b"\r\n" + (b"moved\n" if qs == "301" else b""))
