#include "ntlm/name.h"

#include "util/errors.h"
#include "util/utf16.h"

namespace gssneg::ntlm {

Name Name::user(std::string_view text) {
    Name n;
    n.m_kind = NameKind::user;
    if (const auto bs = text.find('\\'); bs != std::string_view::npos) {
        n.m_domain = std::string(text.substr(0, bs));
        n.m_user = std::string(text.substr(bs + 1));
    } else if (const auto at = text.rfind('@'); at != std::string_view::npos) {
        n.m_user = std::string(text.substr(0, at));
        n.m_domain = std::string(text.substr(at + 1));
    } else {
        n.m_user = std::string(text);
    }
    if (n.m_user.empty()) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "empty user name");
    return n;
}

Name Name::hostbased(std::string_view text) {
    Name n;
    n.m_kind = NameKind::hostbased_service;
    if (const auto at = text.find('@'); at != std::string_view::npos) {
        n.m_service = std::string(text.substr(0, at));
        n.m_host = std::string(text.substr(at + 1));
    } else {
        n.m_service = std::string(text);
    }
    if (n.m_service.empty()) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "empty service name");
    return n;
}

Name Name::anonymous() {
    Name n;
    n.m_kind = NameKind::anonymous;
    return n;
}

Name Name::from_parts(std::string domain, std::string user_name) {
    if (user_name.empty()) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "empty user name");
    Name n;
    n.m_kind = NameKind::user;
    n.m_domain = std::move(domain);
    n.m_user = std::move(user_name);
    return n;
}

std::string Name::display() const {
    switch (m_kind) {
    case NameKind::user: return m_domain.empty() ? m_user : m_domain + "\\" + m_user;
    case NameKind::hostbased_service: return m_host.empty() ? m_service : m_service + "@" + m_host;
    case NameKind::anonymous: return std::string(anonymous_display);
    }
    return {};
}

std::string Name::spn() const {
    if (m_kind != NameKind::hostbased_service) return {};
    return m_host.empty() ? m_service : m_service + "/" + m_host;
}

bool Name::matches(const Name& other) const {
    if (m_kind != other.m_kind) return false;
    switch (m_kind) {
    case NameKind::user: {
        const bool domains_ok =
            m_domain.empty() || other.m_domain.empty() || iequals_ascii(m_domain, other.m_domain);
        return domains_ok && to_upper_utf8(m_user) == to_upper_utf8(other.m_user);
    }
    case NameKind::hostbased_service:
        return m_service == other.m_service &&
               (m_host.empty() || other.m_host.empty() || iequals_ascii(m_host, other.m_host));
    case NameKind::anonymous: return true;
    }
    return false;
}

std::vector<NameAttribute> Name::attributes() const {
    std::vector<NameAttribute> out;
    if (!m_identity) return out;
    const DomainIdentity& id = *m_identity;
    const auto add = [&](std::string_view name, std::vector<std::string> values) {
        if (!values.empty()) out.push_back({name, std::move(values)});
    };
    std::vector<std::string> all;
    if (!id.user_sid.empty()) all.push_back(id.user_sid);
    all.insert(all.end(), id.group_sids.begin(), id.group_sids.end());
    add(attr_user_sid, id.user_sid.empty() ? std::vector<std::string>{} : std::vector<std::string>{id.user_sid});
    add(attr_group_sids, id.group_sids);
    std::string joined;
    for (const std::string& sid : all) joined += (joined.empty() ? "" : ",") + sid;
    add(attr_sids, std::move(all));
    add(attr_account, {id.domain + "\\" + id.account});
    if (!id.full_name.empty()) add(attr_full_name, {id.full_name});
    if (!id.logon_server.empty()) add(attr_logon_server, {id.logon_server});
    if (!joined.empty()) add(attr_gssntlmssp_sids, {joined});
    return out;
}

}  // namespace gssneg::ntlm
