// Per-message protection of an established context as the GSS calls see
// it: sequence numbering on top of SessionSecurity, and the supplementary
// status of incoming tokens.
//
// Sequence numbers (MS-NLMP 3.4.1): each direction counts from 0; without
// extended session security one counter serves both directions, as one RC4
// stream does (SessionSecurity::shared_stream()). The SPNEGO mechListMIC
// takes number 0 and the RC4 reset after it (MS-SPNG 3.3.5.1) leaves the
// numbers alone, as gss-ntlmssp does: application messages start at 1.
//
// What an incoming token reports. RFC 2744 (gss_verify_mic) defines
// GSS_S_DUPLICATE_TOKEN as "The token was valid, and contained a correct
// MIC for the message, but it had already been processed", and the other
// three codes likewise for tokens with a correct MIC: the signature is
// checked first and the sequence window only sees tokens that verified.
// Which out-of-order tokens can verify depends on the negotiated flags:
//
//   ESS without KEY_EXCH: the checksum is a bare HMAC over the clear SeqNum
//     and the message, independent of any stream, so an integrity-only
//     token verifies in any order and gets DUPLICATE / OLD / UNSEQ / GAP
//     from the window. A sealed token decrypts with the stream and so must
//     come in order; out of order it is GSS_S_BAD_SIG.
//   ESS with KEY_EXCH: the checksum is RC4-encrypted with a stream both
//     sides run in order, so only the token at the receiver's stream
//     position verifies. A replayed, reordered or early token is
//     GSS_S_BAD_SIG (we do not report DUPLICATE for a token we cannot
//     authenticate) and leaves all state as it was, so that the genuine
//     next token still verifies; a token that was merely late verifies
//     when it arrives.
//   without ESS: SeqNum and checksum are RC4-encrypted and checked against
//     the shared counter: only the next token verifies; the rest is
//     GSS_S_BAD_SIG, again without changing state.
//
// A token that fails although it was made at this stream position (ESS:
// its clear SeqNum is the next expected; without ESS: its decrypted SeqNum
// is) was damaged in transit after the sender advanced: the receiver then
// advances too (stream and counter), so the following message verifies.
// Someone able to inject such a token can desynchronise the streams; he
// can as well drop messages, which has the same effect.
#pragma once

#include "ntlm/sequence_window.h"
#include "ntlm/session_security.h"
#include "util/bytes.h"

#include <cstdint>
#include <span>

namespace gssneg::ntlm {

struct SequenceState {
    uint32_t send_seq = 0;    // next outgoing number; without ESS also the next incoming
    SequenceWindow received;  // with ESS: the numbers seen from the peer
};

// Signs all parts and, when seal is set, encrypts the confidential ones in
// place; takes the next outgoing number.
SessionSecurity::Signature protect_message(SessionSecurity& sec, SequenceState& seq,
                                           std::span<const SessionSecurity::Part> parts, bool seal);

// Checks (and, when sealed, decrypts in place) an incoming message.
// Returns GSS_S_COMPLETE or one supplementary code (reported only for the
// services requested); throws GssError(GSS_S_BAD_SIG, bad_signature).
// signature must be 16 bytes.
OM_uint32 check_message(SessionSecurity& sec, SequenceState& seq, std::span<const SessionSecurity::Part> parts,
                        ByteView signature, bool sealed, bool replay, bool sequence);

// The SASL security strength factor (GSS_C_SEC_CONTEXT_SASL_SSF). As
// gss-ntlmssp: 64 for SEAL with 128-bit keys (RC4's strength counts as
// degraded, the value MIT krb5 gives rc4-hmac), 56, 40 for SEAL with 56-
// or 40-bit keys, 1 for SIGN only, 0 otherwise.
uint32_t sasl_ssf(uint32_t negotiated_flags) noexcept;

}  // namespace gssneg::ntlm
