#ifndef KERASVIS_CPNG_SHIM_H
#define KERASVIS_CPNG_SHIM_H
// libpng (Debian libpng-dev).
#include <png.h>
#endif
