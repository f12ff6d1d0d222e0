#!/usr/bin/env python3
"""CGI demo: the environment the server passed, as an HTML table."""

import html
import os
import sys

rows = []
for key in sorted(os.environ):
	rows.append("<tr><th>%s</th><td><code>%s</code></td></tr>"
	            % (html.escape(key), html.escape(os.environ[key])))
body = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>CGI environment</title><link rel="stylesheet" href="/style.css"></head>
<body>
<h1>CGI environment</h1>
<table>
%s
</table>
<p><a href="/">Back to the home page</a></p>
</body>
</html>
""" % "\n".join(rows)
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\n\r\n"
                        + body.encode("utf-8", "surrogateescape"))
