#ifndef KERASVIS_CDNNL_SHIM_H
#define KERASVIS_CDNNL_SHIM_H
// oneDNN's C API: Debian's libdnnl-dev (oneDNN 2.x), or a oneDNN 3 put first on the include path (tools/setup
// --onednn3). Sources/CDNNLShim hides the differences between the two.
#include <dnnl.h>
#endif
