#define XBL_MPSD_IMPLEMENTATION
#include "xbl_mpsd.h"
