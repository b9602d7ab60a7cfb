/* MBEDTLS_USER_CONFIG_FILE for the build check of port_build_heap.c: what an
   embedded mbedTLS build turns on so the port can bound its heap. */
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
