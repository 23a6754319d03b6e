// NTLM names: users ("user", "DOMAIN\user", "user@DOMAIN"), host-based
// services ("service@host"), and the anonymous name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gssneg::ntlm {

enum class NameKind { user, hostbased_service, anonymous };

class Name final {
public:
    // Parses a user name. "DOMAIN\user" splits at the first backslash,
    // "user@DOMAIN" at the last '@'; anything else is a bare user name.
    // Throws GssError(GSS_S_BAD_NAME, bad_name) for an empty user part.
    static Name user(std::string_view text);
    // Parses "service@host" or "service" (host then empty, meaning any).
    static Name hostbased(std::string_view text);
    static Name anonymous();
    static Name from_parts(std::string domain, std::string user_name);

    NameKind kind() const noexcept { return m_kind; }
    const std::string& user_name() const noexcept { return m_user; }
    const std::string& domain() const noexcept { return m_domain; }
    const std::string& service() const noexcept { return m_service; }
    const std::string& host() const noexcept { return m_host; }

    // "DOMAIN\user" (or "user"), "service@host", or the anonymous
    // principal's conventional text.
    std::string display() const;
    // The SPN for MsvAvTargetName: "service/host" (MS-NLMP 2.2.2.1).
    std::string spn() const;
    // Users compare case-insensitively in user and domain (an empty domain on
    // either side matches any); services compare the service exactly and the
    // host case-insensitively.
    bool matches(const Name& other) const;

private:
    NameKind m_kind = NameKind::user;
    std::string m_user;
    std::string m_domain;
    std::string m_service;
    std::string m_host;
};

inline constexpr std::string_view anonymous_display = "NT AUTHORITY\\ANONYMOUS LOGON";

}  // namespace gssneg::ntlm
