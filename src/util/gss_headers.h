// MIT's GSS-API headers, included one way everywhere.
//
// gssapi.h declares its last few functions (the RFC 5587 and SASL name
// calls) after closing its extern "C" block; including it inside one gives
// every declaration C linkage. Default visibility lets the mech/ layer
// define and export the entry points under -fvisibility=hidden.
#pragma once

#pragma GCC visibility push(default)
extern "C" {
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
}
#pragma GCC visibility pop
