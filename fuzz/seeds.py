#!/usr/bin/env python3
"""Writes seed inputs for the harnesses from the unit-test tables.

Every run of adjacent C string literals (with simple string macros such
as `#define H "Host: a\\r\\n"` expanded) in unit/test_M.c becomes one
seed of fuzz/corpus/M/; libFuzzer's -merge=1 later keeps only those that
add coverage.  Multipart seeds pair each table's boundary with its body
(the harness reads a Content-Type line first).  Usage, from the tree's
top: python3 fuzz/seeds.py OUTDIR (one subdirectory per harness)."""

import hashlib
import os
import re
import sys

TOKEN = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*)|(//[^\n]*|/\*.*?\*/)|(\S)',
                   re.S)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out += c.encode('utf-8')
            i += 1
            continue
        i += 1
        c = s[i]
        if c == 'x':
            j = i + 1
            while j < len(s) and s[j] in '0123456789abcdefABCDEF':
                j += 1
            out.append(int(s[i + 1:j], 16) & 0xff)
            i = j
        elif c in '01234567':
            j = i
            while j < len(s) and j < i + 3 and s[j] in '01234567':
                j += 1
            out.append(int(s[i:j], 8) & 0xff)
            i = j
        else:
            out.append({'n': 10, 'r': 13, 't': 9, '0': 0, 'a': 7, 'b': 8,
                        'f': 12, 'v': 11, 'e': 27}.get(c, ord(c)))
            i += 1
    return bytes(out)


def string_runs(path):
    """Yields each maximal run of adjacent string literals / macros."""
    text = open(path, encoding='utf-8', errors='replace').read()
    macros = {}
    for m in re.finditer(r'^#define\s+(\w+)\s+(.*)$', text, re.M):
        val = b''
        ok = True
        for t in TOKEN.finditer(m.group(2)):
            if t.group(1) is not None:
                val += unescape(t.group(1))
            elif t.group(2) in macros:
                val += macros[t.group(2)]
            elif t.group(3):
                continue
            else:
                ok = False
                break
        if ok and val:
            macros[m.group(1)] = val
    body = re.sub(r'^#.*$', '', text, flags=re.M)
    run = None
    for t in TOKEN.finditer(body):
        if t.group(3):
            continue
        if t.group(1) is not None:
            run = (run or b'') + unescape(t.group(1))
        elif t.group(2) in macros:
            run = (run or b'') + macros[t.group(2)]
        else:
            if run is not None:
                yield run
            run = None
    if run is not None:
        yield run


def multipart_seeds(path):
    text = open(path, encoding='utf-8').read()
    runs = list(string_runs(path))
    # Boundaries are short runs; bodies contain "--".
    bounds = sorted({r for r in runs if 0 < len(r) <= 70 and b'\r' not in r
                     and b'\n' not in r and b' ' not in r and b'-' not in r[:2]},
                    key=len)[:8] or [b'B']
    for r in runs:
        if r.startswith(b'multipart/') or r.startswith(b' multipart'):
            yield r + b'\n'
    for r in runs:
        if b'--' not in r:
            continue
        for b in bounds:
            if b'--' + b in r:
                yield b'multipart/form-data; boundary=' + b + b'\n' + r
                break
    del text


# RFC examples (RFC 9112, 9110, 3986 5.4, 3875, 7578) and hand-made
# inputs for the harnesses whose input has a shape of its own.
EXTRA = {
    'request': [
        b'GET /pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n',
        b'GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\n'
        b'Host: www.example.org\r\n\r\n',
        b'OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n',
        b'CONNECT server.example.com:80 HTTP/1.1\r\nHost: server.example.com\r\n\r\n',
        b'PUT /somewhere/fun HTTP/1.1\r\nHost: origin.example.com\r\n'
        b'Content-Type: video/h264\r\nContent-Length: 1234567890987\r\n'
        b'Expect: 100-continue\r\n\r\n',
        b'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
        b'4\r\nWiki\r\n0\r\n\r\n',
        b'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    'chunked': [
        b'4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n',
        b'1a; ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nExpires: x\r\n\r\nGET',
    ],
    'uri': [
        b'/a/b/c/./../../g', b'mid/content=5/../6', b'/./g', b'/../g',
        b'/a/b/c/g;x=1/./y', b'/a/b/c/g?y/./x', b'/a/b/c/g#s/../x',
        b'http://a/b/c/d;p?q', b'/%2e%2e/x', b'/a%2F..%2Fb', b'/%25%32%65',
    ],
    'range': [
        b'bytes=0-499', b'bytes=500-999', b'bytes=-500', b'bytes=9500-',
        b'bytes=0-0,-1', b'bytes= 0-999, 4500-5499, -1000',
        b'bytes=500-600,601-999', b'BYTES = 1 - 2', b'items=0-1',
    ],
    'cgi_head': [
        b'Content-Type: text/html\n\n<p>',
        b'Location: http://www.example.com/\n\n',
        b'Location: /local?x=1\n\n',
        b'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n',
        b'Status: 302 Found\nLocation: //other/x\nSet-Cookie: a=1\n'
        b'Content-Length: 0\n\n',
    ],
    'multipart': [
        b'multipart/form-data; boundary=AaB03x\n'
        b'--AaB03x\r\ncontent-disposition: form-data; name="field1"\r\n'
        b'content-type: text/plain;charset=UTF-8\r\n'
        b'content-transfer-encoding: quoted-printable\r\n\r\n'
        b'Joe owes =E2=82=AC100.\r\n--AaB03x--\r\n',
        b'multipart/form-data; boundary="a b"\n--a b\r\n'
        b'Content-Disposition: form-data; name="f"; filename*=UTF-8\'\'%C3%A9.txt\r\n'
        b'\r\n\r\n--a b\r\r\n--a b--',
    ],
    'proxy': [
        b'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n'
        b'Host: 192.168.0.11\r\n\r\n',
        b'\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03'
        b'\xa6\x52\x00\x50GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n',
        b'\r\n\r\n\0\r\nQUIT\n\x21\x31\x00\xd8' + b'/tmp/a.sock'.ljust(108, b'\0')
        + b'/tmp/b.sock'.ljust(108, b'\0'),
    ],
    'config': [
        b'include a.conf;\n\0server {\n listen 80;\n root /srv;\n}\n',
        b'include srv.conf;\nserver { listen 81; }\n',
        b'types { include types.inc; }\ninclude srv.conf;\n',
        b'include a.conf;\0include a.conf;\n',
        b'server {\n listen 80;\n include a.conf;\n}\n\0location /x { root y; }\n',
    ],
}


# Inputs at the size limits (request 414/431, CGI head maximum and
# field count), which mutation alone reaches slowly.
EXTRA['request'] += [
    b'GET /' + b'a' * 8190 + b' HTTP/1.1\r\nHost: a\r\n\r\n',
    b'GET /' + b'a' * 8200 + b' HTTP/1.1\r\nHost: a\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\n' + b'X: y\r\n' * 99 + b'\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\n' + b'X: y\r\n' * 100 + b'\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nX: ' + b'v' * 32740 + b'\r\n\r\n',
]
EXTRA['cgi_head'] += [
    b'Content-Type: a/b\nX: ' + b'p' * 16360 + b'\n\n',
    b'Content-Type: a/b\n' + b'X: y\n' * 64 + b'\n',
]


def route_seeds():
    hosts = [b'example.com', b'WWW.Example.Com:8080', b'x.wild.test',
             b'dot.test', b'local', b'other.local.', b'', b'[::1]:8080']
    targets = [b'/', b'/img/a.png', b'/img/big/x', b'/exact', b'/exact/',
               b'/up/f', b'/cgi-bin/t.py', b'/rootslash/x', b'/aliasroot/etc',
               b'/a/b', b'/ab/c', b'/x/y', b'/imgx', b'http://h/img/?q',
               b'/img/', b'/img']
    for i, t in enumerate(targets):
        for j, h in enumerate(hosts):
            if (i + j) % 3 == 0:
                yield bytes([(i + j) % 8]) + h + b'\n' + t


def write(outdir, name, seeds):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    n = 0
    for s in seeds:
        h = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, 'seed-' + h), 'wb') as f:
            f.write(s)
        n += 1
    print(f'{name}: {n} seeds')


def main():
    out = sys.argv[1]
    for m in ('request', 'chunked', 'uri', 'range', 'cgi_head', 'config', 'proxy'):
        p = f'unit/test_{m}.c'
        if os.path.exists(p):
            seeds = [r for r in string_runs(p) if r]
            if m == 'config':
                for c in sorted(os.listdir('conf')):
                    if c.endswith(('.conf', '.types')):
                        seeds.append(open(os.path.join('conf', c), 'rb').read())
            write(out, m, seeds + EXTRA.get(m, []))
    if os.path.exists('unit/test_multipart.c'):
        write(out, 'multipart', list(multipart_seeds('unit/test_multipart.c'))
              + EXTRA['multipart'])
    write(out, 'route', list(route_seeds()))


if __name__ == '__main__':
    main()
