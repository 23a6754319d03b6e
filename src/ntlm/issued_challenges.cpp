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

void IssuedChallenges::remember(const Challenge8& challenge, const std::optional<Name>& service,
                                Clock::time_point expires) {
    const uint64_t key = key_of(challenge);
    Shard& shard = shard_of(key);
    const std::lock_guard lock(shard.mutex);
    // Contexts that are never deleted leave their entry behind until it
    // expires: sweep whenever the part has doubled since its last sweep.
    if (shard.entries.size() >= shard.sweep_at) {
        const auto now = Clock::now();
        std::erase_if(shard.entries, [now](const auto& entry) { return entry.second.expires <= now; });
        shard.sweep_at = std::max<size_t>(64, shard.entries.size() * 2);
    }
    shard.entries.insert_or_assign(key, Entry{expires, service});
}

void IssuedChallenges::forget(const Challenge8& challenge) noexcept {
    const uint64_t key = key_of(challenge);
    Shard& shard = shard_of(key);
    const std::lock_guard lock(shard.mutex);
    shard.entries.erase(key);
}

bool IssuedChallenges::issued(const Challenge8& challenge, std::optional<Name>& service) {
    const uint64_t key = key_of(challenge);
    Shard& shard = shard_of(key);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end() || it->second.expires <= Clock::now()) return false;
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
    size_t n = 0;
    for (Shard& shard : m_shards) {
        const std::lock_guard lock(shard.mutex);
        n += shard.entries.size();
    }
    return n;
}

}  // namespace gssneg::ntlm
