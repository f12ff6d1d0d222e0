#!/usr/bin/env python3
# Test fixture: behaviours chosen by the query string: a chunked answer in
# pieces, 1 MiB on stderr, reading 10 bytes of the body, redirects, a
# child process of its own (pids/<tag>.pid holds both pids), a slow body.
import os, subprocess, sys, time
q = os.environ.get("QUERY_STRING", "")
out = sys.stdout.buffer
def emit(b):
    out.write(b)
    out.flush()
if q == "chunks":
    emit(b"Content-Type: text/plain\r\n\r\n")
    for i in range(5):
        emit(b"piece%d;" % i)
        time.sleep(0.02)
elif q == "stderr":
    err = sys.stderr.buffer
    for i in range(256):
        err.write(b"STDERR-MARKER-" + b"e" * 4080 + b"\n")
    err.flush()
    emit(b"Content-Type: text/plain\r\n\r\nsurvived stderr")
elif q == "partial":
    got = sys.stdin.buffer.read(10)
    emit(b"Content-Type: text/plain\r\n\r\nread " + got)
elif q == "s302local":
    emit(b"Status: 302 Found\r\nLocation: /a.txt\r\nContent-Type: text/plain\r\n\r\nfound")
elif q == "s303":
    emit(b"Status: 303 See Other\r\nLocation: http://example.com/other\r\n\r\n")
elif q == "redir_missing":
    emit(b"Location: /no/such/file.txt\r\n\r\n")
elif q == "redir_static":
    emit(b"Location: /a.txt\r\n\r\n")
elif q.startswith("grandchild"):
    tag = q.split("=", 1)[1]
    os.makedirs("pids", exist_ok=True)
    kid = subprocess.Popen(["/bin/sleep", "60"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open("pids/%s.pid.tmp" % tag, "w") as f:
        f.write("%d %d" % (os.getpid(), kid.pid))
    os.rename("pids/%s.pid.tmp" % tag, "pids/%s.pid" % tag)
    time.sleep(60)
elif q.startswith("slowbody"):
    emit(b"Content-Type: text/plain\r\n\r\n")
    for i in range(100):
        emit(b"x" * 1000)
        time.sleep(0.05)
else:
    emit(b"Content-Type: text/plain\r\n\r\nmulti")
