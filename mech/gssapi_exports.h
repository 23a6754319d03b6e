// The GSS-API declarations with default visibility: the module is built with
// -fvisibility=hidden, and only these entry points (plus the gssspi_ and
// gssi_ ones declared here) leave it. The version script (exports.map)
// keeps everything else local.
#pragma once

#pragma GCC visibility push(default)
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#pragma GCC visibility pop

#define GSSNEG_EXPORT extern "C" __attribute__((visibility("default")))
