#include "ntlm/credential.h"

#include "ntlm/ntlm_crypto.h"
#include "ntlm/winbind_logon.h"
#include "util/errors.h"

#include <cstdlib>

namespace gssneg::ntlm {

namespace {

std::optional<std::string> default_user_name() {
    for (const char* var : {"NTLMUSER", "USER"}) {
        if (const char* v = environment_value(var); v != nullptr && *v != '\0') return std::string(v);
    }
    return std::nullopt;
}

std::shared_ptr<UserDatabase> open_user_db(const std::string& path) {
    if (path.empty()) return nullptr;
    return UserDatabase::shared(path);
}

}  // namespace

std::shared_ptr<const Credential> Credential::acquire(const Name* desired, CredUsage usage,
                                                      const CredStoreOptions& store, const Config& config) {
    std::shared_ptr<Credential> cred(new Credential());
    cred->m_usage = usage;
    cred->m_workstation = store.workstation ? *store.workstation : config.workstation;
    cred->m_user_file = store.user_file ? *store.user_file : config.user_file;
    const auto user_db = open_user_db(cred->m_user_file);

    if (usage != CredUsage::initiate) {
        cred->m_logon = LogonChain::from_config(user_db, config);
        if (desired != nullptr) cred->m_name = *desired;
    }
    if (usage == CredUsage::accept) return cred;

    if (desired != nullptr && desired->kind() == NameKind::anonymous) {
        cred->m_name = *desired;
        return cred;
    }
    if (desired != nullptr && desired->kind() != NameKind::user) {
        throw GssError(GSS_S_BAD_NAMETYPE, Minor::unsupported_name_type,
                       "an initiator credential needs a user name");
    }

    std::optional<Name> who;
    if (desired != nullptr) {
        who = *desired;
    } else if (const auto user = default_user_name()) {
        who = Name::user(*user);
    }
    if (who && who->domain().empty() && store.domain) who = Name::from_parts(*store.domain, who->user_name());

    // LmCompatibilityLevel 0 and 1 send an LM response; above, the LM hash
    // has no use and is not kept.
    const bool keep_lm_hash = config.lm_compat_level <= 1;
    if (store.password || store.nt_hash) {
        if (!who) throw GssError(GSS_S_NO_CRED, Minor::no_credentials, "no user name for the password");
        if (store.nt_hash) {
            cred->m_nt_hash = *store.nt_hash;
        } else {
            cred->m_nt_hash = nt_owf_v1(*store.password);
            if (keep_lm_hash && lm_owf_possible(*store.password)) cred->m_lm_hash = lm_owf_v1(*store.password);
        }
        cred->m_name = who;
        return cred;
    }

    std::string no_secret = "no password and no user database";
    if (user_db) {
        const auto entry = who ? user_db->find(who->user_name(), who->domain()) : user_db->first();
        if (entry) {
            const std::string domain = who && !who->domain().empty() ? who->domain() : entry->domain;
            cred->m_name = Name::from_parts(domain, who ? who->user_name() : entry->user);
            cred->m_nt_hash = entry->nt_hash;
            if (keep_lm_hash) cred->m_lm_hash = entry->lm_hash;
            return cred;
        }
        no_secret = who ? "user " + who->display() + " is not in the user database" : "user database is empty";
    }
    if (!config.winbind_credentials || !who) throw GssError(GSS_S_NO_CRED, Minor::no_credentials, no_secret);

    // Single sign-on on a domain member: the password winbindd keeps for
    // the logged-on user answers the CHALLENGE (NtlmClient asks winbindd).
    std::string domain = who->domain();
    if (domain.empty()) {
        if (const auto names = winbind_domain_names(); names && !names->netbios_domain.empty())
            domain = names->netbios_domain;
    }
    // Without a domain (winbindd did not say its own), winbindd names the
    // user's domain itself, or says why it cannot answer.
    const std::optional<std::string> missing = winbind_cached_credentials_missing(domain, who->user_name());
    if (missing) throw GssError(GSS_S_NO_CRED, Minor::no_credentials, no_secret + "; " + *missing);
    cred->m_name = Name::from_parts(domain, who->user_name());
    cred->m_winbind_cached = true;
    return cred;
}

ExportedCredential Credential::exported() const {
    ExportedCredential e;
    e.usage = m_usage == CredUsage::initiate ? 1 : m_usage == CredUsage::accept ? 2 : 3;
    e.name = m_name;
    e.workstation = m_workstation;
    if (can_accept()) e.user_file = m_user_file;
    if (can_initiate() && !anonymous()) {
        if (m_winbind_cached) {
            e.secret = ExportedCredential::Secret::winbind_cached;
        } else {
            e.secret = ExportedCredential::Secret::nt_hash;
            e.nt_hash = m_nt_hash;
            e.lm_hash = m_lm_hash;
        }
    }
    return e;
}

std::shared_ptr<const Credential> Credential::restore(const ExportedCredential& e, const Config& config) {
    std::shared_ptr<Credential> cred(new Credential());
    cred->m_usage = e.usage == 1 ? CredUsage::initiate : e.usage == 2 ? CredUsage::accept : CredUsage::both;
    cred->m_name = e.name;
    cred->m_workstation = e.workstation;
    cred->m_user_file = e.user_file.empty() ? config.user_file : e.user_file;
    if (cred->can_accept()) cred->m_logon = LogonChain::from_config(open_user_db(cred->m_user_file), config);
    if (e.secret == ExportedCredential::Secret::nt_hash) {
        cred->m_nt_hash = e.nt_hash;
        if (config.lm_compat_level <= 1) cred->m_lm_hash = e.lm_hash;
    }
    cred->m_winbind_cached = e.secret == ExportedCredential::Secret::winbind_cached;
    if (cred->m_winbind_cached) {
        // winbindd answers the uid that stored them: this process's may
        // differ from the exporter's.
        const Name& user = *e.name;
        if (const auto missing = winbind_cached_credentials_missing(user.domain(), user.user_name()))
            throw GssError(GSS_S_NO_CRED, Minor::no_credentials, "the imported credential: " + *missing);
    }
    return cred;
}

}  // namespace gssneg::ntlm
