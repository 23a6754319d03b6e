#include "ntlm/client.h"

#include "crypto/crypto.h"

#include "ntlm/flags.h"
#include "ntlm/issued_challenges.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/winbind_logon.h"
#include "util/ct.h"
#include "util/errors.h"
#include "util/trace.h"

#include <algorithm>

namespace gssneg::ntlm {

namespace {

constexpr uint32_t gss_integrity_flags =
    GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;

// Flags the initiator proposes whatever the application asked for: NTLMv2
// with extended session security and 128-bit keys exchanged with KEY_EXCH,
// the strongest combination MS-NLMP defines.
constexpr uint32_t base_flags = flag::unicode | flag::oem | flag::request_target | flag::ntlm |
                                flag::always_sign | flag::extended_session_security | flag::version |
                                flag::negotiate_128 | flag::negotiate_56 | flag::key_exch;

}  // namespace

const char* response_kind_name(ResponseKind kind) noexcept {
    switch (kind) {
    case ResponseKind::anonymous: return "anonymous";
    case ResponseKind::ntlmv1: return "NTLMv1";
    case ResponseKind::ntlmv1_ess: return "NTLMv1 with extended session security";
    case ResponseKind::ntlmv2: return "NTLMv2";
    }
    return "unknown";
}

NtlmClient::NtlmClient(std::shared_ptr<const Credential> cred, ClientParams params)
    : m_cred(std::move(cred)), m_params(std::move(params)) {
    if (!m_cred || !m_cred->can_initiate()) throw GssError(GSS_S_NO_CRED, Minor::cred_usage_mismatch);
    if (!m_params.config) m_params.config = current_config();
}

Bytes NtlmClient::step(ByteView input) {
    // Fail closed, as the acceptor does.
    const State current = m_state;
    m_state = State::failed;
    switch (current) {
    case State::start: {
        if (!input.empty()) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::unexpected_token);
        Bytes out = make_negotiate();
        m_state = State::sent_negotiate;
        return out;
    }
    case State::sent_negotiate: {
        Bytes out = make_authenticate(input);
        m_state = State::done;
        return out;
    }
    case State::done:
        m_state = State::done;
        throw GssError(GSS_S_FAILURE, Minor::context_already_established);
    case State::failed: break;
    }
    throw GssError(GSS_S_FAILURE, Minor::context_failed);
}

Bytes NtlmClient::make_negotiate() {
    uint32_t flags = base_flags;
    const uint32_t wants_sign = m_params.no_ci_flags ? (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG) : gss_integrity_flags;
    if (m_params.gss_req_flags & wants_sign) flags |= flag::sign;
    if (m_params.gss_req_flags & GSS_C_CONF_FLAG) flags |= flag::seal;
    if (m_params.gss_req_flags & GSS_C_IDENTIFY_FLAG) flags |= flag::identify;
    if (m_cred->anonymous()) flags |= flag::anonymous;
    // winbindd signs Z(16) as the bindings: refused here rather than a
    // context the application believes bound to its channel.
    if (m_cred->winbind_cached() && m_params.channel_bindings)
        throw GssError(GSS_S_BAD_BINDINGS, Minor::winbind_cached_credentials_unbound, m_cred->name()->display());
    m_requested_flags = flags;

    const NegotiateMessage msg(flags, {}, {}, Version{});
    m_negotiate = msg.serialize();
    if (trace_enabled())
        trace("ntlm", "initiator -> NEGOTIATE " + std::to_string(m_negotiate.size()) +
                          " bytes, flags " + flags_to_string(flags));
    return m_negotiate;
}

// An attacker that opened a context with an acceptor of this process and
// hands its CHALLENGE to a local initiator wants that initiator's
// AUTHENTICATE to relay back as a logon of its own.
// The initiator meant to reach a service of this process (a loopback)
// only when its target names that acceptor.
void NtlmClient::check_not_reflected(const ChallengeMessage& challenge) const {
    std::optional<Name> service;
    if (!IssuedChallenges::process().issued(challenge.server_challenge(), service)) return;
    const std::optional<Name>& target = m_params.target;
    if (target && IssuedChallenges::reaches(*target, service, *m_params.config)) return;
    throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::server_challenge_reflected,
                   "the target " + (target ? target->display() : std::string("(none)")) + " is not " +
                       (service ? service->display() : std::string("a service of this host")));
}

// MS-NLMP 3.1.5.1.2: the flags are those both sides set. A CHALLENGE that
// clears what the application asked for is refused here, not turned into
// a context without it: before the MIC (which an attacker can suppress)
// nothing protects the flags, so a context without SIGN or SEAL would be
// the attacker's choice, not the peer's.
uint32_t NtlmClient::agree_flags(uint32_t server_flags) const {
    uint32_t flags = m_requested_flags & server_flags;
    flags |= server_flags & flag::target_info;
    if (flags & flag::unicode) flags &= ~flag::oem;
    if (!(flags & (flag::unicode | flag::oem))) throw GssError(GSS_S_FAILURE, Minor::no_common_flags);

    std::string dropped;
    const auto need = [&](uint32_t bit, const char* name) {
        if (!(flags & bit)) dropped += dropped.empty() ? name : std::string(", ") + name;
    };
    if (m_requested_flags & flag::sign) need(flag::sign, "SIGN (integrity)");
    if (m_requested_flags & flag::seal) need(flag::seal, "SEAL (confidentiality)");
    if ((m_requested_flags & (flag::sign | flag::seal)) && m_params.lm_compat_level >= 3 && !m_cred->anonymous()) {
        need(flag::extended_session_security, "EXTENDED_SESSIONSECURITY");
        need(flag::negotiate_128, "128-bit keys");
    }
    if (!dropped.empty()) throw GssError(GSS_S_FAILURE, Minor::protection_downgraded, "the CHALLENGE clears " + dropped);
    return flags;
}

// The AV pairs the NTLMv2 blob carries, which NTProofStr signs. Only the
// server's names and timestamp are copied (MS-NLMP 3.1.5.1.2); everything
// else is this initiator's own: MsvAvFlags, MsvAvChannelBindings (Z(16)
// without bindings) and MsvAvTargetName (the target's SPN, or empty), so
// that a CHALLENGE cannot make it sign bindings or a target it was not
// given.
AvPairs NtlmClient::blob_av_pairs(const AvPairs& server_info, bool send_mic) const {
    AvPairs info;
    for (const AvPairs::Entry& e : server_info.entries())
        if (is_server_name(e.id) || e.id == static_cast<uint16_t>(AvId::timestamp))
            info.set(static_cast<AvId>(e.id), e.value);
    // MS-NLMP 3.1.5.1.2: with an MsvAvTimestamp from the server the client
    // sends a MIC and says so in MsvAvFlags.
    if (send_mic) info.set_flags(av_flag::mic_present);
    static constexpr std::array<uint8_t, 16> unbound{};
    info.set(AvId::channel_bindings, m_params.channel_bindings ? ByteView(*m_params.channel_bindings) : ByteView(unbound));
    const bool named = m_params.target && m_params.target->kind() == NameKind::hostbased_service;
    info.set_string(AvId::target_name, named ? m_params.target->spn() : std::string());
    return info;
}

Key16 NtlmClient::respond_v2(const ChallengeMessage& challenge, AuthenticateFields& auth, bool& send_mic) {
    const auto server_time = challenge.target_info().timestamp();
    send_mic = server_time.has_value();
    const uint64_t timestamp = server_time ? *server_time : filetime_now();
    const AvPairs info = blob_av_pairs(challenge.target_info(), send_mic);
    Challenge8 client_challenge{};
    crypto::random_bytes(client_challenge);

    const Name& user = *m_cred->name();
    const Key16 ntowf2 = nt_owf_v2(m_cred->nt_hash(), user.user_name(), user.domain());
    ResponsesV2 r = compute_ntlmv2(ntowf2, challenge.server_challenge(), client_challenge, timestamp, info.serialize());
    auth.nt_response = std::move(r.nt_response);
    // MS-NLMP 3.1.5.1.2: "If NTLM v2 authentication is used and the
    // CHALLENGE_MESSAGE TargetInfo field has an MsvAvTimestamp present,
    // the client SHOULD NOT send the LmChallengeResponse and SHOULD send
    // Z(24) instead."
    auth.lm_response = send_mic ? Bytes(24, 0) : std::move(r.lm_response);
    m_session.response = ResponseKind::ntlmv2;
    if (trace_enabled()) trace("ntlm", "initiator -> client blob AV pairs: " + info.describe());
    return r.session_base_key;
}

Key16 NtlmClient::respond_v1(const ChallengeMessage& challenge, uint32_t flags, AuthenticateFields& auth,
                             Key16& lm_owf) {
    Challenge8 client_challenge{};
    crypto::random_bytes(client_challenge);
    const bool ess = flags & flag::extended_session_security;
    // LmCompatibilityLevel 2 sends the NT response in both fields.
    const std::optional<Key16> lm_hash =
        m_params.lm_compat_level <= 1 ? m_cred->lm_hash() : std::optional<Key16>{};
    ResponsesV1 r =
        compute_ntlmv1(flags, m_cred->nt_hash(), lm_hash, challenge.server_challenge(), client_challenge);
    auth.nt_response = std::move(r.nt_response);
    auth.lm_response = std::move(r.lm_response);
    if (lm_hash) lm_owf = *lm_hash;
    m_session.response = ess ? ResponseKind::ntlmv1_ess : ResponseKind::ntlmv1;
    return r.session_base_key;
}

// MS-NLMP 3.1.5.1.2: with KEY_EXCH a random ExportedSessionKey travels
// RC4-encrypted under KXKEY; without, KXKEY is the session key.
void NtlmClient::exchange_key(const Key16& key_exchange_key, uint32_t flags, AuthenticateFields& auth) {
    if (flags & flag::key_exch) {
        crypto::random_bytes(m_session.exported_session_key.span());
        auth.encrypted_random_session_key = crypto::rc4_once(key_exchange_key, m_session.exported_session_key);
    } else {
        m_session.exported_session_key = key_exchange_key;
    }
}

Bytes NtlmClient::make_authenticate(ByteView challenge_token) {
    const ChallengeMessage challenge(challenge_token);
    if (trace_enabled()) {
        trace("ntlm", "initiator <- CHALLENGE " + std::to_string(challenge_token.size()) + " bytes, flags " +
                          flags_to_string(challenge.flags()) + ", target \"" + challenge.target_name() + "\"");
        trace("ntlm", "initiator <- TargetInfo: " + challenge.target_info().describe());
    }
    check_not_reflected(challenge);
    const uint32_t flags = agree_flags(challenge.flags());
    if (m_cred->winbind_cached()) return authenticate_through_winbind(challenge_token, flags);

    const bool anonymous = m_cred->anonymous();
    const bool v2 = !anonymous && m_params.lm_compat_level >= 3;
    AuthenticateFields auth;
    Key16 session_base_key;
    Key16 lm_owf;
    bool send_mic = false;
    if (anonymous) {
        // MS-NLMP 3.1.5.1.2: anonymous sends an empty NtChallengeResponse
        // and Z(1) as the LmChallengeResponse; the SessionBaseKey is Z(16).
        auth.lm_response = Bytes(1, 0);
        m_session.response = ResponseKind::anonymous;
        m_session.initiator = Name::anonymous();
    } else if (v2) {
        session_base_key = respond_v2(challenge, auth, send_mic);
    } else {
        session_base_key = respond_v1(challenge, flags, auth, lm_owf);
    }

    // Anonymous: the SessionBaseKey is Z(16) and is used as the key
    // exchange key as for NTLMv2 (there is no LM response to mix in).
    const Key16 key_exchange_key =
        kxkey(flags, v2 || anonymous, session_base_key, lm_owf, auth.lm_response, challenge.server_challenge());
    exchange_key(key_exchange_key, flags, auth);

    if (!anonymous) {
        const Name& user = *m_cred->name();
        auth.user = user.user_name();
        auth.domain = user.domain();
        auth.workstation = m_cred->workstation();
        m_session.initiator = user;
    }
    auth.flags = flags;
    auth.version = Version{};
    if (send_mic) auth.mic = Mic16{};

    Bytes out = AuthenticateMessage(std::move(auth)).serialize();
    if (send_mic) {
        const Mic16 mic = compute_mic(m_session.exported_session_key, m_negotiate, challenge_token, out);
        std::copy(mic.begin(), mic.end(), out.begin() + AuthenticateMessage::mic_offset);
    }
    m_session.flags = flags;
    m_session.mic_present = send_mic;
    if (trace_enabled())
        trace("ntlm", "initiator -> AUTHENTICATE " + std::to_string(out.size()) + " bytes, " +
                          response_kind_name(m_session.response) + (send_mic ? ", MIC" : ", no MIC") +
                          ", flags " + flags_to_string(flags));
    return out;
}

// winbindd answers with the password it keeps, from this NEGOTIATE and the
// CHALLENGE, as Samba's own client: its AUTHENTICATE is checked against
// what this initiator would accept of itself before it is sent.
Bytes NtlmClient::authenticate_through_winbind(ByteView challenge_token, uint32_t agreed_flags) {
    const Name& user = *m_cred->name();
    CachedLogon logon = winbind_cached_authenticate(user.domain(), user.user_name(), m_negotiate, challenge_token);
    const std::string who = user.display();
    const auto refuse = [&](const std::string& why) {
        return GssError(GSS_S_FAILURE, Minor::winbind_cached_answer_refused, who + ": " + why);
    };

    const AuthenticateMessage reply(logon.authenticate);
    const AuthenticateFields& f = reply.fields();
    // The protections the application asked for, which agree_flags kept,
    // must survive in the message that goes out.
    const uint32_t must_keep =
        agreed_flags & (flag::sign | flag::seal | flag::extended_session_security | flag::negotiate_128);
    if ((f.flags & must_keep) != must_keep) throw refuse("it clears " + flags_to_string(must_keep & ~f.flags));
    if (f.nt_response.empty()) throw refuse("it is anonymous");
    const bool v2 = f.nt_response.size() > 24;
    if (!v2 && m_params.lm_compat_level >= 3)
        throw refuse("it sends NTLMv1, which lm_compat_level " + std::to_string(m_params.lm_compat_level) +
                     " forbids");
    bool send_mic = false;
    if (v2) {
        if (f.nt_response.size() < ntlmv2_av_pairs_offset + 4) throw refuse("its NTLMv2 response is truncated");
        const AvPairs client_info(ByteView(f.nt_response).subspan(ntlmv2_av_pairs_offset));
        send_mic = (client_info.flags().value_or(0) & av_flag::mic_present) != 0;
    }
    if (send_mic) {
        // The MIC proves that winbindd's session key is the one its
        // AUTHENTICATE carries.
        if (!f.mic) throw refuse("its MsvAvFlags promise a MIC that it lacks");
        Bytes zeroed = logon.authenticate;
        std::fill_n(zeroed.begin() + AuthenticateMessage::mic_offset, 16, 0);
        const Mic16 mic = compute_mic(logon.exported_session_key, m_negotiate, challenge_token, zeroed);
        if (!ct_equal(mic, *f.mic)) throw refuse("its MIC does not match the session key winbindd returned");
    }

    m_session.flags = f.flags;
    m_session.exported_session_key = logon.exported_session_key;
    m_session.mic_present = send_mic;
    m_session.response = v2 ? ResponseKind::ntlmv2
                            : (f.flags & flag::extended_session_security ? ResponseKind::ntlmv1_ess
                                                                         : ResponseKind::ntlmv1);
    m_session.initiator = Name::from_parts(f.domain.empty() ? user.domain() : f.domain,
                                           f.user.empty() ? user.user_name() : f.user);
    if (trace_enabled())
        trace("ntlm", "initiator -> AUTHENTICATE " + std::to_string(logon.authenticate.size()) +
                          " bytes from winbindd's cached credentials of " + who + ", " +
                          response_kind_name(m_session.response) + (send_mic ? ", MIC" : ", no MIC") + ", flags " +
                          flags_to_string(f.flags));
    return std::move(logon.authenticate);
}

}  // namespace gssneg::ntlm
