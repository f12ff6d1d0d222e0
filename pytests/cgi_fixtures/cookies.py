#!/usr/bin/env python3
# Test fixture: several Set-Cookie header lines and a custom header.
import sys

sys.stdout.buffer.write(
	b"Content-Type: text/plain\r\n"
	b"Set-Cookie: a=1; Path=/\r\n"
	b"X-Script: yes\r\n"
	b"Set-Cookie: b=2; Path=/; HttpOnly\r\n"
	b"Set-Cookie: c=3, with comma; Path=/\r\n"
	b"\r\n"
	b"cookies\n")
