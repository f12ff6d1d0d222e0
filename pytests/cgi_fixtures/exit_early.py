#!/usr/bin/env python3
# Test fixture: exits with a failure status before writing anything.
import sys

sys.exit(3)
