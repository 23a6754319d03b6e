// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3).
#pragma once

#include "ntlm/version.h"
#include "util/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace gssneg::ntlm {

using Mic16 = std::array<uint8_t, 16>;

struct AuthenticateFields {
    uint32_t flags = 0;
    Bytes lm_response;
    Bytes nt_response;
    std::string domain;       // UTF-8; on the wire UTF-16LE if UNICODE, else OEM
    std::string user;
    std::string workstation;
    Bytes encrypted_random_session_key;
    std::optional<Version> version;
    // Present when the message has a MIC field (16 bytes after Version).
    std::optional<Mic16> mic;
};

// Where an NTLMv2 NtChallengeResponse's AV pairs start: after NTProofStr
// (16 bytes) and the client blob's 01 01 0000 00000000, Time,
// ClientChallenge and 00000000 (28 bytes; MS-NLMP 2.2.2.7).
constexpr size_t ntlmv2_av_pairs_offset = 16 + 28;

class AuthenticateMessage final {
public:
    // Offset of the MIC field when present (after the 64-byte header and the
    // 8-byte Version).
    static constexpr size_t mic_offset = 72;

    // Parses. Whether Version and MIC exist is decided by the smallest offset
    // of the non-empty payload fields (>= 72: Version, >= 88: Version + MIC),
    // not by the flags. Every payload field is bounds-checked.
    explicit AuthenticateMessage(ByteView token);
    // Builds. A MIC field is written when fields.mic is set (write zeros
    // first, compute the MIC over the result, then patch it in at
    // mic_offset). A MIC requires a Version.
    explicit AuthenticateMessage(AuthenticateFields fields);

    Bytes serialize() const;

    const AuthenticateFields& fields() const noexcept { return m_fields; }
    uint32_t flags() const noexcept { return m_fields.flags; }

private:
    AuthenticateFields m_fields;
};

}  // namespace gssneg::ntlm
