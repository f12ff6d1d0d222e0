#!/usr/bin/env python3
# Test fixture: output with no header section at all (no blank line).
import sys

sys.stdout.write("just some text and no header\n")
