#include "ntlm/local_name.h"

#include "util/utf16.h"

#include <algorithm>

namespace gssneg::ntlm {

namespace {

constexpr std::string_view any = "*";

bool has_winbind(const Config& config) {
    return std::find(config.ntlm_backends.begin(), config.ntlm_backends.end(), Config::NtlmBackend::winbind) !=
           config.ntlm_backends.end();
}

void add_name(std::vector<std::string>& out, std::string name) {
    if (name.empty()) return;
    if (std::any_of(out.begin(), out.end(), [&](const std::string& n) { return iequals_ascii(n, name); })) return;
    out.push_back(std::move(name));
}

bool rule_matches(const Config::NameRule& rule, const Name& name) {
    return iequals_ascii(rule.domain, name.domain()) &&
           (rule.user == any || to_upper_utf8(rule.user) == to_upper_utf8(name.user_name()));
}

// The account for a user part: as written, else in lower case.
std::optional<std::string> account_for_user(const std::string& user, const LocalSystem& system) {
    if (system.account_exists(user)) return user;
    std::string lower = to_lower_ascii(user);
    if (lower != user && system.account_exists(lower)) return lower;
    return std::nullopt;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> local_domains(const Config& config, const LocalSystem& system) {
    if (!config.local_domains.empty()) return config.local_domains;
    std::optional<DomainNames> winbind;
    if (has_winbind(config) && system.winbind_names) winbind = system.winbind_names();
    DomainNames announced = announced_domain_names(config, config.domain_names_set ? std::nullopt : winbind);
    std::vector<std::string> out;
    add_name(out, std::move(announced.netbios_domain));
    add_name(out, std::move(announced.dns_domain));
    if (winbind) {
        add_name(out, std::move(winbind->netbios_domain));
        add_name(out, std::move(winbind->dns_domain));
    }
    return out;
}

std::optional<std::string> local_account(const Name& name, const Config& config, const LocalSystem& system,
                                         std::string* why) {
    const auto refuse = [&](std::string reason) -> std::optional<std::string> {
        if (why != nullptr) *why = std::move(reason);
        return std::nullopt;
    };
    if (name.kind() != NameKind::user) return refuse(name.display() + " is not a user name");
    if (name.domain().empty()) return refuse(name.display() + " names no domain");

    for (const Config::NameRule& rule : config.local_name_map) {
        if (!rule_matches(rule, name)) continue;
        const std::string rule_text = rule.domain + "\\" + rule.user + " " + rule.local;
        if (rule.local == any) {
            if (auto account = account_for_user(name.user_name(), system)) return account;
            return refuse(name.display() + " (local_name_map " + rule_text + "): no local account " +
                          name.user_name());
        }
        if (system.account_exists(rule.local)) return rule.local;
        return refuse(name.display() + " (local_name_map " + rule_text + "): no local account " + rule.local);
    }

    const std::vector<std::string> domains = local_domains(config, system);
    const bool local = std::any_of(domains.begin(), domains.end(),
                                   [&](const std::string& d) { return iequals_ascii(d, name.domain()); });
    if (!local)
        return refuse(name.display() + ": " + name.domain() + " is not a local domain (" + joined(domains) +
                      ") and no local_name_map rule names it");
    if (auto account = account_for_user(name.user_name(), system)) return account;
    return refuse(name.display() + ": no local account " + name.user_name());
}

}  // namespace gssneg::ntlm
