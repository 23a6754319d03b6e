// The interprocess token of an established NTLM context
// (gss_export_sec_context / gss_import_sec_context, RFC 2743 2.2.8, 2.2.9).
//
// The token holds the session key and the RC4 stream positions: it is a
// secret as long as the session lives. It is built in a wiping buffer, the
// module wipes every copy it makes, and callers must treat it as a key.
// There is no integrity protection: it must travel between processes of
// one trust domain only.
//
// Only complete contexts are exported; a context in the middle of its
// handshake is refused with GSS_S_UNAVAILABLE (context_incomplete).
//
// Format, version 1. All integers are big-endian (the mechglue frames the
// token with a 4-byte big-endian OID length and the OID; that frame is not
// part of what follows).
//
//   offset size  field
//   0      4     magic "GNXC" (47 4e 58 43)
//   4      2     version, 1
//   6      1     length of the mechanism OID, 10
//   7      10    the NTLM OID 1.3.6.1.4.1.311.2.2.10 (DER contents)
//   17     1     role: 1 initiator, 2 acceptor
//   18     4     negotiated NegotiateFlags (MS-NLMP 2.2.2.5)
//   22     4     GSS flags requested (req_flags)
//   26     4     GSS flags granted (ret_flags)
//   30     8     expiry, seconds since the epoch (two's complement)
//   38     1     response kind: 0 anonymous, 1 NTLMv1, 2 NTLMv1+ESS, 3 NTLMv2
//   39     1     1 if the AUTHENTICATE carried a verified MIC, else 0
//   40     16    ExportedSessionKey
//   56     4     next outgoing sequence number (without ESS: the shared one)
//   60     4     next incoming sequence number expected (ESS window)
//   64     8     ESS window bitmap (bit i-1: next-i was seen)
//   72     8     outgoing RC4 keystream bytes consumed since keying/reset
//   80     8     incoming RC4 keystream bytes consumed (equal to the
//                outgoing count without ESS: one shared stream)
//   88     ...   initiator name, then target name, each:
//                  1 byte present (0/1); if 1: 1 byte kind (0 user,
//                  1 host-based service, 2 anonymous), then four strings
//                  user, domain, service, host, each a 2-byte length and
//                  UTF-8 bytes
//   end          nothing may follow
//
// The RC4 streams are carried as byte counts, not as S-box states: OpenSSL
// 3 does not expose the state of a provider's RC4, so import re-keys each
// handle from its seal key and discards that many keystream bytes. A count
// above max_stream_position (4 GiB, a few seconds of discarding) is refused
// as malformed, so that a bad token cannot keep import busy; export refuses
// such a context with GSS_S_UNAVAILABLE and Minor::export_stream_too_long.
//
// Import refuses anything else (wrong magic, version, OID, role, kind, a
// truncated token or trailing bytes, a name that does not parse, a stream
// count on a context without streams) with GSS_S_DEFECTIVE_TOKEN and
// Minor::bad_export_token.
#pragma once

#include "ntlm/name.h"
#include "ntlm/session_info.h"
#include "util/bytes.h"
#include "util/secure.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gssneg::ntlm {

struct ExportedContext {
    static constexpr uint16_t current_version = 1;
    static constexpr uint64_t max_stream_position = uint64_t{1} << 32;

    bool initiator = true;
    uint32_t negotiated_flags = 0;
    uint32_t req_flags = 0;
    uint32_t ret_flags = 0;
    int64_t expiry = 0;
    ResponseKind response = ResponseKind::ntlmv2;
    bool mic_present = false;
    Key16 exported_session_key;
    uint32_t send_seq = 0;
    uint32_t recv_next = 0;
    uint64_t recv_seen = 0;
    uint64_t outgoing_stream = 0;
    uint64_t incoming_stream = 0;
    std::optional<Name> initiator_name;
    std::optional<Name> target_name;

    SecureBytes serialize() const;
    // Throws GssError(GSS_S_DEFECTIVE_TOKEN, bad_export_token).
    static ExportedContext parse(ByteView token);
};

// The interprocess token of an NTLM credential (gss_export_cred /
// gss_import_cred, which gssproxy uses to hand credentials to a client).
// It holds the NT hash (and the LM hash when kept): a secret, built and
// copied in wiping buffers like the context token, with no integrity
// protection, for processes of one trust domain.
//
// Format, version 1, big-endian:
//
//   offset size  field
//   0      4     magic "GNCR" (47 4e 43 52)
//   4      2     version, 1
//   6      1     usage: 1 initiate, 2 accept, 3 both
//   7      1     secret: 0 none (acceptor only, or anonymous), 1 the NT
//                hash, 2 winbindd's cached credentials (no secret: the
//                importing process asks winbindd, which answers its uid)
//   8      16    the NT hash (secret 1 only)
//   ..     1     LM hash present (0/1), then its 16 bytes (secret 1 only)
//   ..     ...   the name, as in the context token (present byte, kind,
//                four strings)
//   ..     2+n   workstation (UTF-8)
//   ..     2+n   the user file of the acceptor's logon backends, empty for
//                the importer's configuration (usage accept or both)
//   end          nothing may follow
//
// The acceptor's logon backends are the importing process's configuration
// (ntlm_backends), with the exported user file. Import refuses any other
// layout with GSS_S_DEFECTIVE_TOKEN and Minor::bad_export_token.
struct ExportedCredential {
    static constexpr uint16_t current_version = 1;
    enum class Secret : uint8_t { none = 0, nt_hash = 1, winbind_cached = 2 };

    uint8_t usage = 1;  // 1 initiate, 2 accept, 3 both
    Secret secret = Secret::none;
    Key16 nt_hash;
    std::optional<Key16> lm_hash;
    std::optional<Name> name;
    std::string workstation;
    std::string user_file;

    SecureBytes serialize() const;
    // Throws GssError(GSS_S_DEFECTIVE_TOKEN, bad_export_token).
    static ExportedCredential parse(ByteView token);

private:
    static ExportedCredential parse_fields(ByteView token);
};

}  // namespace gssneg::ntlm
