#!/usr/bin/env python3
# Test fixture: answers with the Status given in the query (code=NNN).
import os
import sys
from urllib.parse import parse_qs

q = parse_qs(os.environ.get("QUERY_STRING", ""))
code = q.get("code", ["200"])[0]
reason = q.get("reason", ["Custom Reason"])[0]
body = b"status body %s\n" % code.encode()
sys.stdout.buffer.write(b"Status: %s %s\r\nContent-Type: text/plain\r\n\r\n"
                        % (code.encode(), reason.encode()) + body)
