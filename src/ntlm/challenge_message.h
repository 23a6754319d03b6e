// CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
#pragma once

#include "ntlm/av_pairs.h"
#include "ntlm/version.h"
#include "util/bytes.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace gssneg::ntlm {

using Challenge8 = std::array<uint8_t, 8>;

class ChallengeMessage final {
public:
    // Parses. TargetName is UTF-16LE when NEGOTIATE_UNICODE is set, else OEM
    // (read as Latin-1). TargetInfo is parsed as AV pairs when its length is
    // non-zero. Version is present when payload offsets leave room for it.
    explicit ChallengeMessage(ByteView token);
    // Builds. TargetInfo is written when flags has NEGOTIATE_TARGET_INFO.
    ChallengeMessage(uint32_t flags, const Challenge8& server_challenge, std::string target_name,
                     AvPairs target_info, std::optional<Version> version);

    Bytes serialize() const;

    uint32_t flags() const noexcept { return m_flags; }
    const Challenge8& server_challenge() const noexcept { return m_server_challenge; }
    const std::string& target_name() const noexcept { return m_target_name; }
    const AvPairs& target_info() const noexcept { return m_target_info; }
    // The TargetInfo bytes exactly as received (or as serialize() writes them).
    const Bytes& target_info_bytes() const noexcept { return m_target_info_bytes; }
    const std::optional<Version>& version() const noexcept { return m_version; }

private:
    uint32_t m_flags = 0;
    Challenge8 m_server_challenge{};
    std::string m_target_name;
    AvPairs m_target_info;
    Bytes m_target_info_bytes;
    std::optional<Version> m_version;
};

}  // namespace gssneg::ntlm
