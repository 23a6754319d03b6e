// The NTLM acceptor: NEGOTIATE in, CHALLENGE out, AUTHENTICATE in.
#pragma once

#include "ntlm/challenge_message.h"
#include "ntlm/credential.h"
#include "ntlm/session_info.h"
#include "util/bytes.h"
#include "util/config.h"

#include <array>
#include <memory>
#include <optional>

namespace gssneg::ntlm {

struct ServerParams {
    std::optional<std::array<uint8_t, 16>> channel_bindings;  // MD5 of the acceptor's bindings
    std::shared_ptr<const Config> config;
};

class NtlmServer final {
public:
    NtlmServer(std::shared_ptr<const Credential> cred, ServerParams params);

    // NEGOTIATE in -> CHALLENGE out; AUTHENTICATE in -> empty output and
    // complete(). Failures throw GssError with the GSS major code.
    Bytes step(ByteView input);

    bool complete() const noexcept { return m_state == State::done; }
    const SessionInfo& session() const noexcept { return m_session; }
    // The NegotiateFlags the CHALLENGE offered (0 before it is made): the
    // most the session can have.
    uint32_t challenge_flags() const noexcept { return m_challenge_flags; }

private:
    enum class State { start, sent_challenge, done, failed };

    Bytes make_challenge(ByteView negotiate_token);
    void verify_authenticate(ByteView authenticate_token);

    std::shared_ptr<const Credential> m_cred;
    ServerParams m_params;
    State m_state = State::start;
    Challenge8 m_server_challenge{};
    uint32_t m_challenge_flags = 0;
    Bytes m_negotiate;
    Bytes m_challenge;
    SessionInfo m_session;
};

}  // namespace gssneg::ntlm
