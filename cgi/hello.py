#!/usr/bin/env python3
"""CGI demo: a minimal HTML page."""

import html
import os
import sys

name = os.environ.get("SERVER_NAME", "webserv")
body = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from CGI</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Hello from CGI</h1>
<p>This page was written by a Python script run by %s.</p>
<p><a href="/">Back to the home page</a></p>
</body>
</html>
""" % html.escape(name)
data = body.encode("utf-8")
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(data) + data)
