#!/usr/bin/env python3
# Test fixture: one script, many behaviours chosen by the query string
# (odd Status codes, LF line ends, wrong Content-Length, a huge header
# line, a slow answer, an echo of the body, PATH_INFO).
import os, sys, time
q = os.environ.get("QUERY_STRING", "")
out = sys.stdout.buffer
def emit(b):
    out.write(b)
    out.flush()
if q == "s100":
    emit(b"Status: 100 Continue\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s101":
    emit(b"Status: 101 Switching Protocols\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s204cl":
    emit(b"Status: 204 No Content\r\nContent-Length: 5\r\n\r\n")
elif q == "s204body":
    emit(b"Status: 204 No Content\r\nContent-Type: text/plain\r\n\r\nhello")
elif q == "s304":
    emit(b"Status: 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
elif q == "hdronly":
    emit(b"Content-Type: text/plain\r\n\r\n")
elif q == "lf":
    emit(b"Content-Type: text/plain\nX-Lf: yes\n\nlf-body")
elif q == "mixed":
    emit(b"Content-Type: text/plain\r\nX-A: 1\nX-B: 2\r\n\nmixed-body")
elif q == "bighdr":
    emit(b"Content-Type: text/plain\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\nbody")
elif q == "over":
    emit(b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n0123456789")
elif q == "under":
    emit(b"Content-Type: text/plain\r\nContent-Length: 50\r\n\r\n0123456789")
elif q == "slow":
    time.sleep(1)
    emit(b"Content-Type: text/plain\r\n\r\nslow-done")
elif q == "echo":
    data = sys.stdin.buffer.read()
    emit(b"Content-Type: application/octet-stream\r\n\r\n" + data)
elif q == "pi":
    emit(b"Content-Type: text/plain\r\n\r\n" + os.environ.get("PATH_INFO", "").encode("latin-1"))
else:
    emit(b"Content-Type: text/plain\r\n\r\nok")
