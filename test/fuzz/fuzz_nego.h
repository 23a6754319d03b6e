// One Negotiate (SPNEGO interposer) exchange between the module's own
// gssi_init_sec_context and gssi_accept_sec_context, linked into the
// program with no mechglue between, NTLM beneath: the driver of
// fuzz_nego_accept and fuzz_nego_init, and of the seeds fuzz_seeds writes
// for them.
//
// libgssapi_krb5 is not loaded in these programs, so the module's mechglue
// table is absent (krb5/mechglue.h): Kerberos must be left out of every
// mechTypes list this side sends, and a peer that offers only Kerberos
// must get a reject, never a crash or a call into a missing table.
//
// Input: selector (1) | fields, each a 2-byte LE length and its bytes (a
// length past the end takes what is left).
//   bit 0     the first tampered leg: the receiver's first incoming token
//             (0) or its second (1)
//   bit 1     0 the tampered legs are replaced by the fields in turn;
//             1 the real tokens are edited by the fields in turn (see
//             apply_edits); the legs after the fields run out pass as sent
//   bits 2-3  LM_COMPAT_LEVEL of both sides: 3, 1, 2, 5
//   bit 4     the initiator passes channel bindings
//   bit 5     the acceptor passes channel bindings
//   bit 6     the acceptor uses GSS_C_NO_CREDENTIAL (its default credential)
//   bit 7     the initiator asks for CONF, INTEG, REPLAY and SEQUENCE
//             (otherwise MUTUAL only; Negotiate adds INTEG beneath)
// The receiver is the acceptor for fuzz_nego_accept (legs 1, 3, 5 ...) and
// the initiator for fuzz_nego_init (legs 2, 4 ...). A field left over when
// the exchange has ended goes to the receiver once more, and must be
// refused.
//
// Checked (fuzz::fail when one does not hold):
//   - a failed call returns a routine error and no calling error, a minor
//     code of this module (never internal_error) that gss_display_status
//     turns into text, no new context from a first call, and no token but a
//     NegTokenResp with negState reject;
//   - every token either side sends parses: the initiator's first is a
//     NegTokenInit listing NTLM alone, the acceptor's answers are
//     NegTokenResps with the negState the major status calls for;
//   - with nothing tampered, both sides complete, unless the acceptor has
//     channel bindings and the initiator does not send them (none, or an
//     NTLMv1 response, which has no room for them);
//   - both sides complete: each wraps for the other and verifies the
//     other's MIC, a replayed wrap token is refused, both report the same
//     initiator name and protection flags. This holds whenever the tokens
//     were untouched or the NTLM AUTHENTICATE carried a MIC (then the
//     mechListMIC was exchanged); without a MIC NTLM cannot see every
//     change in transit, and the calls are only checked for well-formed
//     statuses;
//   - a side that completes alone is open, reports NTLM and the flags it
//     returned, and can sign (and seal when it says so);
//   - a call after the end is refused and leaves an established context
//     working;
//   - every context, name and buffer is released (LeakSanitizer).
#pragma once

#include "util/bytes.h"
#include "util/gss_headers.h"

#include <cstddef>
#include <cstdint>
#include <vector>

// The interposer's entry points the driver calls (the mechglue finds them
// by dlsym; no public header declares them).
extern "C" {
OM_uint32 gssi_init_sec_context(OM_uint32*, gss_cred_id_t, gss_ctx_id_t*, gss_name_t, gss_OID, OM_uint32, OM_uint32,
                                gss_channel_bindings_t, gss_buffer_t, gss_OID*, gss_buffer_t, OM_uint32*, OM_uint32*);
OM_uint32 gssi_accept_sec_context(OM_uint32*, gss_ctx_id_t*, gss_cred_id_t, gss_buffer_t, gss_channel_bindings_t,
                                  gss_name_t*, gss_OID*, gss_buffer_t, OM_uint32*, OM_uint32*, gss_cred_id_t*);
OM_uint32 gssi_delete_sec_context(OM_uint32*, gss_ctx_id_t*, gss_buffer_t);
OM_uint32 gssi_context_time(OM_uint32*, gss_ctx_id_t, OM_uint32*);
OM_uint32 gssi_inquire_context(OM_uint32*, gss_ctx_id_t, gss_name_t*, gss_name_t*, OM_uint32*, gss_OID*, OM_uint32*,
                               int*, int*);
OM_uint32 gssi_inquire_sec_context_by_oid(OM_uint32*, const gss_ctx_id_t, const gss_OID, gss_buffer_set_t*);
OM_uint32 gssi_get_mic(OM_uint32*, gss_ctx_id_t, gss_qop_t, gss_buffer_t, gss_buffer_t);
OM_uint32 gssi_verify_mic(OM_uint32*, gss_ctx_id_t, gss_buffer_t, gss_buffer_t, gss_qop_t*);
OM_uint32 gssi_wrap(OM_uint32*, gss_ctx_id_t, int, gss_qop_t, gss_buffer_t, int*, gss_buffer_t);
OM_uint32 gssi_unwrap(OM_uint32*, gss_ctx_id_t, gss_buffer_t, gss_buffer_t, int*, gss_qop_t*);
OM_uint32 gssi_acquire_cred(OM_uint32*, gss_name_t, OM_uint32, gss_OID_set, gss_cred_usage_t, gss_cred_id_t*,
                            gss_OID_set*, OM_uint32*);
OM_uint32 gssi_acquire_cred_from(OM_uint32*, gss_name_t, OM_uint32, gss_OID_set, gss_cred_usage_t,
                                 gss_const_key_value_set_t, gss_cred_id_t*, gss_OID_set*, OM_uint32*);
OM_uint32 gssi_release_cred(OM_uint32*, gss_cred_id_t*);
OM_uint32 gssi_import_name(OM_uint32*, gss_buffer_t, gss_OID, gss_name_t*);
OM_uint32 gssi_display_name(OM_uint32*, gss_name_t, gss_buffer_t, gss_OID*);
OM_uint32 gssi_release_name(OM_uint32*, gss_name_t*);
OM_uint32 gssi_display_status(OM_uint32*, OM_uint32, int, gss_OID, OM_uint32*, gss_buffer_t);
}

namespace gssneg::fuzz {

enum class Side { initiator, acceptor };

// Selector bits (see above).
namespace nego_selector {
inline constexpr uint8_t second_leg = 0x01;
inline constexpr uint8_t edit = 0x02;
inline constexpr uint8_t level_shift = 2;
inline constexpr uint8_t initiator_bindings = 0x10;
inline constexpr uint8_t acceptor_bindings = 0x20;
inline constexpr uint8_t default_acceptor_cred = 0x40;
inline constexpr uint8_t protect = 0x80;
// The selector of the LM_COMPAT_LEVEL values 3, 1, 2, 5 (bits 2-3).
uint8_t level_bits(int lm_compat_level);
}  // namespace nego_selector

// Applies 4-byte edits to a token: op (1) | offset (2, LE) | value (1);
// op % 4: 0 XOR the byte at offset % size with value, 1 set it to value,
// 2 insert value before offset % (size + 1), 3 truncate at offset % (size
// + 1). An empty edit list gives the token back unchanged.
Bytes apply_edits(ByteView token, ByteView edits);

// What one input did: every leg as it was delivered (legs[0] is leg 1, the
// initiator's first token), whether any differed from what its sender
// sent, and how each side ended.
struct NegoTranscript {
    std::vector<Bytes> legs;
    bool tampered = false;
    OM_uint32 initiator_major = 0;
    OM_uint32 acceptor_major = 0;
};

// Points the module at the fuzz user file (use_module_environment) and
// makes the credentials and target name once.
void nego_setup();

// Runs one input against the given receiver (see above).
NegoTranscript run_nego_input(Side receiver, const uint8_t* data, size_t size);

// A field for an input: 2-byte LE length, then the bytes.
void append_field(Bytes& input, ByteView field);

}  // namespace gssneg::fuzz
