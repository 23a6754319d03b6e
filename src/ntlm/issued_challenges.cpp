#include "ntlm/issued_challenges.h"

#include "util/utf16.h"

namespace gssneg::ntlm {

IssuedChallenges& IssuedChallenges::process() {
    static IssuedChallenges registry;
    return registry;
}

uint64_t IssuedChallenges::key_of(const Challenge8& challenge) noexcept {
    uint64_t key = 0;
    for (const uint8_t b : challenge) key = key << 8 | b;
    return key;
}

void IssuedChallenges::drop_expired(Clock::time_point now) {
    std::erase_if(m_entries, [now](const auto& entry) { return entry.second.expires <= now; });
}

void IssuedChallenges::remember(const Challenge8& challenge, const std::optional<Name>& service,
                                Clock::time_point expires) {
    const std::lock_guard lock(m_mutex);
    // Contexts that are never deleted leave their entry behind until it
    // expires: sweep whenever the table has doubled since the last sweep.
    if (m_entries.size() >= m_sweep_at) {
        drop_expired(Clock::now());
        m_sweep_at = std::max<size_t>(64, m_entries.size() * 2);
    }
    m_entries.insert_or_assign(key_of(challenge), Entry{expires, service});
}

void IssuedChallenges::forget(const Challenge8& challenge) noexcept {
    const std::lock_guard lock(m_mutex);
    m_entries.erase(key_of(challenge));
}

bool IssuedChallenges::issued(const Challenge8& challenge, std::optional<Name>& service) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(key_of(challenge));
    if (it == m_entries.end() || it->second.expires <= Clock::now()) return false;
    service = it->second.service;
    return true;
}

bool IssuedChallenges::reaches(const Name& target, const std::optional<Name>& service, const Config& config) {
    if (target.kind() != NameKind::hostbased_service) return false;
    if (service) {
        if (!iequals_ascii(service->service(), target.service())) return false;
        return service->host().empty() || iequals_ascii(service->host(), target.host());
    }
    std::string_view host = target.host();
    while (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty()) return true;
    for (const std::string_view local : {std::string_view("localhost"), std::string_view("localhost.localdomain"),
                                         std::string_view("127.0.0.1"), std::string_view("::1")})
        if (iequals_ascii(host, local)) return true;
    return iequals_ascii(host, config.dns_computer) || iequals_ascii(host, config.netbios_computer) ||
           iequals_ascii(host, config.dns_computer.substr(0, config.dns_computer.find('.')));
}

size_t IssuedChallenges::size_for_tests() {
    const std::lock_guard lock(m_mutex);
    return m_entries.size();
}

}  // namespace gssneg::ntlm
