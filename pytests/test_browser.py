"""The demo in a real browser: headless Chromium, driven by Selenium
through chromedriver, against the demo site as conf/default.conf serves it
(pytests/demo.py: a temp copy, free ports, a temp upload store).

The home page; two files uploaded through the form, one with a non-ASCII
name, and the reply that names and links both; the uploads listing and its
delete buttons; the session demo (log in, count visits, log out, the cookie
gone); the custom 404 page; and a refresh of a POST result that stores no
duplicate.  A failing test leaves a screenshot (and the page source) under
build/.  Every wait is bounded; Chromium and chromedriver are always
ended, by PID.

Chromium, chromedriver and Selenium are Debian packages that `make test`
installs (ci/deps.sh); without them the tests are skipped, except under
CI=true, where they fail."""

import os
import re
import signal
import time
import urllib.parse
from pathlib import Path

import pytest

import demosite as demo
import wsh

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 5  # seconds, for every wait on the page
BUILD = demo.REPO / "build"

try:
	from selenium import webdriver
	from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
	from selenium.webdriver.chrome.service import Service
	from selenium.webdriver.common.by import By
	from selenium.webdriver.support import expected_conditions as EC
	from selenium.webdriver.support.ui import WebDriverWait
	HAVE_SELENIUM = True
except ImportError:
	HAVE_SELENIUM = False

MISSING = [what for what, ok in (("python3-selenium", HAVE_SELENIUM),
                                 ("chromium", os.access(CHROMIUM, os.X_OK)),
                                 ("chromium-driver", os.access(CHROMEDRIVER, os.X_OK))) if not ok]
if MISSING:
	if os.environ.get("CI") == "true":
		raise RuntimeError("the browser tests need %s (ci/deps.sh installs them)" % ", ".join(MISSING))
	pytest.skip("needs %s: `make deps` installs them" % ", ".join(MISSING), allow_module_level=True)


# -- processes ------------------------------------------------------------------

def _children():
	"""{pid: ppid} of every process."""
	out = {}
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				stat = f.read()
		except OSError:
			continue
		# "pid (comm) state ppid ...": comm may hold spaces and parens.
		out[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
	return out


def descendants(pid):
	"""The PIDs below pid (chromedriver's Chromium processes)."""
	tree = _children()
	found, todo = [], [pid]
	while todo:
		p = todo.pop()
		kids = [c for c, pp in tree.items() if pp == p]
		found += kids
		todo += kids
	return found


def end_pids(pids):
	"""SIGKILL each PID still alive (only processes this file started)."""
	for p in pids:
		try:
			os.kill(p, signal.SIGKILL)
		except OSError:
			pass


# -- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="module")
def srv(module_server):
	return demo.start(module_server)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
	profile = tmp_path_factory.mktemp("chromium")
	opts = webdriver.ChromeOptions()
	opts.binary_location = CHROMIUM
	for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
	          "--no-first-run", "--no-default-browser-check", "--disable-extensions",
	          "--disable-background-networking", "--disable-sync", "--no-proxy-server",
	          "--password-store=basic", "--window-size=1000,800",
	          "--user-data-dir=%s" % profile):
		opts.add_argument(a)
	service = Service(CHROMEDRIVER, port=wsh.free_port(),
	                  log_path=str(tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"))
	driver = None
	pids = []
	try:
		driver = webdriver.Chrome(service=service, options=opts)
		driver.set_page_load_timeout(10)
		driver.set_script_timeout(WAIT)
		yield driver
	finally:
		proc = getattr(service, "process", None)
		if proc is not None:
			pids = descendants(proc.pid) + [proc.pid]
		try:
			if driver is not None:
				driver.quit()
			else:
				service.stop()
		finally:
			end_pids(pids)
			if proc is not None:
				try:
					proc.wait(timeout=5)
				except Exception:  # noqa: BLE001 - already killed above
					pass


@pytest.fixture
def b(browser, srv, request):
	"""The browser, with no cookies, on the demo server; a screenshot and
	the page source go to build/ when the test fails."""
	failed = request.session.testsfailed
	browser.delete_all_cookies()
	browser.base = srv.url
	yield browser
	if request.session.testsfailed > failed:
		BUILD.mkdir(exist_ok=True)
		stem = BUILD / ("browser-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))
		try:
			browser.save_screenshot(str(stem) + ".png")
			Path(str(stem) + ".html").write_text(browser.page_source)
		except WebDriverException:
			pass


def go(b, path):
	b.get(b.base + path)


def wait(b, cond, what):
	return WebDriverWait(b, WAIT).until(cond, message="waited %ds for %s" % (WAIT, what))


def styled(b):
	"""Is /style.css applied (its max-width on body)?"""
	return b.execute_script("return getComputedStyle(document.body).maxWidth") == "736px"


def store_names(srv):
	return sorted(n for n in os.listdir(srv.root / "uploads") if not n.startswith("."))


# -- the tests ------------------------------------------------------------------

def test_home_page(b):
	go(b, "/")
	assert b.title == "webserv"
	assert b.find_element(By.TAG_NAME, "h1").text == "webserv"
	assert b.execute_script("return document.characterSet") == "UTF-8"
	assert styled(b)
	links = [a.get_attribute("href") for a in b.find_elements(By.TAG_NAME, "a")]
	assert b.base + "/upload.html" in links and b.base + "/cgi/session.py" in links
	b.find_element(By.CSS_SELECTOR, 'a[href="/about.html"]').click()
	wait(b, EC.title_is("About webserv"), "the about page")
	assert styled(b)


def test_upload_two_files_through_the_form(b, srv, tmp_path):
	names = ["r\u00e9sum\u00e9 \u00fc.txt", "plain.txt"]
	paths = []
	for n in names:
		p = tmp_path / n
		p.write_text("Gr\u00fc\u00dfe from %s\n" % n, encoding="utf-8")
		paths.append(str(p))
	before = store_names(srv)
	go(b, "/upload.html")
	assert styled(b)
	b.find_element(By.ID, "files").send_keys("\n".join(paths))
	b.find_element(By.ID, "upload").click()
	# The script posted the files, then loaded the page by GET.
	wait(b, EC.url_contains("?stored="), "the result page")
	wait(b, EC.visibility_of_element_located((By.ID, "result")), "the result")
	links = b.find_elements(By.CSS_SELECTOR, "#stored a")
	assert sorted(a.text for a in links) == sorted(names)
	for a in links:
		assert a.get_attribute("href") == b.base + "/uploads/" + urllib.parse.quote(a.text)
	assert store_names(srv) == sorted(before + names)
	# The link serves the file, as UTF-8 text (`charset utf-8;`).
	[a] = [a for a in links if a.text == names[0]]
	a.click()
	wait(b, EC.url_contains("/uploads/r%C3%A9sum%C3%A9"), "the stored file")
	assert b.find_element(By.TAG_NAME, "body").text == "Gr\u00fc\u00dfe from %s" % names[0]
	b.back()
	wait(b, EC.url_contains("?stored="), "the result page again")

	# A refresh of the result repeats no POST: nothing is stored twice.
	b.refresh()
	wait(b, EC.visibility_of_element_located((By.ID, "result")), "the result after a refresh")
	assert sorted(a.text for a in b.find_elements(By.CSS_SELECTOR, "#stored a")) == sorted(names)
	time.sleep(0.3)  # a stray POST would have landed by now
	assert store_names(srv) == sorted(before + names)
	for n in names:
		srv.http("DELETE", "/uploads/" + urllib.parse.quote(n))


def listing(d):
	"""The names the uploads page lists, or None while it is being redrawn."""
	try:
		return {a.text for a in d.find_elements(By.CSS_SELECTOR, "#listing a")}
	except StaleElementReferenceException:
		return None


def test_uploads_listing_and_delete_button(b, srv):
	for n in ("keep me.txt", "delete me \u00e9.txt"):
		r = srv.http("PUT", "/uploads/" + urllib.parse.quote(n), data=b"x")
		assert r.status_code in (201, 204)
	go(b, "/upload.html")
	both = {"keep me.txt", "delete me \u00e9.txt"}
	wait(b, lambda d: both <= (listing(d) or set()), "the listing")
	button = b.find_element(By.CSS_SELECTOR, 'button.delete[data-name="delete me \u00e9.txt"]')
	button.click()
	wait(b, EC.text_to_be_present_in_element((By.ID, "status"), "Deleted"), "the deletion")
	# The list is redrawn: read it only once it shows the deletion.
	wait(b, lambda d: (lambda l: l is not None and "delete me \u00e9.txt" not in l
	                   and "keep me.txt" in l)(listing(d)), "the list refreshed")
	assert "delete me \u00e9.txt" not in store_names(srv)
	assert "keep me.txt" in store_names(srv)
	# The plain listing agrees.
	go(b, "/uploads/")
	listed = {a.text for a in b.find_elements(By.CSS_SELECTOR, "pre a")}
	assert "keep me.txt" in listed and "delete me \u00e9.txt" not in listed
	srv.http("DELETE", "/uploads/keep%20me.txt")


def test_session_demo(b):
	go(b, "/cgi/session.py")
	assert styled(b)
	assert b.get_cookie("SID") is None
	b.find_element(By.NAME, "name").send_keys("Zo\u00eb")
	b.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
	wait(b, EC.presence_of_element_located((By.ID, "visits")), "the logged-in page")
	assert b.find_element(By.ID, "name").text == "Zo\u00eb"
	assert b.find_element(By.ID, "visits").text == "1"
	sid = b.get_cookie("SID")
	assert sid and re.fullmatch(r"[0-9a-f]{32}", sid["value"]) and sid["httpOnly"]
	# Post/Redirect/Get: a refresh is a GET and counts a visit.
	b.refresh()
	wait(b, EC.text_to_be_present_in_element((By.ID, "visits"), "2"), "the second visit")
	b.find_element(By.LINK_TEXT, "Reload").click()
	wait(b, EC.text_to_be_present_in_element((By.ID, "visits"), "3"), "the third visit")
	assert b.get_cookie("SID")["value"] == sid["value"]
	b.find_element(By.XPATH, "//button[text()='Log out']").click()
	wait(b, EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "logged out"), "the logout")
	assert b.get_cookie("SID") is None
	b.refresh()
	wait(b, EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "not logged in"),
	     "the login form after a refresh")
	assert b.get_cookie("SID") is None


def test_custom_404_page(b):
	go(b, "/no/such/page.html")
	assert b.title == "404 Not Found"
	assert b.find_element(By.TAG_NAME, "h1").text == "404 \u2014 nothing here"
	assert styled(b)
	b.find_element(By.LINK_TEXT, "Go home").click()
	wait(b, EC.title_is("webserv"), "the home page")


def test_refresh_after_a_form_post_stores_no_duplicate(b, srv, tmp_path):
	# upload.py receives a real form POST (no script): it answers 303 to a
	# GET page, so the browser's refresh repeats the GET only.
	up = srv.tmp / "cgi" / "uploads"
	p = tmp_path / "na\u00efve.txt"
	p.write_text("once\n", encoding="utf-8")
	go(b, "/cgi/upload.py")
	assert styled(b)
	b.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(p))
	b.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
	wait(b, EC.url_contains("stored="), "the page after the POST")
	assert [e.text for e in b.find_elements(By.CSS_SELECTOR, "#stored code")] == ["na\u00efve.txt"]
	stored = sorted(os.listdir(up))
	assert stored.count("na\u00efve.txt") == 1
	for _ in range(2):
		b.refresh()
		wait(b, EC.presence_of_element_located((By.ID, "stored")), "the page after a refresh")
	time.sleep(0.3)  # a stray POST would have landed by now
	assert sorted(os.listdir(up)) == stored, "a refresh stored the file again"


def test_form_demo_post_redirect_get(b):
	go(b, "/cgi/form.py")
	assert styled(b)
	post = b.find_element(By.CSS_SELECTOR, "form[method=post]")
	post.find_element(By.NAME, "name").send_keys("Ann & <Co>")
	post.find_element(By.NAME, "message").send_keys("h\u00e9llo")
	post.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
	wait(b, EC.url_contains("sent=post"), "the GET page after the POST")
	assert b.find_element(By.ID, "submitted").text == "Submitted by POST"
	body = b.find_element(By.TAG_NAME, "body").text
	assert "Ann & <Co>" in body and "h\u00e9llo" in body
