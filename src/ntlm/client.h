// The NTLM initiator: NEGOTIATE out, CHALLENGE in, AUTHENTICATE out.
#pragma once

#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/credential.h"
#include "ntlm/session_info.h"
#include "util/bytes.h"
#include "util/config.h"

#include <array>
#include <memory>
#include <optional>

namespace gssneg::ntlm {

struct ClientParams {
    uint32_t gss_req_flags = 0;                                // GSS_C_*_FLAG
    std::optional<Name> target;                                // host-based target -> MsvAvTargetName
    std::optional<std::array<uint8_t, 16>> channel_bindings;   // MD5 of the bindings
    int lm_compat_level = 5;
    std::shared_ptr<const Config> config;                      // the host's names (reflection check)
    // SIGN only for GSS_C_INTEG_FLAG or GSS_C_CONF_FLAG, not for replay or
    // sequence detection alone (GSS_KRB5_CRED_NO_CI_FLAGS_X on the credential)
    bool no_ci_flags = false;
};

class NtlmClient final {
public:
    NtlmClient(std::shared_ptr<const Credential> cred, ClientParams params);

    // First call (empty input): the NEGOTIATE message. Second call (the
    // CHALLENGE): the AUTHENTICATE message, after which the client is
    // complete. Any other call throws GssError.
    Bytes step(ByteView input);

    bool complete() const noexcept { return m_state == State::done; }
    const SessionInfo& session() const noexcept { return m_session; }
    // The NegotiateFlags the NEGOTIATE asked for (0 before it is made): the
    // most the session can have.
    uint32_t requested_flags() const noexcept { return m_requested_flags; }

private:
    enum class State { start, sent_negotiate, done, failed };

    Bytes make_negotiate();
    Bytes make_authenticate(ByteView challenge_token);

    // The phases of make_authenticate, in order.
    void check_not_reflected(const ChallengeMessage& challenge) const;
    uint32_t agree_flags(uint32_t server_flags) const;
    AvPairs blob_av_pairs(const AvPairs& server_info, bool send_mic) const;
    Key16 respond_v2(const ChallengeMessage& challenge, AuthenticateFields& auth, bool& send_mic);
    Key16 respond_v1(const ChallengeMessage& challenge, uint32_t flags, AuthenticateFields& auth, Key16& lm_owf);
    void exchange_key(const Key16& key_exchange_key, uint32_t flags, AuthenticateFields& auth);
    // For a credential whose secret winbindd keeps (Credential::winbind_cached).
    Bytes authenticate_through_winbind(ByteView challenge_token, uint32_t agreed_flags);

    std::shared_ptr<const Credential> m_cred;
    ClientParams m_params;
    State m_state = State::start;
    uint32_t m_requested_flags = 0;
    Bytes m_negotiate;
    SessionInfo m_session;
};

}  // namespace gssneg::ntlm
