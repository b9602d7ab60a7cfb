/* libFuzzer harness: the session-query list reader alone; the harness and
   its properties are fuzz_search.c's with every input run as a session
   query. */
#define FZ_QUERIES_ONLY
#include "fuzz_search.c"
