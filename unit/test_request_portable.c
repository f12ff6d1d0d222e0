/* The request tests again, with the parser built for its portable byte
 * scans only (no SSE4.2), so both scanning paths are tested wherever the
 * CPU has SSE4.2.  The parser is compiled into this test, so libws.a's
 * copy is not linked. */
#define REQUEST_SCAN_PORTABLE 1
#include "../src/request.c"
#include "test_request.c"
