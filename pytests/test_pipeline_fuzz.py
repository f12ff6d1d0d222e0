"""End-to-end framing fuzz: mutated pipelines against the running server.

Each case is one connection carrying two or three requests: GETs of small
static files and PUTs to an upload_store whose bodies come by
Content-Length or chunked (random chunk sizes, extensions and trailers;
the body bytes often look like a request themselves).  A share of the
cases is mutated after the request lines (a byte replaced, inserted or
dropped among the header and chunk lines), every eighth one is cut short,
and every case is sent split at random points.

What webserv must answer is predicted by its own pure parser: the
differential harness's dump mode (fuzz/fuzz_differential.c, FUZZ_DIFF_DUMP)
reads the same bytes with request_parse() and chunked_decode() and gives,
message by message, accept (with where it ends, its target, decoded body
and keep-alive), reject (with the status) or "needs more bytes".  The
server must send exactly one response per accepted message, in order
(a GET's body is the file's, a PUT's Location names its file and the
stored file holds exactly the decoded body), then after a rejected one
the error with the predicted status and, when the head itself was bad,
a close; and nothing more: no
response for bytes that were inside a body or after a message still
incomplete.

Bounded: CASES cases (fewer under ASan), random.Random(SEED); FUZZ_SEED=N
picks another seed.
"""

import os
import random
import subprocess

import pytest

import wsh
from conftest import REPO

SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
CASES = 40 if wsh.ASAN else 120
QUIET = 0.3 if wsh.ASAN else 0.12   # wait that nothing more arrives
HARNESS = REPO / "build" / "fuzz" / "replay" / "fuzz_differential"

CONF = """
server {
    listen 127.0.0.1:{port};
    root {root};
    location /up/ {
        allow_methods GET HEAD PUT;
        upload_store {tmp}/store;
        alias {tmp}/store/;
        client_max_body_size 0;
    }
}
"""
FILES = {"f%d.txt" % i: ("file %d\n" % i).encode() for i in range(4)}


@pytest.fixture(scope="module")
def harness():
	r = subprocess.run(["make", "-s", "-C", str(REPO), str(HARNESS.relative_to(REPO))],
			   capture_output=True, text=True, timeout=300)
	assert r.returncode == 0, r.stdout + r.stderr
	return HARNESS


@pytest.fixture(scope="module")
def srv(module_server):
	return module_server(CONF, files=FILES, dirs=["store"])


def body_bytes(rng):
	pool = [b"hello", b"GET /f0.txt HTTP/1.1\r\nHost: x\r\n\r\n", b"\r\n", b"0\r\n\r\n",
		b"x" * rng.randrange(1, 300), bytes(rng.randrange(256) for _ in range(20))]
	return b"".join(rng.choice(pool) for _ in range(rng.randrange(0, 4)))


def chunked_body(rng, body):
	out = b""
	i = 0
	while i < len(body):
		n = rng.randrange(1, max(2, len(body) - i + 1))
		ext = rng.choice([b"", b";a=b", b";x", b' ;q="v w"'])
		size = ("%x" % n).encode()
		if rng.random() < 0.2:
			size = size.upper()
		out += size + ext + b"\r\n" + body[i:i + n] + b"\r\n"
		i += n
	trailer = rng.choice([b"", b"X-T: 1\r\n", b"A: b\r\nC: d\r\n"])
	return out + b"0\r\n" + trailer + b"\r\n"


def make_case(rng, case):
	"""The bytes of one case."""
	data = b""
	protect = []
	for k in range(rng.randrange(2, 4)):
		name = "c%d-%d" % (case, k)
		if rng.random() < 0.35:
			line = b"GET /f%d.txt HTTP/1.1\r\n" % rng.randrange(4)
			head = b"Host: localhost\r\n"
			body = b""
		else:
			line = b"PUT /up/%s HTTP/1.1\r\n" % name.encode()
			body = body_bytes(rng)
			head = b"Host: localhost\r\n"
			if rng.random() < 0.5:
				head += b"Content-Length: %d\r\n" % len(body)
			else:
				head += b"Transfer-Encoding: chunked\r\n"
				body = chunked_body(rng, body)
		protect.append((len(data), len(data) + len(line)))
		data += line + head + b"\r\n" + body
	if rng.random() < 0.5:
		# Positions chosen first, edited from the last one back, so the
		# request lines stay where they were found.
		spots = [p for p in (rng.randrange(len(data)) for _ in range(rng.randrange(1, 3)))
			 if not any(a <= p < b for a, b in protect)]
		for pos in sorted(spots, reverse=True):
			op = rng.randrange(3)
			byte = bytes([rng.choice(b"\r\n \t;:0aF\x00\x80,")])
			if op == 0:
				data = data[:pos] + byte + data[pos + 1:]
			elif op == 1:
				data = data[:pos] + byte + data[pos:]
			else:
				data = data[:pos] + data[pos + 1:]
	if case % 8 == 7:
		# Every eighth case ends early, inside some message.
		data = data[:rng.randrange(len(data) // 2, len(data))]
	return data


def predict(harness, cases, tmp):
	"""webserv's pure parser on every case: a list of message lists."""
	d = tmp / "cases"
	d.mkdir()
	for i, data in enumerate(cases):
		(d / ("%06d" % i)).write_bytes(data)
	env = dict(os.environ, FUZZ_DIFF_DUMP="1", ASAN_OPTIONS="detect_leaks=0")
	r = subprocess.run([str(harness), str(d)], env=env, capture_output=True,
			   text=True, errors="replace", timeout=300)
	assert r.returncode == 0, r.stderr[-3000:]
	out = []
	for line in r.stdout.splitlines():
		f = line.split("\t")
		if f[0] == "input":
			out.append([])
		elif f[0] == "view" and f[1] == "webserv":
			out[-1].append({"verdict": f[4], "status": int(f[5]),
					"method": bytes.fromhex(f[6]) if f[6] != "-" else b"",
					"target": bytes.fromhex(f[7]) if f[7] != "-" else b"",
					"end": int(f[12]), "keep": f[13] == "1",
					"body": bytes.fromhex(f[14]) if f[14] != "-" else b""})
	assert len(out) == len(cases)
	return out


def send_split(conn, rng, data):
	cuts = sorted(rng.randrange(1, len(data)) for _ in range(rng.randrange(0, 4)))
	prev = 0
	for c in cuts + [len(data)]:
		if not conn.send(data[prev:c]):
			return
		prev = c


def check_case(srv, rng, data, msgs):
	with wsh.Conn(srv.port, timeout=10) as c:
		send_split(c, rng, data)
		for m in msgs:
			if m["verdict"] == "more":
				break
			r = c.read_response("GET")
			if m["verdict"] == "reject":
				assert r.status == m["status"], (r.status, m)
				if m["method"]:
					# Refused after a well-framed head (501 for an
					# unknown method): the server may go on reading,
					# where the harness stops predicting.
					return
				assert c.is_closed(wsh.T(5)), "no close after %d" % r.status
				return
			if m["method"] == b"GET":
				assert r.status == 200, (r.status, m["target"])
				name = m["target"].decode().lstrip("/")
				assert r.body == FILES[name], (r.body, name)
			else:
				name = m["target"].decode().rsplit("/", 1)[1]
				assert r.status == 201, (r.status, m["target"], r.body[:200])
				assert r.header("Location", "").endswith("/up/" + name), r.headers
				stored = (srv.tmp / "store" / name).read_bytes()
				assert stored == m["body"], (name, stored[:80], m["body"][:80])
			if not m["keep"]:
				assert c.is_closed(wsh.T(5))
				return
		assert c.still_open(QUIET), "a response nobody asked for: %r" % c.buf[:200]


def test_pipelines_answered_as_the_parser_predicts(srv, harness, tmp_path):
	rng = random.Random(SEED)
	cases = [make_case(rng, i) for i in range(CASES)]
	predicted = predict(harness, cases, tmp_path)
	kinds = {"accept": 0, "reject": 0, "more": 0}
	for i, (data, msgs) in enumerate(zip(cases, predicted)):
		for m in msgs:
			kinds[m["verdict"]] += 1
		try:
			check_case(srv, random.Random(SEED * 1000 + i), data, msgs)
		except AssertionError as e:
			raise AssertionError("case %d %r: %s" % (i, data[:600], e)) from None
		if i % 20 == 19:
			# Still serving everyone else.
			r = srv.get("/f1.txt")
			assert r.status_code == 200 and r.content == FILES["f1.txt"]
	# The generator reaches all three outcomes.
	assert kinds["accept"] >= CASES and kinds["reject"] >= 1 and kinds["more"] >= 1, kinds
