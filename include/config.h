#ifndef CONFIG_H
#define CONFIG_H

/* Configuration: a pure lexer + parser that turns nginx-like text into an
 * immutable tree.  File access (include, root checks) goes through the
 * caller's struct config_io, so the module itself does no I/O. */

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "realip.h"

/* Method bits for allow_methods. */
enum {
	M_GET = 1 << 0,
	M_HEAD = 1 << 1,
	M_POST = 1 << 2,
	M_PUT = 1 << 3,
	M_DELETE = 1 << 4,
};

/* One `cgi .EXT INTERPRETER;` line. */
struct cgi_map {
	char *ext;    /* with the dot: ".py" */
	char *interp; /* absolute or as written: "/usr/bin/python3" */
};

/* One `error_page CODE URI;` pair (a directive with several codes gives
 * several pairs). */
struct error_page {
	int code;
	char *uri;
};

/* One entry of a `types { }` table. */
struct mime_type {
	char *ext;  /* without the dot, lower case: "html" */
	char *type; /* "text/html" */
};

struct mime_table {
	struct mime_type *v;
	size_t n;
};

/* Settings that flow top -> server -> location.  After config_parse()
 * every field is resolved (inherited values copied in, defaults applied),
 * so users never walk up the tree.  Strings are owned by the tree. */
struct loc_conf {
	char *prefix;        /* location prefix ("/img"); "" for a server's own */
	int exact;           /* 1 for `location = /x` */
	char *root;          /* absolute directory path, no trailing '/' (except "/") */
	char *alias;         /* absolute path or NULL; set only on locations */
	unsigned methods;    /* M_* bits; M_HEAD always set when M_GET is */
	char **index;        /* index file names, in order */
	size_t nindex;
	int autoindex;       /* 0/1 */
	char *charset;       /* `charset NAME;` for text types; NULL or "" (off) = none */
	struct error_page *error_pages;
	size_t nerror_pages;
	uint64_t max_body;   /* bytes, 0 = no limit; default 1 MiB */
	int ret_code;        /* `return` code, 0 if none */
	char *ret_arg;       /* URL or TEXT of `return`, NULL if none */
	char *upload_store;  /* absolute directory, NULL if none */
	struct cgi_map *cgi;
	size_t ncgi;
	/* Timeouts in milliseconds. */
	uint64_t cgi_timeout_ms;       /* default 30 s */
	uint64_t header_timeout_ms;    /* client_header_timeout, default 60 s */
	uint64_t body_timeout_ms;      /* client_body_timeout, default 60 s */
	uint64_t keepalive_timeout_ms; /* default 75 s */
	uint64_t send_timeout_ms;      /* default 60 s */
	uint64_t upload_max_files;     /* `upload_max_files N;` file parts per request, default 1000 */
	int disable_symlinks;          /* `disable_symlinks on|off;` 1: reads refuse symlinks too; default 0 */
	int upload_active_inline;      /* `upload_active_inline on|off;` 1: stored active types served inline; default 0 */
};

/* One `listen ADDRESS[:PORT] [FLAGS];` (and, with the port, a local
 * address a client connected to).  An IPv4 address is in addr, in host
 * byte order (0 = 0.0.0.0, the wildcard); an IPv6 one (v6 = 1) in addr6,
 * in network byte order (all zero = [::]); addr.c compares them. */
struct listen_addr {
	uint32_t addr;
	uint16_t port;
	int proxy_protocol;  /* `listen ADDR proxy_protocol;`: a PROXY header comes first */
	uint8_t v6;             /* 1: IPv6, in addr6 */
	uint8_t ipv6only;       /* IPv6 only: `ipv6only=on` (default) takes IPv6
				 * clients only, `off` IPv4 ones too (IPV6_V6ONLY) */
	uint8_t default_server; /* `default_server`: the default for this address */
	uint8_t addr6[16];
};

struct server_conf {
	struct listen_addr *listens; /* at least one (default 0.0.0.0:80... see README) */
	size_t nlistens;
	char **names;                /* server_name values, lower case */
	size_t nnames;
	struct loc_conf srv;         /* the server's own settings, prefix "" */
	struct loc_conf *locs;       /* locations in file order */
	size_t nlocs;
	char *access_log;            /* path, "stdout" or NULL for off */
	const struct mime_table *types; /* server's table or the top-level one */
	struct mime_table own_types; /* set when the server has its own types{} */
};

struct config {
	struct server_conf *servers;
	size_t nservers;
	char *error_log;             /* path or "stderr" */
	struct mime_table types;     /* top-level types (may be empty: built-in defaults apply) */
	unsigned max_connections;    /* `max_connections N;` (extension), default 1024 */
	unsigned cgi_max_processes;  /* `cgi_max_processes N;` (extension); 0 = not set: the
				      * server uses 16 per online core */
	enum loop_backend events;    /* `events poll|epoll;` (extension), default
				      * LOOP_DEFAULT (epoll on Linux) */
	unsigned worker_processes;   /* `worker_processes N|auto;` (extension): 1 (default)
				      * serves in one process; N > 1 forks N workers
				      * (master.c); 0 = auto, one per online core */
	struct realip_cidr *real_ip_from; /* `set_real_ip_from CIDR;` lines (nginx realip) */
	size_t nreal_ip_from;
	enum realip_header real_ip_header; /* `real_ip_header`, default X-Real-IP */
	unsigned fcache_max;         /* `open_file_cache max=N valid=T|off;` (nginx's name):
				      * entries, 0 = off; default 1000 */
	uint64_t fcache_valid_ms;    /* how long an entry is trusted; default 1000 */
	char *pid;                   /* `pid PATH;` absolute file for the process id, NULL if none */
	char *user;                  /* `user NAME [GROUP];` NAME, NULL if none */
	char *group;                 /* its GROUP, NULL: the user's primary group */
	char *user_at;               /* "FILE:LINE" of the `user` directive (for messages) */
	int cgi_allow_root;          /* `cgi_allow_root on|off;` (extension): 1 lets CGI
				      * scripts run as root; default 0 */
	char *path;                  /* the main configuration file as given */
};

/* The outside world, reached by callback so config_parse stays pure.
 * read_file may be NULL (every include then fails with "cannot open");
 * is_dir may be NULL (the root/alias/upload_store checks are skipped:
 * handy for fuzzing). */
struct config_io {
	/* Reads the whole file at path into *data (malloc'ed, caller frees)
	 * with *len bytes.  Returns 0, or when it cannot be read an errno
	 * value (> 0, named in the message) or -1 (no reason given). */
	int (*read_file)(void *ctx, const char *path, char **data, size_t *len);
	/* Returns 1 when path is an existing directory, else 0. */
	int (*is_dir)(void *ctx, const char *path);
	void *ctx;
	/* Directory that relative paths resolve against; NULL means the
	 * directory of the main file as named (the caller passes an absolute
	 * one so roots do not depend on the working directory). */
	const char *base_dir;
	/* Is there a user (lookup_user) or group (lookup_group) of that
	 * name?  1 or 0.  NULL: `user` names are not checked. */
	int (*lookup_user)(void *ctx, const char *name);
	int (*lookup_group)(void *ctx, const char *name);
};

/* Longest NAME of `charset NAME;`. */
#define CHARSET_MAX 40

/* Bound of `worker_processes N`. */
#define WORKERS_MAX 1024

/* Room for any error message of config_parse/config_load: a file name,
 * a path and the word it was resolved from, each up to 4 KiB. */
#define CONFIG_ERR_MAX 16384

/* Parses the configuration text[0..len) that was read from file `path`
 * (used for messages and to resolve relative paths against its
 * directory).  On success returns the tree (caller owns it; free with
 * config_free).  On error returns NULL and writes one line
 * "FILE:LINE: message" (no "webserv: " prefix, no newline) to err
 * (CONFIG_ERR_MAX bytes hold any message, paths in full up to PATH_MAX;
 * a smaller buffer cuts it, always NUL-ended).
 * Paths in the tree are absolute only when `path` is: pass an absolute
 * path to get absolute roots.  io may be NULL (see struct config_io). */
struct config *config_parse(const char *path, const char *text, size_t len,
			    const struct config_io *io, char *err, size_t errlen);

/* Reads `path` with io->read_file and parses it; same contract as above,
 * except that when the main file itself cannot be read the message is
 * `cannot open "PATH"` without FILE:LINE. */
struct config *config_load(const char *path, const struct config_io *io,
			   char *err, size_t errlen);

/* Frees a tree returned by config_parse/config_load (NULL is fine).
 * Strings and arrays in the tree may be shared between levels (inherited
 * values): never free or modify them individually. */
void config_free(struct config *cf);

/* MIME type for a file name (by its last extension, case-insensitive)
 * from the table, else the built-in defaults, else
 * "application/octet-stream".  name may be a path (only its last segment
 * counts); t may be NULL.  An extension listed twice in the table takes
 * the later entry (nginx).  The result is a static string or one owned by
 * the table. */
const char *config_mime(const struct mime_table *t, const char *name);

#endif
