/* Bare-metal lwIP architecture header for the Cortex-M4 code-size build of
   the lwIP port (make bench, part 4): newlib types, no diagnostics. */
#ifndef BENCH_ARM_ARCH_CC_H
#define BENCH_ARM_ARCH_CC_H
#define LWIP_PLATFORM_DIAG(x)   do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { } while (0)
#define LWIP_RAND()             ((u32_t)0x2545F491u)
#endif
