#!/usr/bin/env python3
# Test fixture: sends a header and the start of a body, then goes silent.
import sys
import time

sys.stdout.buffer.write(b"Content-Type: text/plain\r\n\r\npartial body\n")
sys.stdout.flush()
time.sleep(60)
