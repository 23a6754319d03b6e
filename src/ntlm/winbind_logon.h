// The domain logon backend: NTLM responses checked by a domain controller
// through winbindd (libwbclient's wbcCtxAuthenticateUserEx, which winbindd
// forwards over NETLOGON). libwbclient.so.0 is loaded when the backend is
// first used, so the module runs without Samba's libraries when the backend
// is not configured.
//
// The caller needs winbindd's privileged pipe (root, or the group that owns
// the winbindd_privileged directory): the domain controller returns the
// session key only there.
#pragma once

#include "ntlm/logon.h"
#include "util/errors.h"

#include <cstdint>
#include <memory>
#include <optional>

namespace gssneg::ntlm {

// How an NT status from the domain reads as a GSS result. unknown_user
// means the next backend may know the user.
struct DomainRefusal {
    OM_uint32 major;
    Minor minor;
    bool unknown_user = false;
};
DomainRefusal domain_refusal(uint32_t nt_status) noexcept;

// The text Windows gives an NT status ("NT_STATUS_WRONG_PASSWORD"), or
// "NT status 0x..." for one this module does not name.
std::string nt_status_name(uint32_t nt_status);

// NTLMv1 with extended session security: the domain controller checks the
// NT response against the 8-byte challenge MD5(ServerChallenge ||
// ClientChallenge)[0..7] (MS-NLMP 3.3.1, "NTLM2 session response").
Challenge8 ess_session_challenge(const Challenge8& server_challenge, ByteView lm_response);

// The domain names winbindd reports (WinbindLogon::domain_names), or
// std::nullopt when libwbclient cannot be loaded or winbindd does not
// answer. Never throws for a missing library.
std::optional<DomainNames> winbind_domain_names();

// The logged-on user's password that winbindd keeps in memory (pam_winbind
// with cached_login, or wbinfo --ccache-save) answers CHALLENGEs for the
// uid that stored it: single sign-on without a password on disk. winbindd
// makes the AUTHENTICATE itself (libwbclient's wbcCtxCredentialCache), from
// this initiator's NEGOTIATE, so the MIC covers the messages that travel.
struct CachedLogon {
    Bytes authenticate;
    Key16 exported_session_key;
};

// std::nullopt when winbindd holds credentials of DOMAIN\user that this
// process may use; otherwise why not, as a sentence fragment ("winbindd
// cannot be reached"). Never throws for a missing library or daemon.
std::optional<std::string> winbind_cached_credentials_missing(const std::string& domain, const std::string& user);

// winbindd's AUTHENTICATE for CHALLENGE, which answers NEGOTIATE. Throws
// GssError: GSS_S_NO_CRED (winbind_no_cached_credentials) when winbindd
// holds no credentials of the user for this uid, GSS_S_FAILURE when it
// cannot be reached or gives no answer.
CachedLogon winbind_cached_authenticate(const std::string& domain, const std::string& user, ByteView negotiate,
                                        ByteView challenge);

class WinbindLogon final : public LogonBackend {
public:
    // The process-wide backend. Throws GssError(GSS_S_NO_CRED,
    // winbind_library_missing) when libwbclient cannot be loaded.
    static std::shared_ptr<const WinbindLogon> shared();

    std::string_view name() const noexcept override { return "winbind"; }
    std::optional<LogonResult> logon(const LogonRequest& request) const override;
    // From winbindd's interface details, refreshed once a minute.
    std::optional<DomainNames> domain_names() const override;
    // winbindd's cached credentials of DOMAIN\user: with empty messages a
    // probe (std::nullopt: they exist), else the answer to the CHALLENGE
    // (std::nullopt: winbindd gave none). Throws GssError as
    // winbind_cached_authenticate does.
    std::optional<CachedLogon> cached_logon(const std::string& domain, const std::string& user, ByteView negotiate,
                                            ByteView challenge) const;

    struct State;
    explicit WinbindLogon(std::unique_ptr<State> state);
    ~WinbindLogon() override;

private:
    std::unique_ptr<State> m_state;
};

}  // namespace gssneg::ntlm
