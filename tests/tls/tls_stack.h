/* Runs a function on a separate, painted stack and reports how deep it
   went: the stack a caller must give the code it runs. */
#ifndef TLS_STACK_H
#define TLS_STACK_H
#include <stddef.h>

#define TLS_STACK_BYTES ((size_t)256 * 1024)

/* Bytes of the painted stack fn touched, or 0 if it could not be run. */
size_t tls_stack_measure(void (*fn)(void *arg), void *arg);
#endif
