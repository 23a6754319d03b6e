#include "ntlm/sequence_window.h"

namespace gssneg::ntlm {

OM_uint32 SequenceWindow::check(uint32_t seq, bool replay, bool sequence) noexcept {
    // Sequence numbers are 32-bit and compared modulo 2^32 from 0, where
    // NTLM starts them (MS-NLMP 3.4.1).
    if (seq >= m_next) {
        const uint32_t ahead = seq - m_next;
        m_seen = ahead + 1 >= width ? 1 : (m_seen << (ahead + 1)) | 1;
        m_next = seq + 1;
        return (ahead > 0 && sequence) ? GSS_S_GAP_TOKEN : GSS_S_COMPLETE;
    }
    const uint32_t behind = m_next - seq;
    if (behind > width) {
        if (sequence) return GSS_S_UNSEQ_TOKEN;
        return replay ? GSS_S_OLD_TOKEN : GSS_S_COMPLETE;
    }
    const uint64_t bit = uint64_t{1} << (behind - 1);
    if (replay && (m_seen & bit) != 0) return GSS_S_DUPLICATE_TOKEN;
    m_seen |= bit;
    return sequence ? GSS_S_UNSEQ_TOKEN : GSS_S_COMPLETE;
}

}  // namespace gssneg::ntlm
