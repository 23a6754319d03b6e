// Entry points of the module. It is built with -fvisibility=hidden; the
// GSS-API declarations carry default visibility (util/gss_headers.h) and
// GSSNEG_EXPORT marks the definitions. The version script (exports.map)
// keeps everything else local.
#pragma once

#include "util/gss_headers.h"

#define GSSNEG_EXPORT extern "C" __attribute__((visibility("default")))
