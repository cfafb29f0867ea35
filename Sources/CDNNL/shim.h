#ifndef KERASVIS_CDNNL_SHIM_H
#define KERASVIS_CDNNL_SHIM_H
// oneDNN's C API (Debian libdnnl-dev, oneDNN 2.x).
#include <dnnl.h>
#endif
