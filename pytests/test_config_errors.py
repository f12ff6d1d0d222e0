"""Configuration errors: `webserv -t CONF` prints exactly one line
`webserv: FILE:LINE: message` on stderr and exits 1; a good file prints
`webserv: CONF: syntax is ok` and exits 0."""

import os
import random
import re

import pytest

import wsh

ERR_RE = re.compile(r"^webserv: (.+?):(\d+): (.+)$")


def one_line_error(r):
	"""The failure shape of the command line: status 1, one stderr line
	starting `webserv: `.  Returns the line."""
	assert r.returncode == 1, "status %s; stderr %r" % (r.returncode, r.stderr[:500])
	lines = r.stderr.strip("\n").splitlines()
	assert len(lines) == 1, "expected one stderr line: %r" % r.stderr[:1000]
	assert lines[0].startswith("webserv: "), lines[0][:300]
	return lines[0]


def file_line_error(r, conf_dir, file, line):
	"""A `webserv: FILE:LINE: message` error naming `file` (relative names
	are taken from conf_dir) and `line` (None: any line)."""
	text = one_line_error(r)
	m = ERR_RE.match(text)
	assert m, "not 'webserv: FILE:LINE: message': %r" % text
	got = os.path.realpath(os.path.join(str(conf_dir), m.group(1)))
	assert got == os.path.realpath(str(file)), "error names %r, expected %s" % (m.group(1), file)
	if line is not None:
		assert int(m.group(2)) == line, "error at line %s, expected %d: %r" % (
			m.group(2), line, text)
	return text


def check_error(run_bin, env, line, file=None, args=("-t",)):
	"""Run the binary on env's config and check the one-line error names
	`file` (default: the main config) and `line`."""
	r = run_bin(*args, env.conf_path)
	return file_line_error(r, env.conf_path.parent,
	                       file if file is not None else env.conf_path, line)


def L(*lines, eof_newline=True):
	return "\n".join(lines) + ("\n" if eof_newline else "")


HEAD = ["server {", "    listen 127.0.0.1:{port};", "    root {root};"]

# (id, config text, expected line)
CASES = [
	# missing ';' or '}'
	("semicolon_before_brace", L("server {", "    listen 127.0.0.1:{port};",
	                             "    root {root} }"), 3),
	("semicolon_at_eof", L("server {", "    listen 127.0.0.1:{port};",
	                       "    root {root};", "}", "error_log stderr",
	                       eof_newline=False), 5),
	("brace_at_eof", L(*HEAD, eof_newline=False), 3),
	("brace_at_eof_after_location", L(*HEAD, "    location /a {", "        autoindex on;",
	                                  "    }", eof_newline=False), 6),
	("location_brace_at_eof", L(*HEAD, "    location /a {",
	                            "        autoindex on;", eof_newline=False), 5),
	("stray_close_brace", L(*HEAD, "}", "}"), 5),
	("stray_open_brace", L(*HEAD, "    {", "}"), 4),
	# unknown directives
	("unknown_in_server", L(*HEAD, "    frobnicate on;", "}"), 4),
	("unknown_top", L("frobnicate on;", *HEAD, "}"), 1),
	("unknown_in_location", L(*HEAD, "    location / {", "", "        frobnicate;",
	                          "    }", "}"), 6),
	("unknown_block", L(*HEAD, "}", "http {", "}"), 5),
	# directives in the wrong block
	("listen_top", L("listen 127.0.0.1:{port};", *HEAD, "}"), 1),
	("server_name_top", L("server_name a.test;", *HEAD, "}"), 1),
	("alias_in_server", L(*HEAD, "    alias {root};", "}"), 4),
	("upload_store_in_server", L(*HEAD, "    upload_store {root};", "}"), 4),
	("upload_store_top", L("upload_store {root};", *HEAD, "}"), 1),
	("return_top", L("return 301 http://x.test/;", *HEAD, "}"), 1),
	("server_name_in_location", L(*HEAD, "    location / {", "        server_name a.test;",
	                              "    }", "}"), 5),
	("listen_in_location", L(*HEAD, "    location / {", "        listen 127.0.0.1:{port2};",
	                         "    }", "}"), 5),
	("error_log_in_server", L(*HEAD, "    error_log stderr;", "}"), 4),
	("access_log_in_location", L(*HEAD, "    location / {", "        access_log off;",
	                             "    }", "}"), 5),
	("types_in_location", L(*HEAD, "    location / {", "        types { text/plain txt; }",
	                        "    }", "}"), 5),
	("server_in_server", L(*HEAD, "    server {", "    }", "}"), 4),
	("location_top", L("location / {", "}", *HEAD, "}"), 1),
	# bad sizes
	("size_suffix", L(*HEAD, "    client_max_body_size 10x;", "}"), 4),
	("size_negative", L(*HEAD, "    client_max_body_size -1;", "}"), 4),
	("size_word", L(*HEAD, "    client_max_body_size abc;", "}"), 4),
	("size_double_suffix", L(*HEAD, "    client_max_body_size 1kk;", "}"), 4),
	("size_overflow", L(*HEAD, "    client_max_body_size 99999999999999999999999g;", "}"), 4),
	# bad times
	("time_unit", L(*HEAD, "    client_header_timeout 5y;", "}"), 4),
	("time_negative", L(*HEAD, "    keepalive_timeout -1;", "}"), 4),
	("time_word", L(*HEAD, "    send_timeout abc;", "}"), 4),
	("time_unit_only", L("client_body_timeout s;", *HEAD, "}"), 1),
	# bad ports
	("port_too_big", L("server {", "    root {root};", "    listen 127.0.0.1:70000;", "}"), 3),
	("port_65536", L("server {", "    root {root};", "    listen 65536;", "}"), 3),
	("port_word", L("server {", "    root {root};", "    listen 127.0.0.1:http;", "}"), 3),
	("port_negative", L("server {", "    root {root};", "    listen -1;", "}"), 3),
	("port_empty", L("server {", "    root {root};", "    listen 127.0.0.1:;", "}"), 3),
	# bad methods
	("method_unknown", L(*HEAD, "    allow_methods GET FOO;", "}"), 4),
	("method_options", L(*HEAD, "    location / {", "        allow_methods GET OPTIONS;",
	                     "    }", "}"), 5),
	("method_patch_top", L("allow_methods PATCH;", *HEAD, "}"), 1),
	# bad numbers / values
	("error_page_code", L(*HEAD, "    error_page 4x4 /e.html;", "}"), 4),
	("return_code_word", L(*HEAD, "    location /r {", "        return abc;", "    }", "}"), 5),
	("autoindex_value", L(*HEAD, "    autoindex maybe;", "}"), 4),
	("root_no_arg", L("server {", "    listen 127.0.0.1:{port};", "    root;", "}"), 3),
	("listen_no_arg", L("server {", "    listen;", "    root {root};", "}"), 2),
	# duplicate listen in one server
	("duplicate_listen", L("server {", "    listen 127.0.0.1:{port};", "    root {root};",
	                       "    listen 127.0.0.1:{port};", "}"), 4),
	# paths that do not exist
	("root_missing", L("server {", "    listen 127.0.0.1:{port};",
	                   "    root {tmp}/does-not-exist;", "}"), 3),
	("root_missing_top", L("root /nonexistent-webserv-dir/x;", "server {",
	                       "    listen 127.0.0.1:{port};", "}"), 1),
	("alias_missing", L(*HEAD, "    location /a/ {", "        alias {tmp}/no-such-dir/;",
	                    "    }", "}"), 5),
	("upload_store_missing", L(*HEAD, "    location /up {", "        allow_methods POST;",
	                           "        upload_store {tmp}/no-store;", "    }", "}"), 6),
	("include_missing", L("server {", "    listen 127.0.0.1:{port};",
	                      "    include {tmp}/no-such-file.conf;", "    root {root};", "}"), 3),
	# events poll|epoll (top level, once)
	("events_unknown", L("", "events kqueue;", *HEAD, "}"), 2),
	("events_no_arg", L("events;", *HEAD, "}"), 1),
	("events_two_args", L("events poll epoll;", *HEAD, "}"), 1),
	("events_duplicate", L("events poll;", "events poll;", *HEAD, "}"), 2),
	("events_in_server", L(*HEAD, "    events epoll;", "}"), 4),
]


# More wrong configurations, each with the line of its error.
CASES += [
	("alias_top", L("alias {root};", *HEAD, "}"), 1),
	("location_in_location", L(*HEAD, "    location /a {", "        location /a/b { }",
	                           "    }", "}"), 5),
	("max_connections_in_server", L(*HEAD, "    max_connections 10;", "}"), 4),
	("error_log_in_location", L(*HEAD, "    location / {", "        error_log stderr;",
	                            "    }", "}"), 5),
	("return_no_arg_after_types", L(*HEAD, "    types {", "        text/plain txt;",
	                                "    }", "    return;", "}"), 7),
	("autoindex_no_arg", L(*HEAD, "    autoindex;", "}"), 4),
	("autoindex_two_args", L(*HEAD, "    autoindex on off;", "}"), 4),
	("cgi_one_arg", L(*HEAD, "    cgi .py;", "}"), 4),
	("return_no_arg", L(*HEAD, "    location /r {", "        return;", "    }", "}"), 5),
	("return_three_args", L(*HEAD, "    location /r {", "        return 301 /a /b;",
	                        "    }", "}"), 5),
	("error_page_no_uri", L(*HEAD, "    error_page 404;", "}"), 4),
	("size_two_args", L(*HEAD, "    client_max_body_size 1k 2k;", "}"), 4),
	("location_no_prefix", L(*HEAD, "    location {", "    }", "}"), 4),
	("location_eq_no_prefix", L(*HEAD, "    location = {", "    }", "}"), 4),
	("index_no_arg", L(*HEAD, "    index;", "}"), 4),
	("server_name_no_arg", L(*HEAD, "    server_name;", "}"), 4),
	("root_twice", L(*HEAD, "    root {root};", "}"), 4),
	("autoindex_twice", L(*HEAD, "    autoindex on;", "    autoindex off;", "}"), 5),
	("root_and_alias", L(*HEAD, "    location /a/ {", "        root {root};",
	                     "        alias {root}/;", "    }", "}"), 6),
	("dup_listen_port_vs_wildcard", L("server {", "    listen {port};",
	                                  "    listen 0.0.0.0:{port};", "    root {root};", "}"), 3),
	("dup_listen_star_vs_port", L("server {", "    listen *:{port};",
	                              "    listen {port};", "    root {root};", "}"), 3),
	("dup_listen_localhost", L("server {", "    listen localhost:{port};",
	                           "    listen 127.0.0.1:{port};", "    root {root};", "}"), 3),
	("listen_port_zero", L("server {", "    listen 127.0.0.1:0;", "    root {root};", "}"), 2),
	("listen_bad_host", L("server {", "    listen 300.1.1.1:{port};", "    root {root};", "}"), 2),
	("listen_hostname", L("server {", "    listen example.invalid:{port};",
	                      "    root {root};", "}"), 2),
	("time_suffix_upper_junk", L("keepalive_timeout 5 s;", *HEAD, "}"), 1),
	("time_ms_fraction", L("keepalive_timeout 1.5s;", *HEAD, "}"), 1),
	("method_lowercase", L(*HEAD, "    allow_methods get;", "}"), 4),
	("cgi_ext_without_dot", L(*HEAD, "    cgi py /usr/bin/python3;", "}"), 4),
]


@pytest.mark.parametrize("conf,line", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_error_line(run_bin, make_env, conf, line):
	env = make_env(conf)
	check_error(run_bin, env, line)


@pytest.mark.parametrize("conf,line", [c[1:] for c in CASES if c[0] in (
	"semicolon_before_brace", "brace_at_eof", "unknown_in_server", "size_suffix",
	"port_too_big", "duplicate_listen", "root_missing")],
	ids=["semicolon_before_brace", "brace_at_eof", "unknown_in_server", "size_suffix",
	     "port_too_big", "duplicate_listen", "root_missing"])
def test_config_error_without_t(run_bin, make_env, conf, line):
	"""The same error when starting for real: one line, exit 1."""
	env = make_env(conf)
	check_error(run_bin, env, line, args=())


def test_error_in_included_file_names_it(run_bin, make_env):
	env = make_env(L("include extra.conf;", *HEAD, "}"),
	               tmpfiles={"extra.conf": L("# extra", "bogus_directive on;")})
	check_error(run_bin, env, 2, file=str(env.tmp / "extra.conf"))


def test_error_in_file_included_inside_server(run_bin, make_env):
	env = make_env(L(*HEAD, "    include {tmp}/inc/locs.conf;", "}"),
	               tmpfiles={"inc/locs.conf": L("location /a {", "    autoindex on;", "}",
	                                             "location /b {", "    autoindex bad;", "}")})
	check_error(run_bin, env, 5, file=str(env.tmp / "inc" / "locs.conf"))


def test_missing_brace_in_included_file(run_bin, make_env):
	env = make_env(L(*HEAD, "    include {tmp}/locs.conf;", "}"),
	               tmpfiles={"locs.conf": L("location /a {", "    autoindex on;",
	                                         eof_newline=False)})
	# the included file ends inside its block: that is its own error, or the
	# main file's error at the closing brace; either way FILE:LINE is stated
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 1
	lines = r.stderr.strip().splitlines()
	assert len(lines) == 1 and ERR_RE.match(lines[0]), r.stderr


def test_error_after_include_has_main_file_line(run_bin, make_env):
	"""Lines in the main file keep counting correctly after an include."""
	env = make_env(L("include {tmp}/types.conf;", *HEAD, "    nonsense 1;", "}"),
	               tmpfiles={"types.conf": L("types {", "    text/plain txt;",
	                                          "    text/html html;", "}")})
	check_error(run_bin, env, 5)


# Inputs that must give one error line and exit 1: never a crash or a hang.
GARBAGE = [
	("empty", ""),
	("only_comment", "# nothing here\n"),
	("lone_open", "{"),
	("lone_close", "}"),
	("binary", "\x00\x01\x02\xff\xfe server { listen 1; }"),
	("nul_in_token", "server {\n    listen 127.0.0.1:{port};\n    root {root}\x00x;\n}\n"),
	("deep_nesting", "server " + "{ " * 20000),
	("deep_nesting_locations", "server { listen 127.0.0.1:{port}; root {root}; "
	                           + "location / { " * 5000),
	("huge_token", "server { listen 127.0.0.1:{port}; root {root}; server_name "
	               + "a" * 1000000 + " }"),
	("unterminated_quote", 'server {\n    listen 127.0.0.1:{port};\n    server_name "abc;\n}\n'),
	("many_semicolons", ";" * 10000),
	("semicolon_only_directive", "server { ; }"),
	("server_without_block", "server;\n"),
	("server_args", "server foo { listen 127.0.0.1:{port}; root {root}; }\n"),
]


@pytest.mark.parametrize("conf", [g[1] for g in GARBAGE], ids=[g[0] for g in GARBAGE])
def test_garbage_config_is_one_line_error(run_bin, make_env, conf):
	env = make_env(conf)
	r = run_bin("-t", env.conf_path, timeout=10)
	assert r.returncode == 1, "status %s; stderr %r" % (r.returncode, r.stderr[:2000])
	lines = r.stderr.strip("\n").splitlines()
	assert len(lines) == 1, "expected one stderr line: %r" % r.stderr[:2000]
	assert ERR_RE.match(lines[0]) or lines[0].startswith("webserv: "), lines[0][:300]


def test_self_include_does_not_hang(run_bin, make_env):
	env = make_env(L("include {tmp}/loop.conf;", *HEAD, "}"),
	               tmpfiles={"loop.conf": "include {tmp}/loop.conf;\n"})
	r = run_bin("-t", env.conf_path, timeout=10)
	assert r.returncode == 1
	lines = r.stderr.strip().splitlines()
	assert len(lines) == 1 and lines[0].startswith("webserv: "), r.stderr[:2000]


FULL = """# every directive of the contract, in the places it may stand
error_log stderr;
access_log off;
include {tmp}/mime.types;
client_max_body_size 2m;      # trailing comment
client_header_timeout 10s;
client_body_timeout 500ms;
keepalive_timeout 1m;
send_timeout 1h;
cgi_timeout 30;
index index.html "index.htm";
autoindex off;
allow_methods GET HEAD;
root {root};
error_page 404 /404.html;
cgi .sh /bin/sh;

server {
    listen 127.0.0.1:{port};
    listen {port2};
    server_name a.test "b.test" *.c.test;
    access_log {tmp}/access.log;
    client_max_body_size 1k;
    error_page 500 502 503 504 /50x.html;
    types {
        application/x-webserv-test wst;
        text/plain txt text;
    }
    location / {
        autoindex on;
        index alt.html;
    }
    location = /exact { return 200 "exact text"; }
    location /old { return 301 http://example.test/new; }
    location /gone { return 410 "gone"; }
    location /up {
        allow_methods GET POST PUT DELETE;
        upload_store {tmp}/store;
        alias {tmp}/store;
        client_max_body_size 0;
    }
    location /big { client_max_body_size 1g; keepalive_timeout 2h; send_timeout 100ms; }
    location /cgi-bin {
        cgi .py /usr/bin/python3;
        cgi_timeout 5s;
        client_body_timeout 3;
        client_header_timeout 1s;
        error_page 403 /403.html;
    }
}

server {
    listen 127.0.0.1:{port};
    server_name other.test;
    return 404;
}

server {
    listen 127.0.0.1:{port3};
    root {tmp}/store;
    location /x { root {root}; }
}
"""


def test_full_config_syntax_ok(run_bin, make_env):
	env = make_env(FULL, dirs=["store"],
	               tmpfiles={"mime.types": "types {\n    text/html html htm;\n"
	                                        "    image/png png;\n}\n"})
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	assert r.stderr.strip() == "webserv: %s: syntax is ok" % env.conf_path


def test_full_config_runs(server):
	srv = server(FULL, dirs=["store"],
	             tmpfiles={"mime.types": "types {\n    text/html html htm;\n"
	                                      "    image/png png;\n}\n",
	                       "store/pic.png": b"\x89PNG"},
	             files={"alt.html": b"<p>alt</p>", "file.wst": b"w"})
	r = srv.get("/")
	assert r.status_code == 200 and r.content == b"<p>alt</p>"
	assert srv.get("/exact").text == "exact text"
	r = srv.get("/file.wst")
	assert r.headers["Content-Type"].split(";")[0] == "application/x-webserv-test"
	r = wsh.exchange(srv.port3, wsh.get("/pic.png"))
	assert r.status == 200 and r.content_type == "image/png"
	r = wsh.exchange(srv.port, wsh.get("/", host="other.test"))
	assert r.status == 404 and r.content_type == "text/html"
	r = wsh.exchange(srv.port, wsh.get("/old/x"))
	assert r.status == 301 and r.header("Location") == "http://example.test/new"


# -- paths in messages: whole, never cut ----------------------------------------------

LONG = "/".join(["long-directory-name-%02d-%s" % (i, "x" * 60) for i in range(12)])


@pytest.mark.parametrize("args", [("-t",), ()], ids=["-t", "start"])
@pytest.mark.parametrize("directive", ["root", "alias", "upload_store"])
def test_missing_directory_named_in_full(run_bin, make_env, directive, args):
	"""A relative path (about 1 KB here) is shown resolved, in full, with
	the word the configuration used; the same for -t and a real start."""
	word = "www/" + LONG + "/no-such-dir"
	where = ["    root {root};"] if directive != "root" else []
	env = make_env(L("server {", "    listen 127.0.0.1:{port};", *where,
	                 "    location /x/ {", "        %s %s;" % (directive, word),
	                 "    }", "}"))
	line = check_error(run_bin, env, 5 if where else 4, args=args)
	resolved = os.path.join(os.path.realpath(str(env.tmp)), word)
	assert '%s directory "%s" (given as "%s") does not exist' % (directive, resolved, word) \
		in line, line


@pytest.mark.parametrize("args", [("-t",), ()], ids=["-t", "start"])
def test_missing_absolute_directory_named_in_full(run_bin, make_env, args):
	path = "/nonexistent-" + LONG + "/end"
	env = make_env(L("server {", "    listen 127.0.0.1:{port};", "    root %s;" % path, "}"))
	line = check_error(run_bin, env, 3, args=args)
	assert line.endswith(': root directory "%s" does not exist' % path), line


def test_missing_include_named_in_full(run_bin, make_env):
	word = LONG + "/extra.conf"
	env = make_env(L("include %s;" % word, *HEAD, "}"))
	line = check_error(run_bin, env, 1)
	resolved = os.path.join(os.path.realpath(str(env.tmp)), word)
	assert line.endswith('cannot open "%s" (given as "%s"): No such file or directory' % (resolved, word)), line


def test_long_included_file_name_in_full(run_bin, make_env):
	"""The FILE of FILE:LINE is the whole name of the file holding the error."""
	rel = LONG + "/bad.conf"
	env = make_env(L("include %s;" % rel, *HEAD, "}"), tmpfiles={rel: L("# bad", "bogus on;")})
	check_error(run_bin, env, 2, file=str(env.tmp / rel))


# -- more errors, each naming its file and line; odd CONFIG files ------------



def test_nested_include_error_names_innermost_file(run_bin, make_env):
	env = make_env(L("# main", "include {tmp}/a.conf;", *HEAD, "}"),
	               tmpfiles={"a.conf": L("# a", "", "include {tmp}/sub/b.conf;"),
	                         "sub/b.conf": L("# b", "keepalive_timeout 5s;",
	                                         "client_max_body_size 12q;")})
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.tmp / "sub" / "b.conf", 3)


def test_include_inside_location_error_names_included_file(run_bin, make_env):
	env = make_env(L(*HEAD, "    location /x {", "        include {tmp}/loc.conf;", "    }", "}"),
	               tmpfiles={"loc.conf": L("autoindex on;", "listen 127.0.0.1:1234;")})
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.tmp / "loc.conf", 2)


def test_include_depth_limit_is_an_error(run_bin, make_env):
	"""A chain of 20 nested includes (past the documented limit of 16):
	an error, not a hang or a crash."""
	files = {"inc%d.conf" % i: "include {tmp}/inc%d.conf;\n" % (i + 1) for i in range(20)}
	files["inc20.conf"] = "# end\n"
	env = make_env(L("include {tmp}/inc0.conf;", *HEAD, "}"), tmpfiles=files)
	r = run_bin("-t", env.conf_path, timeout=10)
	text = one_line_error(r)
	assert ERR_RE.match(text), text


@pytest.mark.parametrize("what", ["directory", "fifo"])
def test_include_of_a_non_file(run_bin, make_env, what):
	env = make_env(L("include {tmp}/thing;", *HEAD, "}"))
	p = env.tmp / "thing"
	if what == "directory":
		p.mkdir()
	else:
		os.mkfifo(p)
	r = run_bin("-t", env.conf_path, timeout=10)
	one_line_error(r)


def test_crlf_config_lines_counted(run_bin, make_env):
	"""A configuration saved with CRLF line ends: it parses, and line
	numbers still count lines."""
	env = make_env(L(*HEAD, "    autoindex on;", "}"))
	good = env.conf_text.replace("\n", "\r\n")
	env.conf_path.write_text(good)
	r = run_bin("-t", env.conf_path)
	assert r.returncode == 0, r.stderr
	bad = env.subst(L(*HEAD, "    autoindex on;", "    bogus 1;", "}")).replace("\n", "\r\n")
	env.conf_path.write_text(bad)
	r = run_bin("-t", env.conf_path)
	file_line_error(r, env.tmp, env.conf_path, 5)


@pytest.mark.parametrize("what", ["directory", "fifo", "devnull", "random_bytes", "nul_bytes",
                                  "utf16"])
def test_odd_config_files_one_line_error(run_bin, tmp_path, what):
	"""Whatever CONFIG names, the answer is one `webserv: ...` line and
	status 1, promptly."""
	p = tmp_path / "conf"
	if what == "directory":
		p.mkdir()
	elif what == "fifo":
		os.mkfifo(p)
	elif what == "devnull":
		p = "/dev/null"
	elif what == "random_bytes":
		p.write_bytes(random.Random(7).randbytes(8192))
	elif what == "nul_bytes":
		p.write_bytes(b"\0" * 4096)
	else:
		p.write_bytes("server { listen 1; }".encode("utf-16"))
	for args in (("-t", p), (p,)):
		r = run_bin(*args, timeout=10)
		one_line_error(r)
