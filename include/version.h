#ifndef VERSION_H
#define VERSION_H

/* The one place the server's name and version are written. */
#define WEBSERV_VERSION "1.0"
#define WEBSERV_SOFTWARE "webserv/" WEBSERV_VERSION /* Server header, SERVER_SOFTWARE */

#endif
