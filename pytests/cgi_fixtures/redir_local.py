#!/usr/bin/env python3
# Test fixture: a local redirect (Location: /path, no Status) to ?to=...
import os
import sys
from urllib.parse import parse_qs

to = parse_qs(os.environ.get("QUERY_STRING", "")).get("to", ["/target.txt"])[0]
sys.stdout.buffer.write(b"Location: %s\r\n\r\n" % to.encode())
