#include "ntlm/server.h"

#include "crypto/crypto.h"
#include "ntlm/flags.h"
#include "ntlm/issued_challenges.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_crypto.h"
#include "util/ct.h"
#include "util/errors.h"
#include "util/trace.h"
#include "util/utf16.h"

#include <algorithm>

namespace gssneg::ntlm {

namespace {

// Flags the acceptor echoes when the client asks for them.
constexpr uint32_t echoed_flags = flag::sign | flag::seal | flag::always_sign | flag::negotiate_128 |
                                  flag::negotiate_56 | flag::key_exch | flag::identify | flag::version;

// The AV pairs of our TargetInfo that a client copies into its blob.
constexpr AvId echoed_av_ids[] = {AvId::nb_domain_name,  AvId::nb_computer_name, AvId::dns_domain_name,
                                  AvId::dns_computer_name, AvId::dns_tree_name,  AvId::timestamp};

[[noreturn]] void auth_failed(Minor minor, const std::string& detail = {}) {
    throw GssError(GSS_S_DEFECTIVE_CREDENTIAL, minor, detail);
}

// An SPN "service/host[:port][/name]" names the acceptor's service@host:
// the service and the host compare without case; an acceptor without a
// host takes any.
bool spn_names(const Name& service, std::string_view spn) {
    const size_t slash = spn.find('/');
    if (slash == std::string_view::npos) return false;
    const std::string_view svc = spn.substr(0, slash);
    std::string_view host = spn.substr(slash + 1);
    host = host.substr(0, std::min(host.find('/'), host.find(':')));
    if (!iequals_ascii(svc, service.service())) return false;
    return service.host().empty() || iequals_ascii(host, service.host());
}

}  // namespace

NtlmServer::NtlmServer(std::shared_ptr<const Credential> cred, ServerParams params)
    : m_cred(std::move(cred)), m_params(std::move(params)) {
    if (!m_cred || !m_cred->can_accept()) throw GssError(GSS_S_NO_CRED, Minor::cred_usage_mismatch);
    if (!m_params.config) m_params.config = current_config();
}

NtlmServer::~NtlmServer() {
    if (m_challenge_registered) IssuedChallenges::process().forget(m_server_challenge);
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
    m_challenge =
        ChallengeMessage(cf, m_server_challenge, names.netbios_computer, info, Version{}).serialize();
    m_target_info = std::move(info);
    m_challenge_sent = std::chrono::steady_clock::now();
    std::optional<Name> service = m_cred->name();
    if (service && service->kind() != NameKind::hostbased_service) service.reset();
    IssuedChallenges::process().remember(m_server_challenge, service,
                                         m_challenge_sent + std::chrono::seconds(cfg.challenge_lifetime));
    m_challenge_registered = true;
    if (trace_enabled())
        trace("ntlm", "acceptor -> CHALLENGE " + std::to_string(m_challenge.size()) + " bytes, flags " +
                          flags_to_string(cf));
    return m_challenge;
}

// Which response the AUTHENTICATE carries, from the lengths of its fields
// (MS-NLMP 3.3: NTLMv1 responses are 24 bytes, NTLMv2 longer), and whether
// LmCompatibilityLevel lets it through. The backend checks the response.
ResponseKind NtlmServer::classify_response(const AuthenticateFields& f, uint32_t flags) const {
    const Config& cfg = *m_params.config;
    const bool anonymous = f.user.empty() && f.nt_response.empty() &&
                           (f.lm_response.empty() || (f.lm_response.size() == 1 && f.lm_response[0] == 0));
    if (anonymous) {
        if (!cfg.allow_anonymous) auth_failed(Minor::anonymous_not_allowed);
        return ResponseKind::anonymous;
    }
    if (f.nt_response.size() > 24) {
        // NTProofStr (16) || blob; the blob's fixed part is 28 bytes and at
        // least an MsvAvEOL follows.
        if (f.nt_response.size() < ntlmv2_av_pairs_offset + 4)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length);
        const ByteView blob = ByteView(f.nt_response).subspan(16);
        if (blob[0] != 0x01 || blob[1] != 0x01) throw DecodeError(Minor::bad_response_length, "NTLMv2 blob version");
        return ResponseKind::ntlmv2;
    }
    if (f.nt_response.size() == 24) {
        // LmCompatibilityLevel 5: "Domain controllers refuse LM and NTLM
        // responses (accept only NTLMv2)".
        if (cfg.lm_compat_level >= 5) auth_failed(Minor::ntlmv1_not_allowed);
        const bool ess = flags & flag::extended_session_security;
        if (ess && f.lm_response.size() < 8) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length);
        return ess ? ResponseKind::ntlmv1_ess : ResponseKind::ntlmv1;
    }
    if (f.nt_response.empty() && f.lm_response.size() == 24) {
        // An LM response alone. Level 4 and up refuse LM; below, this
        // acceptor has no LM-only logon to offer.
        if (cfg.lm_compat_level >= 4) auth_failed(Minor::lm_not_allowed);
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length, "an LM response without an NT response");
    }
    throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length,
                   "NT response of " + std::to_string(f.nt_response.size()) + " bytes");
}

// A challenge is answered within challenge_lifetime, or not at all (an
// AUTHENTICATE held back by an attacker for later use).
void NtlmServer::check_fresh() const {
    const auto age = std::chrono::steady_clock::now() - m_challenge_sent;
    const auto limit = std::chrono::seconds(m_params.config->challenge_lifetime);
    if (age > limit)
        throw GssError(GSS_S_CONTEXT_EXPIRED, Minor::timestamp_out_of_range,
                       "answered after " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                           " s, challenge_lifetime is " + std::to_string(limit.count()) + " s");
}

// MS-NLMP 3.1.5.1.2: the client copies the CHALLENGE's TargetInfo into its
// NTLMv2 blob, which its NTProofStr signs. A pair we sent that comes back
// missing or changed means the CHALLENGE was rewritten on its way: a removed
// MsvAvTimestamp is how an attacker makes a client leave out its MIC.
void NtlmServer::check_echo(const AvPairs& client_info) const {
    for (const AvId id : echoed_av_ids) {
        const auto sent = m_target_info.find(id);
        if (!sent) continue;
        const auto echoed = client_info.find(id);
        if (!echoed) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::target_info_missing, av_id_name(static_cast<uint16_t>(id)));
        if (!ct_equal(*sent, *echoed))
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::target_info_altered, av_id_name(static_cast<uint16_t>(id)));
    }
}

// MS-NLMP 3.2.5.1.2 (Extended Protection): an acceptor that knows its own
// service name refuses a client that names another one in MsvAvTargetName;
// an empty or absent name is accepted.
void NtlmServer::check_target_name(const AvPairs& client_info) const {
    const std::optional<Name>& self = m_cred->name();
    if (!self || self->kind() != NameKind::hostbased_service) return;
    const auto named = client_info.find(AvId::target_name);
    if (!named || named->empty()) return;
    const auto spn = decode_utf16le(*named);
    if (!spn || !spn_names(*self, *spn))
        throw GssError(GSS_S_BAD_BINDINGS, Minor::target_name_mismatch,
                       "the client names " + (spn ? *spn : std::string("(invalid UTF-16)")) + ", this acceptor is " +
                           self->display());
}

Key16 NtlmServer::logon(const AuthenticateFields& f, ResponseKind kind, uint32_t flags, Key16& lm_owf) {
    const LogonRequest request{f.user, f.domain, f.workstation, m_server_challenge, f.lm_response,
                               f.nt_response, kind, flags, m_announced_domain};
    LogonResult result = m_cred->logon().logon(request);
    if (kind == ResponseKind::ntlmv1 && (flags & (flag::lm_key | flag::request_non_nt_session_key)) != 0) {
        // MS-NLMP 3.4.5.1: these key exchange keys are made from the LM
        // hash; a user or domain that keeps none cannot give one.
        if (!result.lm_owf) throw GssError(GSS_S_FAILURE, Minor::lm_key_unavailable, "no LM hash is kept for the user (the file has none, or the domain keeps none)");
        lm_owf = *result.lm_owf;
    }
    m_session.initiator = std::move(result.initiator);
    return result.session_base_key;
}

// MS-NLMP 3.2.5.1.2: KXKEY, then the session key the client chose and sent
// encrypted under it (KEY_EXCH), or KXKEY itself.
void NtlmServer::derive_keys(const AuthenticateFields& f, ResponseKind kind, uint32_t flags,
                             const Key16& session_base_key, const Key16& lm_owf) {
    const bool v2_rules = kind == ResponseKind::ntlmv2 || kind == ResponseKind::anonymous;
    const Key16 key_exchange_key = kxkey(flags, v2_rules, session_base_key, lm_owf, f.lm_response, m_server_challenge);
    if (flags & flag::key_exch) {
        if (f.encrypted_random_session_key.size() != 16)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_response_length, "EncryptedRandomSessionKey");
        Bytes key = crypto::rc4_once(key_exchange_key, f.encrypted_random_session_key);
        m_session.exported_session_key = Key16(std::span<const uint8_t, 16>(key.data(), 16));
        secure_wipe(key.data(), key.size());
    } else {
        m_session.exported_session_key = key_exchange_key;
    }
}

// MS-NLMP 3.2.5.1.2: when MsvAvFlags has 0x2 the server computes the MIC
// over the three messages with the MIC field zeroed and compares.
void NtlmServer::check_mic(ByteView authenticate_token, const AuthenticateFields& f,
                           const std::optional<AvPairs>& client_info, bool anonymous) {
    const uint32_t av_flags = client_info ? client_info->flags().value_or(0) : 0;
    if (av_flags & av_flag::mic_present) {
        if (!f.mic) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::mic_missing);
        Bytes zeroed(authenticate_token.begin(), authenticate_token.end());
        std::fill_n(zeroed.begin() + AuthenticateMessage::mic_offset, 16, 0);
        const Mic16 mic = compute_mic(m_session.exported_session_key, m_negotiate, m_challenge, zeroed);
        if (!ct_equal(mic, *f.mic)) throw GssError(GSS_S_BAD_MIC, Minor::mic_mismatch);
        m_session.mic_present = true;
    } else if (m_params.config->require_mic && !anonymous) {
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::mic_missing, "require_mic is set");
    }
}

// Channel bindings (MS-NLMP 3.2.5.1.2, RFC 5929): wrong bindings are always
// refused. An initiator that sent none (no MsvAvChannelBindings, or Z(16))
// is accepted unless channel_bindings = required, as MIT krb5 accepts an
// unbound AP-REQ; only verified bindings make the context channel-bound.
void NtlmServer::check_bindings(const std::optional<AvPairs>& client_info, bool anonymous) {
    if (anonymous) return;
    static constexpr std::array<uint8_t, 16> zero{};
    const auto sent = client_info ? client_info->find(AvId::channel_bindings) : std::nullopt;
    const bool unbound = !sent || ct_equal(*sent, zero);
    const bool required = m_params.config->channel_bindings == Config::ChannelBindings::required;
    if (!m_params.channel_bindings) {
        if (required)
            throw GssError(GSS_S_BAD_BINDINGS, Minor::channel_bindings_missing,
                           "channel_bindings = required, and the acceptor was given no bindings to check");
        return;
    }
    if (unbound) {
        if (required) throw GssError(GSS_S_BAD_BINDINGS, Minor::channel_bindings_missing, "channel_bindings = required");
        return;
    }
    if (!ct_equal(*sent, *m_params.channel_bindings))
        throw GssError(GSS_S_BAD_BINDINGS, Minor::channel_bindings_mismatch);
    m_session.channel_bound = true;
}

void NtlmServer::verify_authenticate(ByteView authenticate_token) {
    // The challenge is answered, whatever the outcome.
    IssuedChallenges::process().forget(m_server_challenge);
    m_challenge_registered = false;

    const AuthenticateMessage msg(authenticate_token);
    const AuthenticateFields& f = msg.fields();
    const uint32_t flags = f.flags & (m_challenge_flags | flag::anonymous);
    if (trace_enabled())
        trace("ntlm", "acceptor <- AUTHENTICATE " + std::to_string(authenticate_token.size()) + " bytes, user \"" +
                          f.domain + "\\" + f.user + "\", workstation \"" + f.workstation + "\", NT response " +
                          std::to_string(f.nt_response.size()) + " bytes, " + (f.mic ? "MIC field" : "no MIC field") +
                          ", flags " + flags_to_string(f.flags));

    check_fresh();
    const ResponseKind kind = classify_response(f, flags);
    const bool anonymous = kind == ResponseKind::anonymous;
    std::optional<AvPairs> client_info;
    if (kind == ResponseKind::ntlmv2) {
        client_info = AvPairs(ByteView(f.nt_response).subspan(ntlmv2_av_pairs_offset));
        if (trace_enabled()) trace("ntlm", "acceptor <- client blob AV pairs: " + client_info->describe());
        check_echo(*client_info);
        check_target_name(*client_info);
    }
    check_bindings(client_info, anonymous);

    Key16 session_base_key;
    Key16 lm_owf;
    if (anonymous)
        m_session.initiator = Name::anonymous();
    else
        session_base_key = logon(f, kind, flags, lm_owf);
    m_session.response = kind;
    derive_keys(f, kind, flags, session_base_key, lm_owf);
    check_mic(authenticate_token, f, client_info, anonymous);

    m_session.flags = flags;
    if (trace_enabled())
        trace("ntlm", std::string("acceptor: authenticated ") + m_session.initiator->display() + " with " +
                          response_kind_name(m_session.response) +
                          (m_session.mic_present ? ", MIC verified" : ", no MIC") +
                          (m_session.channel_bound ? ", channel bindings verified" : ""));
}

}  // namespace gssneg::ntlm
