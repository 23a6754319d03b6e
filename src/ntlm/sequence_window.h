// Replay and sequence detection for incoming per-message tokens whose
// signature has already been verified (RFC 2743 1.2.3; the same window as
// RFC 4121 4.2.6 tokens use in MIT krb5): the next expected sequence number
// and a bitmap of the 64 numbers before it.
#pragma once

#include "util/gss_headers.h"

#include <cstdint>

namespace gssneg::ntlm {

class SequenceWindow final {
public:
    static constexpr unsigned width = 64;

    SequenceWindow() = default;
    // Restores an exported window.
    SequenceWindow(uint32_t next, uint64_t seen) noexcept : m_next(next), m_seen(seen) {}

    // Records seq and returns GSS_S_COMPLETE or one supplementary code:
    // GSS_S_GAP_TOKEN (numbers skipped; sequence only), GSS_S_DUPLICATE_TOKEN
    // (seen before; replay only), GSS_S_UNSEQ_TOKEN (older than the newest;
    // sequence only), GSS_S_OLD_TOKEN (older than the window; replay only).
    // The window is kept whatever the flags, so that the flags only decide
    // what is reported.
    OM_uint32 check(uint32_t seq, bool replay, bool sequence) noexcept;

    // The number one past the highest seen (0 before any).
    uint32_t next() const noexcept { return m_next; }
    // Bit i-1 set: next-i was seen.
    uint64_t seen() const noexcept { return m_seen; }

private:
    uint32_t m_next = 0;
    uint64_t m_seen = 0;
};

}  // namespace gssneg::ntlm
