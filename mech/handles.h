// Checked handles: every object handed to the mechglue starts with a magic
// value that is verified on entry and wiped on delete.
#pragma once

#include "mech/gssapi_exports.h"
#include "ntlm/client.h"
#include "ntlm/credential.h"
#include "ntlm/message_protection.h"
#include "ntlm/name.h"
#include "ntlm/server.h"
#include "ntlm/session_info.h"
#include "ntlm/session_security.h"
#include "util/errors.h"

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>

namespace gssneg::mech {

template <uint32_t Magic, Minor BadHandle, OM_uint32 BadMajor>
struct Checked {
    uint32_t magic = Magic;
    ~Checked() { magic = 0; }
    static constexpr uint32_t expected_magic = Magic;
    static constexpr Minor bad_handle_minor = BadHandle;
    static constexpr OM_uint32 bad_handle_major = BadMajor;
};

struct NameHandle final : Checked<0x4e4e414d, Minor::bad_name_handle, GSS_S_BAD_NAME> {
    explicit NameHandle(ntlm::Name n) : name(std::move(n)) {}
    ntlm::Name name;
};

struct CredHandle final : Checked<0x4e435244, Minor::bad_cred_handle, GSS_S_NO_CRED> {
    explicit CredHandle(std::shared_ptr<const ntlm::Credential> c) : cred(std::move(c)) {}
    std::shared_ptr<const ntlm::Credential> cred;
    // GSS_KRB5_CRED_NO_CI_FLAGS_X: the NEGOTIATE asks for SIGN only when
    // the application asks for integrity or confidentiality, not for
    // replay or sequence detection alone.
    bool no_ci_flags = false;
};

struct ContextHandle final : Checked<0x4e435458, Minor::bad_context_handle, GSS_S_NO_CONTEXT> {
    bool initiator = true;
    std::unique_ptr<ntlm::NtlmClient> client;
    std::unique_ptr<ntlm::NtlmServer> server;
    std::optional<ntlm::Name> target;   // initiator: the target; acceptor: its cred's name
    OM_uint32 req_flags = 0;
    OM_uint32 ret_flags = 0;
    bool established = false;
    // dummy_signature: a context that negotiated neither SIGN nor SEAL
    // makes and accepts MS-NLMP's unkeyed signature.
    bool dummy_signature = false;
    time_t expiry = 0;
    ntlm::SessionInfo session;

    // Message protection, built when the context is established; the
    // sequence numbers of both directions (ntlm/message_protection.h).
    std::unique_ptr<ntlm::SessionSecurity> security;

    // Message protection is built on first use: most contexts (HTTP
    // authentication) never wrap or sign, and skipping the RC4 and HMAC key
    // setup keeps both the handshake and an idle context small.
    ntlm::SessionSecurity& protection() {
        if (!security)
            security = std::make_unique<ntlm::SessionSecurity>(session.flags, session.exported_session_key, initiator);
        return *security;
    }
    ntlm::SequenceState sequence;
};

template <typename H, typename P>
H* checked(P handle) {
    auto* h = reinterpret_cast<H*>(handle);
    if (h == nullptr || h->magic != H::expected_magic)
        throw GssError(H::bad_handle_major, H::bad_handle_minor);
    return h;
}

inline NameHandle* name_of(gss_name_t n) { return checked<NameHandle>(n); }
inline CredHandle* cred_of(gss_cred_id_t c) { return checked<CredHandle>(c); }
inline ContextHandle* context_of(gss_ctx_id_t c) { return checked<ContextHandle>(c); }

}  // namespace gssneg::mech
