// Local accounts for NTLM user names: what gss_localname, gss_userok,
// gss_pname_to_uid and the local-login-user attribute answer. A name maps
// only when a local_name_map rule or one of the acceptor's own domains
// covers it, so that another domain's "root" is never the local root.
#pragma once

#include "ntlm/logon.h"
#include "ntlm/name.h"
#include "util/config.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gssneg::ntlm {

// What the mapping asks of the system.
struct LocalSystem {
    // Whether a local account of this name exists (getpwnam).
    std::function<bool(const std::string&)> account_exists;
    // The names winbindd reports (winbind_domain_names); asked only with
    // winbind among the backends and local_domains empty.
    std::function<std::optional<DomainNames>()> winbind_names;
};

// The domains whose users map to local accounts of the same name:
// config.local_domains; when it is empty, the NetBIOS and DNS domain the
// acceptor announces (announced_domain_names) and, with winbind among the
// backends, winbind's own NetBIOS and DNS domain; each once, empty names
// left out.
std::vector<std::string> local_domains(const Config& config, const LocalSystem& system);

// The local account of a name, or std::nullopt with *why saying what kept
// it from mapping:
//  1. the first local_name_map rule whose domain and user match the
//     name's decides: its account, or with "*" the name's user part;
//  2. otherwise a user of one of local_domains() maps to its user part;
//  3. otherwise, and for names without a domain, services and the
//     anonymous name, nothing.
// Domains compare without ASCII case, a rule's user as Name::matches
// compares users. A user part maps to the account of that name, or failing
// that of its lower-case form; a rule's own account must exist as written.
std::optional<std::string> local_account(const Name& name, const Config& config, const LocalSystem& system,
                                         std::string* why);

}  // namespace gssneg::ntlm
