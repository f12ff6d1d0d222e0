#!/usr/bin/python3
"""Side-by-side benchmark: webserv next to nginx, lighttpd and h2o.

Every server gets an equivalent configuration on one docroot (generated
under build/bench/), runs as one process pinned to CPU 0 (wrk and curl on
CPU 1), and all are up at once; each round runs every scenario on every
server in turn (the order rotated per round), so load from elsewhere
falls on all of them alike.  For each scenario and round the ratio
webserv / best peer is taken; the table shows medians.  Server CPU per
request comes from /proc/PID/stat (utime + stime) around a run, syscalls
per request from `strace -c -f` attached during one short extra run.

    bench/run.py [--quick] [--out FILE]     (BENCH_QUICK=1 = --quick)

Quick: 3 rounds of 2 s, a 64 MiB upload; full: 5 rounds of 5 s, 256 MiB
(BENCH_ROUNDS, BENCH_SECONDS, BENCH_UPLOAD_MB override).

Bounded: BENCH_MAX_SECONDS (default 300 quick, 1200 full) stops starting
new rounds once passed.  Only processes it started are stopped, by PID.
Writes a Markdown table to bench/results/ (machine, versions, date).
"""

import argparse
import datetime
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench")
DOCROOT = os.path.join(WORK, "www")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SERVER_CPU, CLIENT_CPU = "0", "1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def version(cmd):
    try:
        r = sh(cmd, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    out = (r.stdout + r.stderr).strip().splitlines()
    if not out:
        return "?"
    words = out[0].replace("nginx version: ", "").split()
    if "/" in words[0]:
        return words[0]
    return " ".join(words[:2] if words[0] in ("curl", "wrk") else words[:3])


# ---------------------------------------------------------------- docroot

SIZES = {"1k.bin": 1024, "64k.bin": 64 * 1024, "10m.bin": 10 * 1024 * 1024}


def make_docroot(upload_mb):
    os.makedirs(os.path.join(DOCROOT, "upload"), exist_ok=True)
    for name, size in SIZES.items():
        p = os.path.join(DOCROOT, name)
        if not os.path.exists(p) or os.path.getsize(p) != size:
            with open(p, "wb") as f:
                f.write(bytes((i * 7 + 13) & 0xFF for i in range(256)) * (size // 256))
    body = os.path.join(WORK, "upload.bin")
    want = upload_mb * 1024 * 1024
    if not os.path.exists(body) or os.path.getsize(body) != want:
        with open(body, "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(upload_mb):
                f.write(block)
    return body


# ---------------------------------------------------------------- servers

class Server:
    name = "?"
    upload = None  # URL path prefix for PUT uploads, None if unsupported

    def __init__(self):
        self.port = free_port()
        self.dir = os.path.join(WORK, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def argv(self):
        raise NotImplementedError

    def start(self):
        self.write_config()
        log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU] + self.argv(),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.dir)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.dir}/server.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready on port {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self):
        return self.proc.pid  # taskset execs the server: same PID

    def cpu_ticks(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


class Webserv(Server):
    name = "webserv"
    upload = "/upload/"

    def argv(self):
        return [os.path.join(ROOT, "webserv"), os.path.join(self.dir, "webserv.conf")]

    def write_config(self):
        with open(os.path.join(self.dir, "webserv.conf"), "w") as f:
            f.write(f"""error_log stderr;
access_log off;
max_connections 4096;
server {{
	listen 127.0.0.1:{self.port};
	root {DOCROOT};
	location /upload/ {{
		allow_methods GET HEAD PUT;
		upload_store {DOCROOT}/upload;
		alias {DOCROOT}/upload/;
		client_max_body_size 0;
	}}
}}
""")


class Nginx(Server):
    name = "nginx"
    upload = "/upload/"

    def argv(self):
        return ["nginx", "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf")]

    def write_config(self):
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 4096; }}
http {{
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path {self.dir}/tmp;
	proxy_temp_path {self.dir}/tmp;
	fastcgi_temp_path {self.dir}/tmp;
	uwsgi_temp_path {self.dir}/tmp;
	scgi_temp_path {self.dir}/tmp;
	types {{ application/octet-stream bin; }}
	server {{
		listen 127.0.0.1:{self.port};
		root {DOCROOT};
		location /upload/ {{
			dav_methods PUT;
			client_max_body_size 0;
		}}
	}}
}}
""")


class Lighttpd(Server):
    name = "lighttpd"

    def argv(self):
        return ["lighttpd", "-D", "-f", os.path.join(self.dir, "lighttpd.conf")]

    def write_config(self):
        with open(os.path.join(self.dir, "lighttpd.conf"), "w") as f:
            f.write(f"""server.document-root = "{DOCROOT}"
server.bind = "127.0.0.1"
server.port = {self.port}
server.errorlog = "{self.dir}/error.log"
server.max-connections = 4096
server.max-fds = 8192
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 300
mimetype.assign = ( ".bin" => "application/octet-stream" )
""")


class H2o(Server):
    name = "h2o"

    def argv(self):
        return ["h2o", "-c", os.path.join(self.dir, "h2o.conf")]

    def write_config(self):
        with open(os.path.join(self.dir, "h2o.conf"), "w") as f:
            f.write(f"""num-threads: 1
max-connections: 4096
http1-request-timeout: 300
listen:
  host: 127.0.0.1
  port: {self.port}
hosts:
  default:
    paths:
      /:
        file.dir: {DOCROOT}
""")


# ---------------------------------------------------------------- clients

def wrk(server, path, conns, seconds, close=False):
    """Runs wrk on CLIENT_CPU; returns (requests, seconds, bytes read)."""
    cmd = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{conns}", f"-d{seconds}s",
           "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    r = sh(cmd + [server.url(path)], timeout=seconds + 30)
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s|m), ([\d.]+)([KMG]?B) read", r.stdout)
    if not m:
        raise RuntimeError(f"wrk on {server.name}: {r.stdout} {r.stderr}")
    n = int(m.group(1))
    t = float(m.group(2)) * {"s": 1, "ms": 0.001, "m": 60}[m.group(3)]
    b = float(m.group(4)) * {"B": 1, "KB": 1024, "MB": 1 << 20, "GB": 1 << 30}[m.group(5)]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    sock = re.search(r"Socket errors: (.*)", r.stdout)
    return n, t, b, (int(errs.group(1)) if errs else 0), (sock.group(1) if sock else "")


def measured_wrk(server, path, conns, seconds, close=False):
    """wrk plus the server's CPU µs per request over the run."""
    t0 = server.cpu_ticks()
    n, t, b, non2xx, _ = wrk(server, path, conns, seconds, close)
    cpu = (server.cpu_ticks() - t0) / CLK_TCK
    return {"rps": n / t, "mbps": b / t / 1e6, "cpu_us": cpu / n * 1e6 if n else 0,
            "non2xx": non2xx, "n": n}


def idle_conns(server, count):
    """Opens count keep-alive connections, each having completed one
    request, and leaves them idle.  Returns the sockets."""
    socks = []
    req = f"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 1024:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError(f"{server.name} closed an idle-to-be connection")
            data += chunk
        socks.append(s)
    return socks


def upload(server, body, size_mb):
    if server.upload is None:
        return None
    name = f"up-{server.name}-{time.time_ns()}.bin"
    cmd = ["taskset", "-c", CLIENT_CPU, "curl", "-sS", "-o", "/dev/null", "-T", body,
           "-w", "%{http_code} %{time_total}", server.url(server.upload + name)]
    secs = stored_upload(sh(cmd, timeout=300), name, size_mb)
    return None if secs is None else size_mb * 1048576 / secs / 1e6


def stored_upload(r, name, size_mb):
    """curl's "%{http_code} %{time_total}" for an upload stored as
    DOCROOT/upload/NAME: its seconds if the status is a success and the
    file has size_mb MiB, else None.  The stored file is removed."""
    dest = os.path.join(DOCROOT, "upload", name)
    try:
        code, t = r.stdout.split()
        ok = code in ("200", "201", "204") and os.path.getsize(dest) == size_mb << 20
    except (ValueError, OSError):
        ok = False
    if os.path.exists(dest):
        os.unlink(dest)
    return float(t) if ok else None


def syscalls(server, path, close, seconds=1):
    """strace -c -f attached to the server during a short wrk run: calls
    per request (strace slows the server; the count is what matters)."""
    out = os.path.join(server.dir, "strace.txt")
    st = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(server.pid)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        n, _, _, _, _ = wrk(server, path, 10, seconds, close)
    finally:
        st.send_signal(signal.SIGINT)
        try:
            st.wait(timeout=10)
        except subprocess.TimeoutExpired:
            st.kill()
            st.wait()
    calls = {}
    total = 0
    with open(out) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                calls[p[-1]] = int(p[3])
    total = sum(calls.values())
    if not n:
        return None
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:6]
    return total / n, ", ".join(f"{k} {v / n:.1f}" for k, v in top if v / n >= 0.05)


# ---------------------------------------------------------------- run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    ap.add_argument("--out")
    args = ap.parse_args()
    quick = args.quick
    secs = int(os.environ.get("BENCH_SECONDS", 2 if quick else 5))
    rounds = int(os.environ.get("BENCH_ROUNDS", 3 if quick else 5))
    upload_mb = int(os.environ.get("BENCH_UPLOAD_MB", 64 if quick else 256))
    idle_n = 1000
    budget = float(os.environ.get("BENCH_MAX_SECONDS", 300 if quick else 1200))
    started = time.time()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    if os.cpu_count() < 2:
        global CLIENT_CPU
        CLIENT_CPU = SERVER_CPU
    body = make_docroot(upload_mb)

    classes = [Webserv, Nginx]
    for c, binary in ((Lighttpd, "lighttpd"), (H2o, "h2o")):
        if shutil.which(binary):
            classes.append(c)
    servers = []
    try:
        for c in classes:
            s = c()
            s.start()
            servers.append(s)
        start_rss = {s.name: s.rss_kb() for s in servers}

        scen = [
            ("ka1k", "1 KiB file, keep-alive, 50 connections: req/s", "rps",
             lambda s: measured_wrk(s, "/1k.bin", 50, secs)),
            ("close1k", "same, one connection per request: req/s", "rps",
             lambda s: measured_wrk(s, "/1k.bin", 50, secs, close=True)),
            ("64k", "64 KiB file, keep-alive, 50 connections: MB/s", "mbps",
             lambda s: measured_wrk(s, "/64k.bin", 50, secs)),
            ("10m", "10 MiB file, 8 connections: MB/s", "mbps",
             lambda s: measured_wrk(s, "/10m.bin", 8, secs)),
            ("404", "404, keep-alive, 50 connections: req/s", "rps",
             lambda s: measured_wrk(s, "/nothing-here", 50, secs)),
        ]
        res = {}  # (scenario, server) -> list of dicts per round

        def put(key, name, value):
            res.setdefault((key, name), []).append(value)

        done_rounds = 0
        for rnd in range(rounds):
            if time.time() - started > budget:
                break
            order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
            for key, _, _, fn in scen:
                for s in order:
                    put(key, s.name, fn(s))
            # 1000 idle keep-alive connections held open while the 1 KiB
            # scenario runs; RSS grown per idle connection.
            for s in order:
                before = s.rss_kb()
                socks = idle_conns(s, idle_n)
                time.sleep(0.2)
                grown = (s.rss_kb() - before) * 1024 / idle_n
                r = measured_wrk(s, "/1k.bin", 50, secs)
                r["idle_bytes"] = grown
                put("idle", s.name, r)
                for k in socks:
                    k.close()
                time.sleep(0.2)
            for s in order:
                v = upload(s, body, upload_mb)
                if v is not None:
                    put("upload", s.name, {"mbps": v})
            done_rounds += 1
            print(f"bench: round {rnd + 1}/{rounds} done ({time.time() - started:.0f} s)",
                  file=sys.stderr)

        sysc = {}
        for s in servers:
            sysc[s.name] = (syscalls(s, "/1k.bin", False), syscalls(s, "/1k.bin", True))
    finally:
        for s in servers:
            s.stop()

    names = [s.name for s in servers]
    peers = [n for n in names if n != "webserv"]

    rows = []

    def row(label, key, field, higher_better=True, fmt="{:,.1f}", unit=""):
        per = {n: [r[field] for r in res.get((key, n), [])] for n in names}
        if not per["webserv"]:
            return
        med = {n: statistics.median(v) if v else None for n, v in per.items()}
        # ratio per round against that round's best peer, then the median
        ratios = []
        for i in range(len(per["webserv"])):
            vals = [per[p][i] for p in peers if len(per[p]) > i and per[p][i]]
            if not vals:
                continue
            best = max(vals) if higher_better else min(vals)
            ratios.append(per["webserv"][i] / best if best else 0)
        pv = {p: med[p] for p in peers if med[p] is not None}
        bestp = (max(pv, key=pv.get) if higher_better else min(pv, key=pv.get)) if pv else None
        cells = [fmt.format(med[n]) + unit if med[n] is not None else "n/a" for n in names]
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "n/a"
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {bestp or 'n/a'} | {ratio} |")

    for key, label, field, _ in scen:
        row(label, key, field, fmt="{:,.0f}" if field == "rps" else "{:,.0f}")
        if key == "ka1k":
            row("same: server CPU µs per request (lower is better)", key, "cpu_us",
                higher_better=False, fmt="{:.1f}")
    row("1 KiB keep-alive while 1000 idle connections are open: req/s", "idle", "rps",
        fmt="{:,.0f}")
    row("memory per idle keep-alive connection (lower is better)", "idle", "idle_bytes",
        higher_better=False, fmt="{:,.0f}", unit=" B")
    row(f"{upload_mb} MiB upload (PUT) to disk: MB/s", "upload", "mbps", fmt="{:,.0f}")

    def plain(label, values, higher_better=False, fmt="{:.1f}"):
        vals = {n: values.get(n) for n in names}
        pv = {p: vals[p] for p in peers if vals[p] is not None}
        bestp = (max(pv, key=pv.get) if higher_better else min(pv, key=pv.get)) if pv else None
        cells = [fmt.format(vals[n]) if vals[n] is not None else "n/a" for n in names]
        ratio = f"{vals['webserv'] / pv[bestp]:.2f}" if bestp and vals["webserv"] else "n/a"
        rows.append(f"| {label} | " + " | ".join(cells) + f" | {bestp or 'n/a'} | {ratio} |")

    plain("RSS at start, MB (lower is better)", {n: start_rss[n] / 1024 for n in names})
    plain("syscalls per keep-alive 1 KiB request (lower is better)",
          {n: sysc[n][0][0] if sysc[n][0] else None for n in names})
    plain("syscalls per request, one connection each (lower is better)",
          {n: sysc[n][1][0] if sysc[n][1] else None for n in names})

    vers = {
        "webserv": version([os.path.join(ROOT, "webserv"), "-v"]),
        "nginx": version(["nginx", "-v"]),
        "lighttpd": version(["lighttpd", "-v"]),
        "h2o": version(["h2o", "-v"]),
        "wrk": version(["wrk", "-v"]),
        "curl": version(["curl", "--version"]),
    }
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        f"# webserv side by side — {now:%Y-%m-%d %H:%M} UTC",
        "",
        f"- mode: {'quick' if quick else 'full'}: {done_rounds} rounds of {secs} s per "
        f"scenario and server, {upload_mb} MiB upload; medians of the rounds; the ratio is "
        "the median of per-round ratios webserv / best peer (for 'lower is better' rows "
        "a ratio above 1 means webserv costs more)",
        f"- machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}; load average at the end: {load}",
        f"- each server one process on CPU {SERVER_CPU}, clients on CPU {CLIENT_CPU}; "
        "loopback",
        "- versions: " + "; ".join(f"{k}: {v}" for k, v in vers.items() if k in names or k in ("wrk", "curl")),
        "",
        "| scenario | " + " | ".join(names) + " | best peer | webserv / best |",
        "|---|" + "---|" * (len(names) + 2),
    ] + rows + ["", "Syscalls per request (strace -c -f, top calls):", ""]
    for n in names:
        for label, v in (("keep-alive", sysc[n][0]), ("one connection each", sysc[n][1])):
            if v:
                lines.append(f"- {n}, {label}: {v[0]:.1f} ({v[1]})")
    parser_md = os.path.join(WORK, "parser.md")
    if os.path.exists(parser_md):
        with open(parser_md) as f:
            lines += ["", f.read().rstrip("\n")]
    text = "\n".join(lines) + "\n"
    out = args.out or os.path.join(ROOT, "bench", "results",
                                   f"{now:%Y-%m-%d-%H%M}{'-quick' if quick else ''}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)
    print(f"bench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
