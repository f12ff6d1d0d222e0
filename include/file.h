#ifndef FILE_H
#define FILE_H

/* Static files (file.c): GET/HEAD of c->fspath with validators,
 * preconditions and ranges, directories (slash redirect, index, autoindex),
 * the configured error pages, DELETE.  Each returns a handler result
 * (conn.h): HANDLER_DONE, HANDLER_AGAIN (a directory's index file was
 * found: c->path and c->fspath name it), HANDLER_CLOSE or an error
 * status. */

struct conn;

int file_serve(struct conn *c);
/* The file c->fspath as the body of error status (never a directory,
 * never an internal redirect).  A positive result means it could not
 * be served: the caller sends the built-in page. */
int file_error_page(struct conn *c, int status);
int file_delete(struct conn *c);

#endif
