#include "ntlm/server.h"

#include "crypto/crypto.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_crypto.h"
#include "util/ct.h"
#include "util/errors.h"
#include "util/trace.h"

#include <algorithm>

namespace gssneg::ntlm {

namespace {

// Flags the acceptor echoes when the client asks for them.
constexpr uint32_t echoed_flags = flag::sign | flag::seal | flag::always_sign | flag::negotiate_128 |
                                  flag::negotiate_56 | flag::key_exch | flag::identify | flag::version;

// The NTLMv2 client blob starts 01 01 0000 00000000, Time, ClientChallenge,
// 00000000, then AV pairs (MS-NLMP 2.2.2.7).
constexpr size_t blob_av_pairs_offset = 28;

[[noreturn]] void auth_failed(Minor minor, const std::string& detail = {}) {
    throw GssError(GSS_S_DEFECTIVE_CREDENTIAL, minor, detail);
}

}  // namespace

NtlmServer::NtlmServer(std::shared_ptr<const Credential> cred, ServerParams params)
    : m_cred(std::move(cred)), m_params(std::move(params)) {
    if (!m_cred || !m_cred->can_accept()) throw GssError(GSS_S_NO_CRED, Minor::cred_usage_mismatch);
    if (!m_params.config) m_params.config = current_config();
}

Bytes NtlmServer::step(ByteView input) {
    // Fail closed: a step that throws leaves the acceptor failed, so that a
    // second AUTHENTICATE cannot be tried against the same challenge.
    const State current = m_state;
    m_state = State::failed;
    switch (current) {
    case State::start: {
        Bytes out = make_challenge(input);
        m_state = State::sent_challenge;
        return out;
    }
    case State::sent_challenge:
        verify_authenticate(input);
        m_state = State::done;
        return {};
    case State::done:
        m_state = State::done;
        throw GssError(GSS_S_FAILURE, Minor::context_already_established);
    case State::failed: break;
    }
    throw GssError(GSS_S_FAILURE, Minor::context_failed);
}

Bytes NtlmServer::make_challenge(ByteView negotiate_token) {
    const NegotiateMessage negotiate(negotiate_token);
    const uint32_t nf = negotiate.flags();
    const Config& cfg = *m_params.config;
    if (trace_enabled())
        trace("ntlm", "acceptor <- NEGOTIATE " + std::to_string(negotiate_token.size()) + " bytes, flags " +
                          flags_to_string(nf));

    uint32_t cf = flag::ntlm | flag::target_info | flag::version | (nf & echoed_flags);
    if (nf & flag::unicode)
        cf |= flag::unicode;
    else if (nf & flag::oem)
        cf |= flag::oem;
    else
        throw GssError(GSS_S_FAILURE, Minor::no_common_flags, "client offers neither UNICODE nor OEM");
    // MS-NLMP 2.2.2.5: ESS and LM_KEY are mutually exclusive; ESS wins.
    if (nf & flag::extended_session_security)
        cf |= flag::extended_session_security;
    else if (nf & flag::lm_key)
        cf |= flag::lm_key;
    if (nf & flag::request_target) cf |= flag::request_target | flag::target_type_server;

    // A domain backend announces the domain's names, unless the options
    // file names the domain itself.
    const DomainNames names =
        announced_domain_names(cfg, cfg.domain_names_set ? std::nullopt : m_cred->logon().domain_names());
    m_announced_domain = names.netbios_domain;
    AvPairs info;
    info.set_string(AvId::nb_domain_name, names.netbios_domain);
    info.set_string(AvId::nb_computer_name, names.netbios_computer);
    if (!names.dns_domain.empty()) info.set_string(AvId::dns_domain_name, names.dns_domain);
    info.set_string(AvId::dns_computer_name, cfg.dns_computer);
    if (!names.dns_domain.empty()) info.set_string(AvId::dns_tree_name, names.dns_domain);
    info.set_timestamp(filetime_now());

    crypto::random_bytes(m_server_challenge);
    m_challenge_flags = cf;
    m_negotiate.assign(negotiate_token.begin(), negotiate_token.end());
    m_challenge = ChallengeMessage(cf, m_server_challenge, names.netbios_computer, std::move(info), Version{})
                      .serialize();
    if (trace_enabled())
        trace("ntlm", "acceptor -> CHALLENGE " + std::to_string(m_challenge.size()) + " bytes, flags " +
                          flags_to_string(cf));
    return m_challenge;
}

void NtlmServer::verify_authenticate(ByteView authenticate_token) {
    const AuthenticateMessage msg(authenticate_token);
    const AuthenticateFields& f = msg.fields();
    const Config& cfg = *m_params.config;
    const uint32_t flags = f.flags & (m_challenge_flags | flag::anonymous);
    if (trace_enabled())
        trace("ntlm", "acceptor <- AUTHENTICATE " + std::to_string(authenticate_token.size()) + " bytes, user \"" +
                          f.domain + "\\" + f.user + "\", workstation \"" + f.workstation + "\", NT response " +
                          std::to_string(f.nt_response.size()) + " bytes, " + (f.mic ? "MIC field" : "no MIC field") +
                          ", flags " + flags_to_string(f.flags));

    Key16 session_base_key;
    Key16 lm_owf;
    bool ntlmv2 = false;
    std::optional<AvPairs> client_info;

    const bool anonymous = f.user.empty() && f.nt_response.empty() &&
                           (f.lm_response.empty() || (f.lm_response.size() == 1 && f.lm_response[0] == 0));
    if (anonymous) {
        if (!cfg.allow_anonymous) auth_failed(Minor::anonymous_not_allowed);
        m_session.response = ResponseKind::anonymous;
        m_session.initiator = Name::anonymous();
    } else {
        // The response's kind follows from its length; the backend checks it.
        ResponseKind kind;
        if (f.nt_response.size() > 24) {
            // NTProofStr (16) || blob; the blob's fixed part is 28 bytes and
            // at least an MsvAvEOL follows.
            if (f.nt_response.size() < 16 + blob_av_pairs_offset + 4)
                throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length);
            const ByteView blob = ByteView(f.nt_response).subspan(16);
            if (blob[0] != 0x01 || blob[1] != 0x01) throw DecodeError(Minor::bad_response_length, "NTLMv2 blob version");
            kind = ResponseKind::ntlmv2;
        } else if (f.nt_response.size() == 24) {
            // LmCompatibilityLevel 5: the acceptor refuses NTLMv1.
            if (cfg.lm_compat_level >= 5) auth_failed(Minor::ntlmv1_not_allowed);
            const bool ess = flags & flag::extended_session_security;
            if (ess && f.lm_response.size() < 8) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length);
            kind = ess ? ResponseKind::ntlmv1_ess : ResponseKind::ntlmv1;
        } else {
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length,
                           "NT response of " + std::to_string(f.nt_response.size()) + " bytes");
        }
        const LogonRequest request{f.user, f.domain, f.workstation, m_server_challenge, f.lm_response,
                                   f.nt_response, kind, flags, m_announced_domain};
        LogonResult result = m_cred->logon().logon(request);
        session_base_key = result.session_base_key;
        if (kind == ResponseKind::ntlmv1 && (flags & (flag::lm_key | flag::request_non_nt_session_key)) != 0) {
            // MS-NLMP 3.4.5.1: these key exchange keys are made from the LM
            // hash; a domain that keeps none cannot give one.
            if (!result.lm_owf)
                throw GssError(GSS_S_FAILURE, Minor::lm_key_unavailable, "the domain keeps no LM hash");
            lm_owf = *result.lm_owf;
        }
        if (kind == ResponseKind::ntlmv2) {
            client_info = AvPairs(ByteView(f.nt_response).subspan(16 + blob_av_pairs_offset));
            if (trace_enabled()) trace("ntlm", "acceptor <- client blob AV pairs: " + client_info->describe());
            ntlmv2 = true;
        }
        m_session.response = kind;
        m_session.initiator = std::move(result.initiator);
    }

    const Key16 key_exchange_key =
        kxkey(flags, ntlmv2 || anonymous, session_base_key, lm_owf, f.lm_response, m_server_challenge);
    if (flags & flag::key_exch) {
        if (f.encrypted_random_session_key.size() != 16)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length, "EncryptedRandomSessionKey");
        Bytes key = crypto::rc4_once(key_exchange_key, f.encrypted_random_session_key);
        m_session.exported_session_key = Key16(std::span<const uint8_t, 16>(key.data(), 16));
        secure_wipe(key.data(), key.size());
    } else {
        m_session.exported_session_key = key_exchange_key;
    }

    const uint32_t av_flags = client_info ? client_info->flags().value_or(0) : 0;
    if (av_flags & av_flag::mic_present) {
        // MS-NLMP 3.2.5.1.2: when MsvAvFlags has 0x2 the server computes the
        // MIC over the three messages with the MIC field zeroed and compares.
        if (!f.mic) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::mic_missing);
        Bytes zeroed(authenticate_token.begin(), authenticate_token.end());
        std::fill_n(zeroed.begin() + AuthenticateMessage::mic_offset, 16, 0);
        const Mic16 mic = compute_mic(m_session.exported_session_key, m_negotiate, m_challenge, zeroed);
        if (!ct_equal(mic, *f.mic)) throw GssError(GSS_S_BAD_MIC, Minor::mic_mismatch);
        m_session.mic_present = true;
    } else if (cfg.require_mic && !anonymous) {
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::mic_missing, "require_mic is set");
    }

    if (m_params.channel_bindings && !anonymous) {
        static constexpr std::array<uint8_t, 16> zero{};
        const auto sent = client_info ? client_info->find(AvId::channel_bindings) : std::nullopt;
        if (!sent || ct_equal(*sent, zero)) throw GssError(GSS_S_BAD_BINDINGS, Minor::channel_bindings_missing);
        if (!ct_equal(*sent, *m_params.channel_bindings))
            throw GssError(GSS_S_BAD_BINDINGS, Minor::channel_bindings_mismatch);
    }

    m_session.flags = flags;
    if (trace_enabled())
        trace("ntlm", std::string("acceptor: authenticated ") + m_session.initiator->display() + " with " +
                          response_kind_name(m_session.response) +
                          (m_session.mic_present ? ", MIC verified" : ", no MIC"));
}

}  // namespace gssneg::ntlm
