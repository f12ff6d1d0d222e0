#!/usr/bin/env python3
# Test fixture: a local redirect to itself, forever.
import os
import sys

sys.stdout.buffer.write(b"Location: %s\r\n\r\n" % os.environ["SCRIPT_NAME"].encode())
