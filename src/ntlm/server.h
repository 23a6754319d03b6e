// The NTLM acceptor: NEGOTIATE in, CHALLENGE out, AUTHENTICATE in.
#pragma once

#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/credential.h"
#include "ntlm/session_info.h"
#include "util/bytes.h"
#include "util/config.h"

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace gssneg::ntlm {

struct ServerParams {
    std::optional<std::array<uint8_t, 16>> channel_bindings;  // MD5 of the acceptor's bindings
    std::shared_ptr<const Config> config;
};

class NtlmServer final {
public:
    NtlmServer(std::shared_ptr<const Credential> cred, ServerParams params);
    ~NtlmServer();
    NtlmServer(const NtlmServer&) = delete;
    NtlmServer& operator=(const NtlmServer&) = delete;

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

    // The phases of verify_authenticate, in order.
    ResponseKind classify_response(const AuthenticateFields& f, uint32_t flags) const;
    void check_fresh() const;
    void check_echo(const AvPairs& client_info) const;
    void check_target_name(const AvPairs& client_info) const;
    Key16 logon(const AuthenticateFields& f, ResponseKind kind, uint32_t flags, Key16& lm_owf);
    void derive_keys(const AuthenticateFields& f, ResponseKind kind, uint32_t flags, const Key16& session_base_key,
                     const Key16& lm_owf);
    void check_mic(ByteView authenticate_token, const AuthenticateFields& f, const std::optional<AvPairs>& client_info,
                   bool anonymous);
    void check_bindings(const std::optional<AvPairs>& client_info, bool anonymous);

    std::shared_ptr<const Credential> m_cred;
    ServerParams m_params;
    State m_state = State::start;
    Challenge8 m_server_challenge{};
    std::chrono::steady_clock::time_point m_challenge_sent{};
    bool m_challenge_registered = false;
    uint32_t m_challenge_flags = 0;
    AvPairs m_target_info;  // as sent, for the echo check
    Bytes m_negotiate;
    Bytes m_challenge;
    std::string m_announced_domain;  // the CHALLENGE's MsvAvNbDomainName
    SessionInfo m_session;
};

}  // namespace gssneg::ntlm
