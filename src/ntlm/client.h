// The NTLM initiator: NEGOTIATE out, CHALLENGE in, AUTHENTICATE out.
#pragma once

#include "ntlm/credential.h"
#include "ntlm/session_info.h"
#include "util/bytes.h"

#include <array>
#include <memory>
#include <optional>

namespace gssneg::ntlm {

struct ClientParams {
    uint32_t gss_req_flags = 0;                                // GSS_C_*_FLAG
    std::optional<Name> target;                                // host-based target -> MsvAvTargetName
    std::optional<std::array<uint8_t, 16>> channel_bindings;   // MD5 of the bindings
    int lm_compat_level = 3;
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

    std::shared_ptr<const Credential> m_cred;
    ClientParams m_params;
    State m_state = State::start;
    uint32_t m_requested_flags = 0;
    Bytes m_negotiate;
    SessionInfo m_session;
};

}  // namespace gssneg::ntlm
