/* fuzz_request's oracles on the parser built for its portable byte scans
 * only (no SSE4.2), so both scanning paths are fuzzed wherever the CPU has
 * SSE4.2.  Same corpus (fuzz/corpus/request_portable links to request). */
#define REQUEST_SCAN_PORTABLE 1
#include "../src/request.c"
#include "fuzz_request.c"
