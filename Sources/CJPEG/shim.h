#ifndef KERASVIS_CJPEG_SHIM_H
#define KERASVIS_CJPEG_SHIM_H
// libjpeg-turbo's libjpeg API (Debian libjpeg62-turbo-dev).
#include <stdio.h>
#include <jpeglib.h>
#endif
