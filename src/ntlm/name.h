// NTLM names: users ("user", "DOMAIN\user", "user@DOMAIN"), host-based
// services ("service@host"), and the anonymous name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gssneg::ntlm {

// What the domain reported about a user it authenticated (the winbind
// backend); SIDs in their "S-1-5-21-..." text form.
struct DomainIdentity {
    std::string account;       // as the domain spells it
    std::string domain;        // the NetBIOS domain
    std::string full_name;
    std::string logon_server;
    std::string user_sid;
    std::vector<std::string> group_sids;  // the primary group first
};

enum class NameKind { user, hostbased_service, anonymous };

// An RFC 6680 name attribute and its values, in order.
struct NameAttribute {
    std::string_view name;
    std::vector<std::string> values;
};

// The attributes a domain logon gives a name (see docs/domain.md, "Name attributes"):
//   urn:gss-negotiate:user-sid      the account's SID
//   urn:gss-negotiate:group-sids    its groups' SIDs, the primary group first
//   urn:gss-negotiate:sids          the account's SID, then the groups'
//   urn:gss-negotiate:account       "DOMAIN\account" as the domain spells it
//   urn:gss-negotiate:full-name     when the domain has one
//   urn:gss-negotiate:logon-server  the domain controller that checked the logon
//   urn:gssntlmssp:sids             one value: the SIDs of urn:gss-negotiate:sids
//                                   joined by commas, as gss-ntlmssp names and
//                                   spells them, for applications written for it
inline constexpr std::string_view attr_user_sid = "urn:gss-negotiate:user-sid";
inline constexpr std::string_view attr_group_sids = "urn:gss-negotiate:group-sids";
inline constexpr std::string_view attr_sids = "urn:gss-negotiate:sids";
inline constexpr std::string_view attr_account = "urn:gss-negotiate:account";
inline constexpr std::string_view attr_full_name = "urn:gss-negotiate:full-name";
inline constexpr std::string_view attr_logon_server = "urn:gss-negotiate:logon-server";
inline constexpr std::string_view attr_gssntlmssp_sids = "urn:gssntlmssp:sids";

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

    // Set on the initiator's name after a domain logon; copies share it.
    const std::shared_ptr<const DomainIdentity>& identity() const noexcept { return m_identity; }
    void set_identity(std::shared_ptr<const DomainIdentity> identity) noexcept { m_identity = std::move(identity); }
    // The name's attributes (none without a domain identity); those with no
    // value are left out.
    std::vector<NameAttribute> attributes() const;

private:
    NameKind m_kind = NameKind::user;
    std::string m_user;
    std::string m_domain;
    std::string m_service;
    std::string m_host;
    std::shared_ptr<const DomainIdentity> m_identity;
};

inline constexpr std::string_view anonymous_display = "NT AUTHORITY\\ANONYMOUS LOGON";

}  // namespace gssneg::ntlm
