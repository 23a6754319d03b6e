#include "ntlm/logon.h"

#include "ntlm/winbind_logon.h"
#include "util/ct.h"
#include "util/errors.h"
#include "util/trace.h"

#include <algorithm>

namespace gssneg::ntlm {

namespace {

[[noreturn]] void auth_failed(Minor minor, const LogonRequest& request) {
    throw GssError(GSS_S_DEFECTIVE_CREDENTIAL, minor, std::string(request.domain) + "\\" + std::string(request.user));
}

}  // namespace

std::optional<LogonResult> FileLogon::logon(const LogonRequest& request) const {
    const auto entry = m_database->find(request.user, request.domain);
    if (!entry) return std::nullopt;

    LogonResult result;
    if (request.kind == ResponseKind::ntlmv2) {
        // NTProofStr (16) || blob; the acceptor checked the lengths.
        const ByteView proof = request.nt_response.first(16);
        const ByteView blob = request.nt_response.subspan(16);
        const Key16 ntowf2 = nt_owf_v2(entry->nt_hash, request.user, request.domain);
        const auto expected = ntlmv2_proof(ntowf2, request.server_challenge, blob);
        if (!ct_equal(expected, proof)) auth_failed(Minor::wrong_password, request);
        result.session_base_key = ntlmv2_session_base_key(ntowf2, std::span<const uint8_t, 16>(proof.data(), 16));
    } else {
        Challenge8 client_challenge{};
        if (request.kind == ResponseKind::ntlmv1_ess)
            std::copy_n(request.lm_response.begin(), client_challenge.size(), client_challenge.begin());
        const ResponsesV1 expected = compute_ntlmv1(request.flags, entry->nt_hash, entry->lm_hash,
                                                    request.server_challenge, client_challenge);
        if (!ct_equal(expected.nt_response, request.nt_response)) auth_failed(Minor::wrong_password, request);
        result.session_base_key = expected.session_base_key;
        // MS-NLMP 3.4.5.1 makes the LM_KEY and NON_NT_SESSION_KEY key
        // exchange keys from the LM hash: a user without one gives none,
        // and the acceptor refuses those keys (lm_key_unavailable), as for
        // a domain that keeps no LM hash.
        result.lm_owf = entry->lm_hash;
    }
    // MS-NLMP 3.3.2: "Define NTOWFv2(Passwd, User, UserDom) as
    // HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(
    // Uppercase(User), UserDom)))": the response above is checked with the
    // domain the client hashed, but the name it authenticates takes its
    // domain from the file.
    result.initiator = Name::from_parts(entry->domain.empty() ? std::string(request.acceptor_domain) : entry->domain,
                                        std::string(request.user));
    return result;
}

DomainNames announced_domain_names(const Config& config, std::optional<DomainNames> backend) {
    DomainNames names{config.netbios_domain, config.dns_domain, config.netbios_computer};
    if (config.domain_names_set || !backend) return names;
    names.netbios_domain = std::move(backend->netbios_domain);
    names.dns_domain = std::move(backend->dns_domain);
    if (!backend->netbios_computer.empty()) names.netbios_computer = std::move(backend->netbios_computer);
    return names;
}

std::shared_ptr<const LogonChain> LogonChain::from_config(std::shared_ptr<UserDatabase> database,
                                                          const Config& config) {
    std::vector<std::shared_ptr<const LogonBackend>> backends;
    for (const Config::NtlmBackend kind : config.ntlm_backends) {
        switch (kind) {
        case Config::NtlmBackend::file:
            if (database) backends.push_back(std::make_shared<FileLogon>(database));
            break;
        case Config::NtlmBackend::winbind: backends.push_back(WinbindLogon::shared()); break;
        }
    }
    if (backends.empty()) throw GssError(GSS_S_NO_CRED, Minor::user_file_not_set);
    return std::make_shared<const LogonChain>(std::move(backends));
}

LogonResult LogonChain::logon(const LogonRequest& request) const {
    for (const auto& backend : m_backends) {
        if (auto result = backend->logon(request)) {
            if (trace_enabled())
                trace("ntlm", "acceptor: the " + std::string(backend->name()) + " backend checked the logon");
            return std::move(*result);
        }
        if (trace_enabled()) trace("ntlm", "acceptor: the " + std::string(backend->name()) + " backend does not know the user");
    }
    auth_failed(Minor::unknown_user, request);
}

std::optional<DomainNames> LogonChain::domain_names() const {
    for (const auto& backend : m_backends) {
        if (auto names = backend->domain_names()) return names;
    }
    return std::nullopt;
}

}  // namespace gssneg::ntlm
