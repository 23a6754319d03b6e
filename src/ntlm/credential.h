// NTLM credentials: an initiator identity with its NT (and LM) hash, an
// acceptor with its logon backends (the user database, the domain), or both.
#pragma once

#include "ntlm/context_export.h"
#include "ntlm/logon.h"
#include "ntlm/name.h"
#include "ntlm/user_database.h"
#include "util/config.h"
#include "util/secure.h"

#include <memory>
#include <optional>
#include <string>

namespace gssneg::ntlm {

enum class CredUsage { initiate, accept, both };

// Values a gss_acquire_cred_from() credential store may carry (keys in
// include/gss-negotiate/gss_negotiate.h).
struct CredStoreOptions {
    std::optional<std::string> user_file;
    std::optional<SecureString> password;
    std::optional<Key16> nt_hash;
    std::optional<std::string> domain;
    std::optional<std::string> workstation;
};

class Credential final {
public:
    // desired: a user name (initiator identity), a host-based service name
    // (acceptor), the anonymous name, or nullptr for the default identity
    // (NTLMUSER, then USER, then the user database's first entry). Without
    // a password, and with the user not in the user database, the
    // credentials winbindd keeps for the logged-on user (winbind_credentials).
    // Throws GssError(GSS_S_NO_CRED, ...) when no usable secret or logon
    // backend is found.
    static std::shared_ptr<const Credential> acquire(const Name* desired, CredUsage usage,
                                                     const CredStoreOptions& store, const Config& config);

    CredUsage usage() const noexcept { return m_usage; }
    bool can_initiate() const noexcept { return m_usage != CredUsage::accept; }
    bool can_accept() const noexcept { return m_usage != CredUsage::initiate; }

    // The identity: for an initiator the user (with domain when known), for
    // an acceptor the desired service name if one was given.
    const std::optional<Name>& name() const noexcept { return m_name; }
    bool anonymous() const noexcept { return m_name && m_name->kind() == NameKind::anonymous; }

    // Initiator secrets (valid when can_initiate() && !anonymous()). A
    // password is hashed as the credential is made and not kept. The LM
    // hash is kept only when the configuration's lm_compat_level is 0 or 1
    // at acquisition, the levels that send an LM response.
    const Key16& nt_hash() const noexcept { return m_nt_hash; }
    const std::optional<Key16>& lm_hash() const noexcept { return m_lm_hash; }
    const std::string& workstation() const noexcept { return m_workstation; }
    // The secret is the logged-on user's password that winbindd keeps
    // (winbind_credentials): winbindd makes the responses, and nt_hash()
    // and lm_hash() hold nothing.
    bool winbind_cached() const noexcept { return m_winbind_cached; }

    // Where the acceptor checks logons (valid when can_accept()).
    const LogonChain& logon() const noexcept { return *m_logon; }

    // gss_export_cred / gss_import_cred: the credential as a token holds
    // it, and a credential made again from one. An acceptor's logon
    // backends are those of config, with the exported user file.
    ExportedCredential exported() const;
    static std::shared_ptr<const Credential> restore(const ExportedCredential& e, const Config& config);

private:
    Credential() = default;

    CredUsage m_usage = CredUsage::initiate;
    std::optional<Name> m_name;
    Key16 m_nt_hash;
    std::optional<Key16> m_lm_hash;
    std::string m_workstation;
    bool m_winbind_cached = false;
    std::string m_user_file;  // the user database's path, empty for none
    std::shared_ptr<const LogonChain> m_logon;
};

}  // namespace gssneg::ntlm
