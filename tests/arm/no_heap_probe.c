/* no_heap_probe.c - the negative test of `make arm-test`: an image that
   calls malloc. Linked like arm_test.c, it must fail on the no-heap
   assertion of mps2_an386.ld. */
#include <stdlib.h>

int main(void)
{
    void *p = malloc(16);
    return p != NULL;
}
