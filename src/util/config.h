// Module configuration: an options file plus environment variables that
// mirror the ecosystem. Environment variables win over the file.
//
// Options file (path from GSS_NEGOTIATE_CONFIG, default GSSNEG_DEFAULT_CONFIG,
// $(sysconfdir)/gss-negotiate/gss-negotiate.conf, /etc/gss-negotiate/ for
// prefix /usr): "key = value" lines, '#' comments, blank lines ignored. An
// unknown key, a malformed value, or a file that cannot be read makes every
// call fail (bad_config, naming the file and the line); a missing file means
// the defaults. A malformed variable fails the same way. In a setuid, setgid
// or file-capability process the variables are ignored, as MIT krb5 reads
// its own through secure_getenv.
//
// Every option, its values, default and variable: util/option_table.h (the
// table the parser accepts keys from, and that the example file, the man
// page and the README are printed from).
//
// With "winbind" among the backends, the CHALLENGE announces the domain's
// names as winbindd reports them, unless the file sets netbios_domain or
// dns_domain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gssneg {

struct Config {
    int lm_compat_level = 5;
    std::string user_file;
    std::string trace;
    std::string netbios_domain = "WORKGROUP";
    std::string netbios_computer;
    std::string dns_domain;
    std::string dns_computer;
    std::string workstation;
    uint32_t context_lifetime = 36000;
    bool allow_anonymous = false;
    bool require_mic = false;
    // Negotiate's sub-mechanisms in order of preference.
    enum class NegoMech { kerberos, ntlm };
    std::vector<NegoMech> negotiate_mechs{NegoMech::kerberos, NegoMech::ntlm};
    // The NTLM acceptor's logon backends, asked in order.
    enum class NtlmBackend { file, winbind };
    std::vector<NtlmBackend> ntlm_backends{NtlmBackend::file};
    // The options file set netbios_domain or dns_domain.
    bool domain_names_set = false;
    // Set when the options file cannot be read or parsed, or an
    // environment variable is malformed: "FILE: line N: why".
    std::string fault;
    uint32_t challenge_lifetime = 300;
    bool dummy_signature = false;
    // Initiators without a password use the logged-on user's credentials
    // that winbindd caches.
    bool winbind_credentials = true;
    enum class ChannelBindings { optional, required };
    ChannelBindings channel_bindings = ChannelBindings::optional;
    // Domains (NetBIOS or DNS names, compared without case) whose users map
    // to local accounts; empty: the NetBIOS and DNS domain the acceptor
    // announces, and winbind's own domain.
    std::vector<std::string> local_domains;
    // Host-based targets ("service@host", either part "*") for which a
    // Negotiate initiator may fall back to NTLM; empty: any target.
    std::vector<std::string> ntlm_targets;
    // local_name_map rules, in the order the file gives them.
    struct NameRule {
        std::string domain;  // NetBIOS or DNS domain, as written
        std::string user;    // "*": any user of the domain
        std::string local;   // "*": the user part as it is
    };
    std::vector<NameRule> local_name_map;

    // Parses options-file text over the defaults held by *this; throws
    // GssError(GSS_S_FAILURE, bad_config) naming the line for a bad value
    // (lm_compat_level outside 0-5, a non-number lifetime, a bad boolean).
    void apply_file_text(std::string_view text);
    // Applies LM_COMPAT_LEVEL, NTLM_USER_FILE, GSS_NEGOTIATE_TRACE,
    // GSS_NEGOTIATE_MECHS and GSS_NEGOTIATE_NTLM_BACKENDS.
    void apply_environment();
    // Fills host-derived defaults still empty (names from gethostname()).
    void fill_host_defaults();
};

// The current configuration: the options file is read once and re-read when
// its mtime changes (checked at most once a second); the environment is read
// on every call. Fails closed: when the file exists but cannot be read or
// parsed, or a variable is malformed, throws GssError(GSS_S_FAILURE,
// bad_config) naming the file, the line and the fault (a missing file means
// the defaults).
std::shared_ptr<const Config> current_config();
// The same, never throwing: a broken configuration comes back with fault set
// (the defaults, with the environment's trace destination), for the trace.
std::shared_ptr<const Config> current_config_unchecked();

// Whether this process ignores the environment's variables, as
// secure_getenv does: a setuid, setgid or file-capability process. Tests
// force it with 1 or 0 (-1: the kernel's answer again).
bool environment_ignored() noexcept;
void set_environment_ignored_for_tests(int forced) noexcept;
// getenv, or nullptr when the environment is ignored.
const char* environment_value(const char* name) noexcept;

}  // namespace gssneg
