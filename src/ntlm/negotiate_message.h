// NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
#pragma once

#include "ntlm/version.h"
#include "util/bytes.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gssneg::ntlm {

class NegotiateMessage final {
public:
    // Parses. The Version field is present when the payload offsets leave
    // room for it (real clients send NEGOTIATE without one); domain and
    // workstation are OEM strings, read only when their *_SUPPLIED flags are set.
    explicit NegotiateMessage(ByteView token);
    // Builds. serialize() adds OEM_DOMAIN_SUPPLIED / OEM_WORKSTATION_SUPPLIED
    // when the strings are non-empty and writes Version when one is given.
    NegotiateMessage(uint32_t flags, std::string domain, std::string workstation,
                     std::optional<Version> version);

    Bytes serialize() const;

    uint32_t flags() const noexcept { return m_flags; }
    const std::string& domain() const noexcept { return m_domain; }
    const std::string& workstation() const noexcept { return m_workstation; }
    const std::optional<Version>& version() const noexcept { return m_version; }

private:
    uint32_t m_flags = 0;
    std::string m_domain;
    std::string m_workstation;
    std::optional<Version> m_version;
};

}  // namespace gssneg::ntlm
