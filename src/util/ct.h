// Constant-time comparison for MACs and responses.
#pragma once

#include <cstdint>
#include <span>

namespace gssneg {

// True when a and b have equal length and equal contents; the time taken
// depends only on the length.
bool ct_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) noexcept;

}  // namespace gssneg
