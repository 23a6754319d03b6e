// Diagnostic trace: one line per event, "gss-negotiate[pid] HH:MM:SS.mmm
// component: message", to stderr or appended to a file, as the trace option
// (GSS_NEGOTIATE_TRACE) says. Never trace secrets.
#pragma once

#include "util/bytes.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace gssneg {

// One atomic load, for hot paths: whether the configuration last handed out
// by current_config() traces (each context creation asks for it). Guard every
// trace() whose message costs something to build.
bool trace_enabled();
// Called by current_config() whenever a thread takes a configuration from
// its cache (not on the per-thread fast path, which hands out the same one).
void set_trace_enabled(bool enabled) noexcept;
void trace(std::string_view component, std::string_view message);

// Hex of the first max bytes, followed by "... (N bytes)" when cut short.
// For public data only (tokens, flags), never keys or hashes.
std::string trace_hex_prefix(ByteView data, size_t max);

}  // namespace gssneg
