#!/bin/sh
# CGI demo: a plain-text hello from /bin/sh.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
printf 'Hello from /bin/sh CGI\n'
printf 'Method: %s\n' "${REQUEST_METHOD:-?}"
printf 'Query: %s\n' "${QUERY_STRING}"
