#!/usr/bin/env python3
# Test fixture: sleeps one second, then answers.
import os
import sys
import time

time.sleep(1)
sys.stdout.buffer.write(b"Content-Type: text/plain\r\n\r\nslept %d\n" % os.getpid())
