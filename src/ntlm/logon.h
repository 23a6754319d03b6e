// Where the NTLM acceptor checks a logon: the user database (a file) or the
// domain through winbindd, asked in the order the ntlm_backends option
// gives. The acceptor decides the response's kind and checks its shape; a
// backend checks the response against the user's secret (or has the domain
// controller do it) and returns the session base key.
#pragma once

#include "ntlm/name.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/session_info.h"
#include "ntlm/user_database.h"
#include "util/bytes.h"
#include "util/config.h"
#include "util/secure.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gssneg::ntlm {

struct LogonRequest {
    std::string_view user;
    std::string_view domain;
    std::string_view workstation;
    const Challenge8& server_challenge;
    ByteView lm_response;
    ByteView nt_response;
    ResponseKind kind;  // ntlmv1, ntlmv1_ess or ntlmv2
    uint32_t flags;     // the negotiated flags (NTLMv1 responses depend on them)
    // The NetBIOS domain the CHALLENGE announced: a user-file entry without
    // a domain authenticates in it, whatever domain the client sent.
    std::string_view acceptor_domain;
};

struct LogonResult {
    Key16 session_base_key;
    // NTLMv1 only (for LM_KEY and NON_NT_SESSION_KEY): the user's LM hash
    // (a domain gives its first 8 bytes), or nothing when the user file or
    // the domain keeps none for the user.
    std::optional<Key16> lm_owf;
    Name initiator;
};

// The names a CHALLENGE announces for the acceptor's domain.
struct DomainNames {
    std::string netbios_domain;
    std::string dns_domain;
    std::string netbios_computer;
};

// The names the acceptor announces: the options file's, or those a domain
// backend reports (backend) unless the file names the domain itself
// (netbios_domain or dns_domain set).
DomainNames announced_domain_names(const Config& config, std::optional<DomainNames> backend);

class LogonBackend {
public:
    virtual ~LogonBackend() = default;
    virtual std::string_view name() const noexcept = 0;
    // std::nullopt when the user is not known here (the next backend is
    // asked); throws GssError when the logon is refused or cannot be
    // checked.
    virtual std::optional<LogonResult> logon(const LogonRequest& request) const = 0;
    // The domain's names, when this backend knows them.
    virtual std::optional<DomainNames> domain_names() const { return std::nullopt; }
};

// Checks responses against the user database's NT and LM hashes. The
// initiator is the entry's user in the entry's domain as the file spells
// it, or for an entry without a domain in request.acceptor_domain: never a
// domain the client chose.
class FileLogon final : public LogonBackend {
public:
    explicit FileLogon(std::shared_ptr<UserDatabase> database) : m_database(std::move(database)) {}
    std::string_view name() const noexcept override { return "file"; }
    std::optional<LogonResult> logon(const LogonRequest& request) const override;

private:
    std::shared_ptr<UserDatabase> m_database;
};

// The configured backends, in order.
class LogonChain final {
public:
    // From config.ntlm_backends: "file" needs a user database (skipped
    // without one when other backends are listed); "winbind" needs
    // libwbclient. Throws GssError(GSS_S_NO_CRED, ...) when no backend is
    // usable, or when winbind is listed and libwbclient cannot be loaded
    // (a listed domain is never dropped silently).
    static std::shared_ptr<const LogonChain> from_config(std::shared_ptr<UserDatabase> database, const Config& config);

    explicit LogonChain(std::vector<std::shared_ptr<const LogonBackend>> backends) : m_backends(std::move(backends)) {}

    // The first backend that knows the user decides; when none does, throws
    // GssError(GSS_S_DEFECTIVE_CREDENTIAL, unknown_user).
    LogonResult logon(const LogonRequest& request) const;
    // The first domain names a backend knows.
    std::optional<DomainNames> domain_names() const;

    const std::vector<std::shared_ptr<const LogonBackend>>& backends() const noexcept { return m_backends; }

private:
    std::vector<std::shared_ptr<const LogonBackend>> m_backends;
};

}  // namespace gssneg::ntlm
