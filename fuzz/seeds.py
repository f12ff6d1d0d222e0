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
    for m in ('request', 'chunked', 'uri', 'range', 'cgi_head', 'config'):
        p = f'unit/test_{m}.c'
        if os.path.exists(p):
            write(out, m, [r for r in string_runs(p) if r])
    if os.path.exists('unit/test_multipart.c'):
        write(out, 'multipart', multipart_seeds('unit/test_multipart.c'))


if __name__ == '__main__':
    main()
