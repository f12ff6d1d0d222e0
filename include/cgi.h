#ifndef CGI_H
#define CGI_H

/* CGI/1.1 scripts (cgi.c): a body sink that spools the request body, a
 * handler_wait while the script runs towards its head, a body source for
 * its output. */

struct conn;
struct server;

/* 1 when c->path names a CGI script of c->loc (c->cgi prepared). */
int cgi_match(struct conn *c);
/* Sets the spooling body sink for the matched script.  0 or a status. */
int cgi_begin(struct conn *c);
/* Kills the script's process group and releases everything. */
void cgi_free(struct conn *c);
/* SIGCHLD: reaps every exited child. */
void cgi_reap(struct server *sv);
/* Gives free slots to the requests waiting in line, oldest first. */
void cgi_start_waiting(struct server *sv);

#endif
