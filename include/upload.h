#ifndef UPLOAD_H
#define UPLOAD_H

/* Uploads (upload.c): POST and PUT into an upload_store through a body
 * sink whose end() answers 201/204 or returns an error status. */

struct conn;
struct config;

/* Prepares the sink for a POST/PUT to c->loc's upload_store.  Returns 0
 * (c->sink set) or an HTTP status. */
int upload_begin(struct conn *c);
/* Releases the upload state; files of an unfinished upload are removed. */
void upload_free(struct conn *c);
/* At start-up: removes the named temporary files (`.upload-*`) a crash
 * left in every upload_store (where O_TMPFILE was refused). */
void upload_sweep(const struct config *cf);

#endif
