/* libFuzzer harness: the handle-ID document reader (transfer and invite
   responses) alone; the harness and its properties are fuzz_activities.c's
   with every input run as a transfer handle. */
#define FZ_HANDLE_ID_ONLY
#include "fuzz_activities.c"
