"""Process inspection for the webserv pytest suite: is a pid alive, the
children of a pid, peak memory, and waiting for a condition (bounded)."""

import os
import time

import wsh


def wait_for(pred, timeout, step=0.05):
	"""Poll pred until it is true or timeout seconds passed; its last value."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if pred():
			return True
		time.sleep(step)
	return pred()


def pid_alive(pid):
	"""True while pid exists and is not a zombie."""
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return st[st.rfind(")") + 2:].split()[0] != "Z"


def children_of(pid):
	"""[(child pid, state letter)] of the processes whose parent is pid."""
	out = []
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				st = f.read()
		except OSError:
			continue
		rest = st[st.rfind(")") + 2:].split()
		if len(rest) >= 2 and int(rest[1]) == pid:
			out.append((int(d), rest[0]))
	return out


def read_pid(path, timeout=5.0):
	"""The pid a script wrote to path (a pathlib.Path), waiting for it."""
	assert wait_for(path.exists, wsh.T(timeout)), "script never wrote %s" % path
	return int(path.read_text())


def vm_kib(pid, field):
	"""A memory figure of pid from /proc/PID/status ("VmHWM", "VmRSS"), in KiB."""
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith(field + ":"):
				return int(line.split()[1])
	raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def vm_hwm_kib(pid):
	"""Peak resident memory of pid, in KiB."""
	return vm_kib(pid, "VmHWM")


def vm_rss_kib(pid):
	"""Resident memory of pid, in KiB."""
	return vm_kib(pid, "VmRSS")
