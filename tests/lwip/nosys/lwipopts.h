/* A bare-metal lwIP configuration (NO_SYS 1, raw API only, IPv4 only,
   static pools) for the lwIP port's build check: the port must compile
   for devices without an OS too. Compile-only: Debian's liblwip is a
   NO_SYS 0 build, so nothing built with this file is linked. */
#ifndef XBL_MPSD_TEST_NOSYS_LWIPOPTS_H
#define XBL_MPSD_TEST_NOSYS_LWIPOPTS_H

#define NO_SYS                 1
#define LWIP_SOCKET            0
#define LWIP_NETCONN           0
#define LWIP_IPV4              1
#define LWIP_IPV6              0
#define LWIP_TCP               1
#define LWIP_UDP               0
#define LWIP_CALLBACK_API      1
#define MEM_ALIGNMENT          4
#define MEM_SIZE               16000
#define MEMP_NUM_TCP_PCB       4
#define PBUF_POOL_SIZE         16
#define TCP_MSS                536
#define TCP_WND                (4 * TCP_MSS)
#define TCP_SND_BUF            (4 * TCP_MSS)

#endif
