/* lwIP options of the Cortex-M4 code-size build (make bench, part 4): the
   common small-device setup, bare metal (NO_SYS 1), raw TCP API only. */
#ifndef BENCH_ARM_LWIPOPTS_H
#define BENCH_ARM_LWIPOPTS_H
#define NO_SYS            1
#define LWIP_SOCKET       0
#define LWIP_NETCONN      0
#define LWIP_TCP          1
#define LWIP_IPV4         1
#define LWIP_IPV6         0
#define LWIP_DNS          1
#define SYS_LIGHTWEIGHT_PROT 0
#define MEM_ALIGNMENT     4
#endif
