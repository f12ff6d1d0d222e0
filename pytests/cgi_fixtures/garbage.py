#!/usr/bin/env python3
# Test fixture: a header section that is not one.
import sys

sys.stdout.buffer.write(b"this is not a header line\r\n\x01\x02:::\r\n\r\nbody\n")
