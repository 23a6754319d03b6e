#include "ntlm/message_protection.h"

#include "ntlm/flags.h"
#include "util/errors.h"

#include <vector>

namespace gssneg::ntlm {

SessionSecurity::Signature protect_message(SessionSecurity& sec, SequenceState& seq,
                                           std::span<const SessionSecurity::Part> parts, bool seal) {
    SessionSecurity::Signature sig{};
    if (seal) {
        sig = sec.seal_parts(seq.send_seq, parts);
    } else {
        std::vector<ByteView> views;
        views.reserve(parts.size());
        for (const auto& p : parts) views.emplace_back(p.data);
        sig = sec.sign_parts(seq.send_seq, views);
    }
    ++seq.send_seq;
    return sig;
}

namespace {

bool run_check(SessionSecurity& sec, uint32_t number, std::span<const SessionSecurity::Part> parts,
               ByteView signature, bool sealed, bool in_step) {
    if (sealed) return sec.unseal_parts(number, parts, signature, in_step);
    std::vector<ByteView> views;
    views.reserve(parts.size());
    for (const auto& p : parts) views.emplace_back(p.data);
    return sec.verify_parts(number, views, signature, in_step);
}

bool stream_moved(const SessionSecurity::StreamPositions& before, const SessionSecurity::StreamPositions& after) {
    return before.incoming != after.incoming;
}

}  // namespace

OM_uint32 check_message(SessionSecurity& sec, SequenceState& seq, std::span<const SessionSecurity::Part> parts,
                        ByteView signature, bool sealed, bool replay, bool sequence) {
    if (sec.dummy_signatures()) {
        // MS-NLMP 3.4.4: no key, no sequence number to check.
        if (!run_check(sec, 0, parts, signature, false, true)) throw GssError(GSS_S_BAD_SIG, Minor::bad_signature);
        return GSS_S_COMPLETE;
    }
    const auto before = sec.stream_positions();
    if (sec.shared_stream()) {
        const bool ok = run_check(sec, seq.send_seq, parts, signature, sealed, true);
        if (ok || stream_moved(before, sec.stream_positions())) ++seq.send_seq;
        if (!ok) throw GssError(GSS_S_BAD_SIG, Minor::bad_signature);
        return GSS_S_COMPLETE;
    }
    const uint32_t number = SessionSecurity::clear_sequence(signature);
    const bool in_step = number == seq.received.next();
    const bool ok = run_check(sec, number, parts, signature, sealed, in_step);
    if (!ok) {
        if (stream_moved(before, sec.stream_positions())) seq.received.check(number, false, false);
        throw GssError(GSS_S_BAD_SIG, Minor::bad_signature);
    }
    return seq.received.check(number, replay, sequence);
}

uint32_t sasl_ssf(uint32_t negotiated_flags) noexcept {
    if (negotiated_flags & flag::seal) {
        if (negotiated_flags & flag::negotiate_128) return 64;
        if (negotiated_flags & flag::negotiate_56) return 56;
        return 40;
    }
    if (negotiated_flags & flag::sign) return 1;
    return 0;
}

}  // namespace gssneg::ntlm
