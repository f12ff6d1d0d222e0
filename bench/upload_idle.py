#!/usr/bin/python3
"""Idle connections and uploads, two webserv builds side by side.

    bench/upload_idle.py [--before BIN] [--after BIN] [--rounds N]
                         [--upload-mb N] [--idle N] [--out FILE]

Every server (each webserv build given, and Debian's nginx with WebDAV
PUT for reference) runs pinned to CPU 0 with the same docroot as
bench/run.py; the clients run on CPU 1.  Each round measures every
server in turn (order rotated per round):

- idle: VmRSS before and after opening N keep-alive connections that
  each completed one request of a 1 KiB file, then the 1 KiB keep-alive
  scenario (wrk, 50 connections) while they stay open, and once without;
- upload: curl of an M MiB file from /tmp: PUT with Content-Length, PUT
  chunked, POST multipart/form-data (webserv only; nginx's WebDAV knows
  only PUT); MB/s, peak VmRSS during the transfer (sampled every 20 ms).

Medians over the rounds, written as Markdown (stdout, and --out).  Only
processes it started are stopped, by PID.
"""

import argparse
import datetime
import os
import resource
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: servers, docroot, wrk)

TMP_BODY = "/tmp/webserv-bench-upload.bin"


class Build(run.Webserv):
    """One webserv binary, PUT and POST allowed on the upload store."""

    def __init__(self, name, binary):
        self.name = name
        self.binary = binary
        super().__init__()

    def argv(self):
        return [self.binary, os.path.join(self.dir, "webserv.conf")]

    def write_config(self):
        with open(os.path.join(self.dir, "webserv.conf"), "w") as f:
            f.write(f"""error_log stderr;
access_log off;
max_connections 4096;
server {{
	listen 127.0.0.1:{self.port};
	root {run.DOCROOT};
	location /upload/ {{
		allow_methods GET HEAD PUT POST;
		upload_store {run.DOCROOT}/upload;
		alias {run.DOCROOT}/upload/;
		client_max_body_size 0;
	}}
}}
""")


def make_body(mb):
    if not os.path.exists(TMP_BODY) or os.path.getsize(TMP_BODY) != mb << 20:
        with open(TMP_BODY, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
    return TMP_BODY


class RssPeak(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.stop = server, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, self.server.rss_kb())
            except OSError:
                pass
            time.sleep(0.02)


def upload(server, kind, body, mb):
    name = f"up-{server.name}-{kind}-{time.time_ns()}.bin"
    url = server.url(server.upload + name)
    cmd = ["taskset", "-c", run.CLIENT_CPU, "curl", "-sS", "-o", "/dev/null",
           "-w", "%{http_code} %{time_total}", "-H", "Expect:"]
    if kind == "raw":
        cmd += ["-T", body, url]
    elif kind == "chunked":
        cmd += ["-T", body, "-H", "Transfer-Encoding: chunked", url]
    else:
        cmd += ["-F", f"file=@{body};filename={name}", server.url(server.upload)]
    base = server.rss_kb()
    peak = RssPeak(server)
    peak.start()
    r = run.sh(cmd, timeout=600)
    peak.stop.set()
    peak.join()
    secs = run.stored_upload(r, name, mb)
    if secs is None:
        print(f"{server.name} {kind}: failed: {r.stdout} {r.stderr}", file=sys.stderr)
        return None
    return {"mbps": mb * 1048576 / secs / 1e6, "rss_grow_kb": max(0, peak.peak - base)}


def idle(server, n, secs):
    plain = run.measured_wrk(server, "/1k.bin", 50, secs)["rps"]
    before = server.rss_kb()
    socks = run.idle_conns(server, n)
    after = server.rss_kb()
    busy = run.measured_wrk(server, "/1k.bin", 50, secs)["rps"]
    for s in socks:
        s.close()
    return {"rss_kb": after - before, "per_conn": (after - before) * 1024 / n,
            "rps_idle": busy, "rps_plain": plain}


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="/tmp/webserv-before")
    ap.add_argument("--after", default=os.path.join(run.ROOT, "webserv"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--upload-mb", type=int, default=256)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma list: idle,upload")
    ap.add_argument("--out")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    run.make_docroot(1)
    body = make_body(args.upload_mb)
    servers = []
    if os.path.exists(args.before):
        servers.append(Build("before", args.before))
    servers.append(Build("after", args.after))
    servers.append(run.Nginx())
    res = {}
    try:
        for s in servers:
            s.start()
        for rnd in range(args.rounds):
            order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
            for s in order:
                if "idle" not in skip:
                    res.setdefault((s.name, "idle"), []).append(idle(s, args.idle, args.seconds))
                if "upload" not in skip:
                    kinds = ["raw", "chunked", "multipart"] if isinstance(s, Build) else ["raw"]
                    for k in kinds:
                        res.setdefault((s.name, k), []).append(upload(s, k, body, args.upload_mb))
            print(f"round {rnd + 1} done", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()

    now = datetime.datetime.now(datetime.timezone.utc)
    la = os.getloadavg()
    lines = [f"# idle connections and uploads — {now:%Y-%m-%d %H:%M} UTC", "",
             f"- {args.rounds} rounds, servers in alternation (order rotated), medians; "
             f"server on CPU {run.SERVER_CPU}, clients on CPU {run.CLIENT_CPU}, loopback; "
             f"load average at the end {la[0]:.1f} {la[1]:.1f} {la[2]:.1f}",
             f"- upload body: {args.upload_mb} MiB of random bytes in /tmp, curl "
             f"({run.version(['curl', '--version'])}); nginx {run.version(['nginx', '-v'])} "
             "WebDAV PUT for reference", ""]
    names = [s.name for s in servers]
    if "idle" not in skip:
        lines += [f"| {args.idle} idle keep-alive connections | " + " | ".join(names) + " |",
                  "|---|" + "---|" * len(names)]
        for label, key, fmt in (("RSS grown in all, kB", "rss_kb", "{:,.0f}"),
                                ("RSS per connection, bytes", "per_conn", "{:,.0f}"),
                                ("1 KiB keep-alive req/s, no idle connections", "rps_plain", "{:,.0f}"),
                                ("1 KiB keep-alive req/s, idle connections open", "rps_idle", "{:,.0f}")):
            row = []
            for n in names:
                v = med([r[key] for r in res.get((n, "idle"), []) if r])
                row.append(fmt.format(v) if v is not None else "n/a")
            lines.append(f"| {label} | " + " | ".join(row) + " |")
        lines.append("")
    if "upload" not in skip:
        lines += [f"| {args.upload_mb} MiB upload | " + " | ".join(names) + " |",
                  "|---|" + "---|" * len(names)]
        for k, label in (("raw", "PUT, Content-Length: MB/s"), ("chunked", "PUT, chunked: MB/s"),
                         ("multipart", "POST multipart/form-data: MB/s")):
            for field, suffix, fmt in (("mbps", "", "{:,.0f}"),
                                       ("rss_grow_kb", " (peak RSS growth, kB)", "{:,.0f}")):
                row = []
                for n in names:
                    v = med([r[field] if r else None for r in res.get((n, k), [])])
                    row.append(fmt.format(v) if v is not None else "n/a")
                lines.append(f"| {label if not suffix else '… ' + suffix.strip(' ()')} | "
                             + " | ".join(row) + " |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
