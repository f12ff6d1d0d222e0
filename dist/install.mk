# `make install` and `make uninstall`: the binary, the manual pages, the
# default configuration, a small default site, a systemd unit and a
# logrotate snippet. Included by the top-level Makefile.
#
#   make install PREFIX=/usr/local DESTDIR=
#
# Every directory below can be set on the command line; a distribution
# package would use PREFIX=/usr SYSCONFDIR=/etc LOCALSTATEDIR=/var
# SYSTEMDUNITDIR=/lib/systemd/system. DESTDIR stages the tree elsewhere
# without changing the paths written into the installed files.

PREFIX         ?= /usr/local
SBINDIR        ?= $(PREFIX)/sbin
SYSCONFDIR     ?= $(PREFIX)/etc
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
LOCALSTATEDIR  ?= $(PREFIX)/var
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
LOGROTATEDIR   ?= /etc/logrotate.d
LOGDIR         ?= $(LOCALSTATEDIR)/log/webserv
STATEDIR       ?= $(LOCALSTATEDIR)/lib/webserv
CONFDIR        := $(SYSCONFDIR)/webserv
WWWDIR         := $(DATADIR)/webserv/www
STOREDIR       := $(STATEDIR)/uploads
INSTALL        ?= install

DIST_OUT  := build/dist
DIST_PAGES := www/style.css www/errors/404.html www/errors/50x.html
DIST_DIRS := SBINDIR SYSCONFDIR DATADIR MANDIR LOCALSTATEDIR SYSTEMDUNITDIR \
	LOGROTATEDIR LOGDIR STATEDIR

# The installed files hold absolute paths (unit, logrotate, manual pages)
# and, in the configuration, paths relative to CONFDIR (the server resolves
# them against the configuration's directory), so a DESTDIR tree checks
# with `webserv -t` as the final one does.
define dist_generate
	@set -e; for v in $(foreach d,$(DIST_DIRS),$d=$($d)); do \
		case "$${v#*=}" in /*) ;; *) echo "install: $${v%%=*} must be an absolute path: '$${v#*=}'" >&2; exit 1;; esac; \
		case "$${v#*=}" in *[!A-Za-z0-9_./+-]*) echo "install: $${v%%=*} may hold only letters, digits and _./+-: '$${v#*=}'" >&2; exit 1;; esac; \
	done
	@mkdir -p $(DIST_OUT)
	@rel() { realpath -ms --relative-to='$(CONFDIR)' "$$1"; }; \
	for f in webserv.conf:dist/webserv.conf.in webserv.service:dist/systemd/webserv.service.in \
	         logrotate:dist/logrotate/webserv.in webserv.8:dist/man/webserv.8 \
	         webserv.conf.5:dist/man/webserv.conf.5; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' \
		    -e 's|@WWWDIR@|$(WWWDIR)|g' -e 's|@LOGDIR@|$(LOGDIR)|g' \
		    -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@STOREDIR@|$(STOREDIR)|g' \
		    -e 's|@SYSTEMDUNITDIR@|$(SYSTEMDUNITDIR)|g' -e 's|@LOGROTATEDIR@|$(LOGROTATEDIR)|g' \
		    -e "s|@WWWDIR_REL@|$$(rel '$(WWWDIR)')|g" -e "s|@LOGDIR_REL@|$$(rel '$(LOGDIR)')|g" \
		    -e "s|@STOREDIR_REL@|$$(rel '$(STOREDIR)')|g" \
		    "$${f#*:}" > "$(DIST_OUT)/$${f%%:*}"; \
	done
endef

.PHONY: install uninstall

install: $(NAME)
	$(dist_generate)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(CONFDIR) $(DESTDIR)$(WWWDIR)/errors \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(LOGROTATEDIR)
	$(INSTALL) -d -m 0750 $(DESTDIR)$(LOGDIR) $(DESTDIR)$(STATEDIR) $(DESTDIR)$(STOREDIR)
	$(INSTALL) -m 0755 $(NAME) $(DESTDIR)$(SBINDIR)/webserv
	$(INSTALL) -m 0644 $(DIST_OUT)/webserv.8 $(DESTDIR)$(MANDIR)/man8/webserv.8
	$(INSTALL) -m 0644 $(DIST_OUT)/webserv.conf.5 $(DESTDIR)$(MANDIR)/man5/webserv.conf.5
	$(INSTALL) -m 0644 conf/mime.types $(DESTDIR)$(CONFDIR)/mime.types
	@if [ -e $(DESTDIR)$(CONFDIR)/webserv.conf ] && \
	    ! cmp -s $(DIST_OUT)/webserv.conf $(DESTDIR)$(CONFDIR)/webserv.conf; then \
		echo "install: kept the existing $(DESTDIR)$(CONFDIR)/webserv.conf (the new default is $(DIST_OUT)/webserv.conf)"; \
	else \
		echo "$(INSTALL) -m 0644 $(DIST_OUT)/webserv.conf $(DESTDIR)$(CONFDIR)/webserv.conf"; \
		$(INSTALL) -m 0644 $(DIST_OUT)/webserv.conf $(DESTDIR)$(CONFDIR)/webserv.conf; \
	fi
	$(INSTALL) -m 0644 dist/www/index.html $(DESTDIR)$(WWWDIR)/index.html
	$(INSTALL) -m 0644 www/style.css $(DESTDIR)$(WWWDIR)/style.css
	$(INSTALL) -m 0644 www/errors/404.html www/errors/50x.html $(DESTDIR)$(WWWDIR)/errors/
	$(INSTALL) -m 0644 $(DIST_OUT)/webserv.service $(DESTDIR)$(SYSTEMDUNITDIR)/webserv.service
	$(INSTALL) -m 0644 $(DIST_OUT)/logrotate $(DESTDIR)$(LOGROTATEDIR)/webserv

# Removes what install put in place. A configuration file edited since is
# kept, and so are the log and upload directories while they hold files.
uninstall:
	$(dist_generate)
	rm -f $(DESTDIR)$(SBINDIR)/webserv $(DESTDIR)$(MANDIR)/man8/webserv.8 \
		$(DESTDIR)$(MANDIR)/man5/webserv.conf.5 $(DESTDIR)$(CONFDIR)/mime.types \
		$(DESTDIR)$(WWWDIR)/index.html $(DESTDIR)$(WWWDIR)/style.css \
		$(DESTDIR)$(WWWDIR)/errors/404.html $(DESTDIR)$(WWWDIR)/errors/50x.html \
		$(DESTDIR)$(SYSTEMDUNITDIR)/webserv.service $(DESTDIR)$(LOGROTATEDIR)/webserv
	@f=$(DESTDIR)$(CONFDIR)/webserv.conf; \
	if cmp -s $(DIST_OUT)/webserv.conf "$$f"; then echo "rm -f $$f"; rm -f "$$f"; \
	elif [ -e "$$f" ]; then echo "uninstall: kept $$f (changed since install)"; fi
	@for d in $(DESTDIR)$(WWWDIR)/errors $(DESTDIR)$(WWWDIR) $(DESTDIR)$(DATADIR)/webserv \
	          $(DESTDIR)$(CONFDIR) $(DESTDIR)$(STOREDIR) $(DESTDIR)$(STATEDIR) $(DESTDIR)$(LOGDIR); do \
		[ -d "$$d" ] || continue; \
		if rmdir "$$d" 2>/dev/null; then echo "rmdir $$d"; \
		else echo "uninstall: kept $$d (not empty)"; fi; \
	done
