#include "util/config.h"
#include "util/option_table.h"

#include "util/errors.h"
#include "util/trace.h"
#include "util/utf16.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#ifndef GSSNEG_DEFAULT_CONFIG
#error "GSSNEG_DEFAULT_CONFIG is set by src/meson.build: $(sysconfdir)/gss-negotiate/gss-negotiate.conf"
#endif

namespace gssneg {

namespace {

constexpr std::string_view trace_component = "config";
constexpr size_t netbios_name_max = 15;
constexpr const char* env_config = "GSS_NEGOTIATE_CONFIG";
constexpr const char* env_lm_compat = "LM_COMPAT_LEVEL";
constexpr const char* env_user_file = "NTLM_USER_FILE";
constexpr const char* env_trace = "GSS_NEGOTIATE_TRACE";
constexpr const char* env_nego_mechs = "GSS_NEGOTIATE_MECHS";
constexpr const char* env_ntlm_backends = "GSS_NEGOTIATE_NTLM_BACKENDS";
// gss-ntlmssp's variables, for hosts set up for it: the names the
// acceptor announces, and its debug file as the trace. Ours win over them.
constexpr const char* env_netbios_computer = "NETBIOS_COMPUTER_NAME";
constexpr const char* env_netbios_domain = "NETBIOS_DOMAIN_NAME";
constexpr const char* env_ntlmssp_debug = "GSSNTLMSSP_DEBUG";
constexpr std::string_view env_prefix = "GSS_NEGOTIATE_";
static_assert(std::string_view(env_config).starts_with(env_prefix) &&
              std::string_view(env_trace).starts_with(env_prefix) &&
              std::string_view(env_nego_mechs).starts_with(env_prefix) &&
              std::string_view(env_ntlm_backends).starts_with(env_prefix));

using Notes = std::vector<std::string>;

std::string_view trim(std::string_view s) noexcept {
    const size_t first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const size_t last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

std::optional<uint64_t> parse_number(std::string_view s, uint64_t max) noexcept {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > max) return std::nullopt;
    }
    return v;
}

std::optional<int> parse_lm_compat_level(std::string_view s) noexcept {
    const auto v = parse_number(s, 5);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

std::optional<bool> parse_bool(std::string_view s) noexcept {
    for (const std::string_view yes : {"yes", "true", "1", "on"})
        if (iequals_ascii(s, yes)) return true;
    for (const std::string_view no : {"no", "false", "0", "off"})
        if (iequals_ascii(s, no)) return false;
    return std::nullopt;
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    out += s;
    out += '"';
    return out;
}

// A list of words separated by commas or blanks, each naming one value
// (word_value gives it, or nothing for an unknown word), each at most once.
template <typename T, typename WordValue>
std::optional<std::vector<T>> parse_word_list(std::string_view s, WordValue word_value) {
    std::vector<T> values;
    size_t pos = 0;
    while (pos < s.size()) {
        const size_t end = std::min(s.find_first_of(", \t", pos), s.size());
        const std::string_view word = s.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) continue;
        const std::optional<T> value = word_value(word);
        if (!value || std::find(values.begin(), values.end(), *value) != values.end()) return std::nullopt;
        values.push_back(*value);
    }
    return values;
}

// "kerberos ntlm", "ntlm,kerberos", "ntlm": each mechanism at most once.
std::optional<std::vector<Config::NegoMech>> parse_nego_mechs(std::string_view s) {
    return parse_word_list<Config::NegoMech>(s, [](std::string_view word) -> std::optional<Config::NegoMech> {
        if (iequals_ascii(word, "kerberos") || iequals_ascii(word, "krb5")) return Config::NegoMech::kerberos;
        if (iequals_ascii(word, "ntlm")) return Config::NegoMech::ntlm;
        return std::nullopt;
    });
}

// "file winbind", "winbind": each backend at most once, at least one.
std::optional<std::vector<Config::NtlmBackend>> parse_ntlm_backends(std::string_view s) {
    auto backends =
        parse_word_list<Config::NtlmBackend>(s, [](std::string_view word) -> std::optional<Config::NtlmBackend> {
            if (iequals_ascii(word, "file")) return Config::NtlmBackend::file;
            if (iequals_ascii(word, "winbind")) return Config::NtlmBackend::winbind;
            return std::nullopt;
        });
    if (backends && backends->empty()) return std::nullopt;
    return backends;
}

// "DOMAIN\user LOCAL" or "user@dns.domain LOCAL": two words, the user
// and LOCAL each a name or "*", the domain never empty or "*".
std::optional<Config::NameRule> parse_name_rule(std::string_view s) {
    const size_t gap = s.find_first_of(" \t");
    if (gap == std::string_view::npos) return std::nullopt;
    const std::string_view pattern = s.substr(0, gap);
    const std::string_view local = trim(s.substr(gap));
    if (local.empty() || local.find_first_of(" \t\\@") != std::string_view::npos) return std::nullopt;
    Config::NameRule rule;
    if (const size_t bs = pattern.find('\\'); bs != std::string_view::npos) {
        rule.domain = pattern.substr(0, bs);
        rule.user = pattern.substr(bs + 1);
    } else if (const size_t at = pattern.rfind('@'); at != std::string_view::npos) {
        rule.user = pattern.substr(0, at);
        rule.domain = pattern.substr(at + 1);
    } else {
        return std::nullopt;
    }
    if (rule.domain.empty() || rule.domain == "*" || rule.user.empty() ||
        rule.user.find_first_of("\\@") != std::string::npos || rule.domain.find_first_of("\\@*") != std::string::npos)
        return std::nullopt;
    rule.local = local;
    return rule;
}

// Applies one "key = value" pair; returns a description of a bad value.
std::optional<std::string> apply_option(Config& cfg, std::string_view key, std::string_view value, Notes&) {
    // The keys are those of the option table (util/option_table.h), which
    // the example file, the man page and the README are printed from.
    // A misspelt option must not leave the weaker default in place.
    if (find_option(key) == nullptr) return "unknown option " + quoted(key);
    std::string* text_option = nullptr;
    if (iequals_ascii(key, "user_file")) text_option = &cfg.user_file;
    else if (iequals_ascii(key, "trace")) text_option = &cfg.trace;
    else if (iequals_ascii(key, "netbios_domain")) text_option = &cfg.netbios_domain;
    else if (iequals_ascii(key, "netbios_computer")) text_option = &cfg.netbios_computer;
    else if (iequals_ascii(key, "dns_domain")) text_option = &cfg.dns_domain;
    else if (iequals_ascii(key, "dns_computer")) text_option = &cfg.dns_computer;
    else if (iequals_ascii(key, "workstation")) text_option = &cfg.workstation;
    if (text_option != nullptr) {
        *text_option = value;
        if (text_option == &cfg.netbios_domain || text_option == &cfg.dns_domain) cfg.domain_names_set = true;
        return std::nullopt;
    }

    if (iequals_ascii(key, "lm_compat_level")) {
        const auto level = parse_lm_compat_level(value);
        if (!level) return "lm_compat_level must be 0 to 5, not " + quoted(value);
        cfg.lm_compat_level = *level;
    } else if (iequals_ascii(key, "context_lifetime")) {
        const auto seconds = parse_number(value, UINT32_MAX);
        if (!seconds) return "context_lifetime must be a number of seconds, not " + quoted(value);
        cfg.context_lifetime = static_cast<uint32_t>(*seconds);
    } else if (iequals_ascii(key, "allow_anonymous") || iequals_ascii(key, "require_mic")) {
        const auto flag = parse_bool(value);
        if (!flag) return std::string(key) + " must be yes or no, not " + quoted(value);
        (iequals_ascii(key, "allow_anonymous") ? cfg.allow_anonymous : cfg.require_mic) = *flag;
    } else if (iequals_ascii(key, "negotiate_mechs")) {
        auto mechs = parse_nego_mechs(value);
        if (!mechs) return "negotiate_mechs must list kerberos and/or ntlm, not " + quoted(value);
        cfg.negotiate_mechs = std::move(*mechs);
    } else if (iequals_ascii(key, "challenge_lifetime")) {
        const auto seconds = parse_number(value, UINT32_MAX);
        if (!seconds || *seconds == 0) return "challenge_lifetime must be a positive number of seconds, not " + quoted(value);
        cfg.challenge_lifetime = static_cast<uint32_t>(*seconds);
    } else if (iequals_ascii(key, "dummy_signature")) {
        const auto flag = parse_bool(value);
        if (!flag) return "dummy_signature must be yes or no, not " + quoted(value);
        cfg.dummy_signature = *flag;
    } else if (iequals_ascii(key, "winbind_credentials")) {
        const auto flag = parse_bool(value);
        if (!flag) return "winbind_credentials must be yes or no, not " + quoted(value);
        cfg.winbind_credentials = *flag;
    } else if (iequals_ascii(key, "channel_bindings")) {
        if (iequals_ascii(value, "optional"))
            cfg.channel_bindings = Config::ChannelBindings::optional;
        else if (iequals_ascii(value, "required"))
            cfg.channel_bindings = Config::ChannelBindings::required;
        else
            return "channel_bindings must be optional or required, not " + quoted(value);
    } else if (iequals_ascii(key, "local_domains")) {
        auto domains = parse_word_list<std::string>(value, [](std::string_view word) -> std::optional<std::string> {
            return std::string(word);
        });
        if (!domains) return "local_domains must list domain names, each once, not " + quoted(value);
        cfg.local_domains = std::move(*domains);
    } else if (iequals_ascii(key, "ntlm_targets")) {
        auto targets = parse_word_list<std::string>(value, [](std::string_view word) -> std::optional<std::string> {
            const size_t at = word.find('@');
            if (at == 0 || at == std::string_view::npos || at + 1 == word.size() || word.find('@', at + 1) != std::string_view::npos)
                return std::nullopt;
            return std::string(word);
        });
        if (!targets) return "ntlm_targets must list service@host names (either part may be *), not " + quoted(value);
        cfg.ntlm_targets = std::move(*targets);
    } else if (iequals_ascii(key, "local_name_map")) {
        auto rule = parse_name_rule(value);
        if (!rule)
            return "local_name_map must be \"DOMAIN\\user LOCAL\" or \"user@dns.domain LOCAL\" (user or LOCAL "
                   "may be *), not " + quoted(value);
        cfg.local_name_map.push_back(std::move(*rule));
    } else if (iequals_ascii(key, "ntlm_backends")) {
        auto backends = parse_ntlm_backends(value);
        if (!backends) return "ntlm_backends must list file and/or winbind, not " + quoted(value);
        cfg.ntlm_backends = std::move(*backends);
    } else {
        // A key of the table that the branches above do not apply (the
        // unit tests apply every key of the table).
        return "option " + quoted(key) + " is not handled";
    }
    return std::nullopt;
}

// Applies options-file text; on the first bad line returns "line N: why",
// leaving cfg partly changed.
std::optional<std::string> apply_text(Config& cfg, std::string_view text, Notes& notes) {
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty() || line.front() == '#') continue;

        const size_t eq = line.find('=');
        const std::string_view key = eq == std::string_view::npos ? std::string_view{} : trim(line.substr(0, eq));
        if (key.empty()) return "line " + std::to_string(line_no) + ": expected \"key = value\"";
        const auto bad = apply_option(cfg, key, trim(line.substr(eq + 1)), notes);
        if (bad) return "line " + std::to_string(line_no) + ": " + *bad;
    }
    return std::nullopt;
}

// The first malformed variable, as "NAME=\"value\": why"; every well-formed
// one is applied.
std::optional<std::string> apply_environment_checked(Config& cfg) {
    std::optional<std::string> fault;
    const auto bad = [&fault](const char* name, const char* value, const char* why) {
        if (!fault) fault = std::string(name) + "=" + quoted(value) + ": " + why;
    };
    if (const char* level = environment_value(env_lm_compat)) {
        if (const auto parsed = parse_lm_compat_level(trim(level)))
            cfg.lm_compat_level = *parsed;
        else
            bad(env_lm_compat, level, "not 0 to 5");
    }
    if (const char* path = environment_value(env_user_file)) cfg.user_file = path;
    if (const char* dest = environment_value(env_trace))
        cfg.trace = dest;
    else if (const char* debug = environment_value(env_ntlmssp_debug))
        cfg.trace = debug;
    if (const char* name = environment_value(env_netbios_computer)) cfg.netbios_computer = name;
    if (const char* name = environment_value(env_netbios_domain)) {
        cfg.netbios_domain = name;
        cfg.domain_names_set = true;
    }
    if (const char* mechs = environment_value(env_nego_mechs)) {
        if (auto parsed = parse_nego_mechs(mechs))
            cfg.negotiate_mechs = std::move(*parsed);
        else
            bad(env_nego_mechs, mechs, "not a list of kerberos and ntlm");
    }
    if (const char* backends = environment_value(env_ntlm_backends)) {
        if (auto parsed = parse_ntlm_backends(backends))
            cfg.ntlm_backends = std::move(*parsed);
        else
            bad(env_ntlm_backends, backends, "not a list of file and winbind");
    }
    return fault;
}

std::string host_name() {
    std::array<char, HOST_NAME_MAX + 1> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0) buf[0] = '\0';
    std::string name(buf.data());
    while (!name.empty() && name.back() == '.') name.pop_back();
    return name.empty() ? "localhost" : name;
}

void trace_notes(const Notes& notes) {
    for (const std::string& note : notes) trace(trace_component, note);
}

struct FileId {
    uint64_t mtime_ns = 0;
    uint64_t size = 0;
    uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
};

FileId file_id(const struct stat& st) noexcept {
    return {static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u + static_cast<uint64_t>(st.st_mtim.tv_nsec),
            static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
}

std::optional<std::string> read_text(const std::string& path, int& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = errno;
        return std::nullopt;
    }
    std::string text;
    std::array<char, 4096> buf{};
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = errno;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buf.data(), static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
}

std::shared_ptr<const Config> defaults_for_host() {
    auto cfg = std::make_shared<Config>();
    cfg->fill_host_defaults();
    return cfg;
}

// The nine variables this module reads, found in one pass over environ
// (current_config() runs several times per handshake; one getenv each
// would walk the environment nine times).
struct EnvVars {
    const char* config = nullptr;
    const char* lm_compat = nullptr;
    const char* user_file = nullptr;
    const char* trace = nullptr;
    const char* nego_mechs = nullptr;
    const char* ntlm_backends = nullptr;
    const char* netbios_computer = nullptr;
    const char* netbios_domain = nullptr;
    const char* ntlmssp_debug = nullptr;
};

// The value of NAME=value in entry, or nullptr when entry is another name.
const char* value_if(const char* entry, std::string_view name) noexcept {
    if (std::strncmp(entry, name.data(), name.size()) != 0 || entry[name.size()] != '=') return nullptr;
    return entry + name.size() + 1;
}

// Keeps the first of duplicate entries, as getenv does.
void take(const char*& slot, const char* entry, std::string_view name) noexcept {
    if (slot == nullptr) slot = value_if(entry, name);
}

EnvVars scan_environment() noexcept {
    EnvVars vars;
    if (environment_ignored()) return vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const char* entry = *e;
        // The first character settles most entries at once.
        switch (entry[0]) {
        case 'G':
            if (entry[1] != 'S' || entry[2] != 'S') break;
            if (entry[3] == 'N') {
                take(vars.ntlmssp_debug, entry, env_ntlmssp_debug);
                break;
            }
            // Four of the names share this prefix; other GSS... entries
            // (GSS_MECH_CONFIG, GSSNEG_...) stop within five characters.
            if (entry[3] != '_' || entry[4] != 'N' || std::strncmp(entry, env_prefix.data(), env_prefix.size()) != 0)
                break;
            take(vars.config, entry, env_config);
            take(vars.trace, entry, env_trace);
            take(vars.nego_mechs, entry, env_nego_mechs);
            take(vars.ntlm_backends, entry, env_ntlm_backends);
            break;
        case 'L':
            if (entry[1] == 'M') take(vars.lm_compat, entry, env_lm_compat);
            break;
        case 'N':
            if (entry[1] == 'T') {
                take(vars.user_file, entry, env_user_file);
            } else if (entry[1] == 'E') {
                take(vars.netbios_computer, entry, env_netbios_computer);
                take(vars.netbios_domain, entry, env_netbios_domain);
            }
            break;
        default: break;
        }
    }
    return vars;
}

// Values of the variables as last seen.
struct EnvValue {
    bool set = false;
    std::string value;
    bool matches(const char* now) const noexcept { return now == nullptr ? !set : set && value == now; }
    void assign(const char* now) {
        set = now != nullptr;
        value = now != nullptr ? now : "";
    }
};

struct EnvState {
    EnvValue config, lm_compat, user_file, trace, nego_mechs, ntlm_backends, netbios_computer, netbios_domain,
        ntlmssp_debug;

    bool matches(const EnvVars& env) const noexcept {
        return config.matches(env.config) && lm_compat.matches(env.lm_compat) &&
               user_file.matches(env.user_file) && trace.matches(env.trace) &&
               nego_mechs.matches(env.nego_mechs) && ntlm_backends.matches(env.ntlm_backends) &&
               netbios_computer.matches(env.netbios_computer) && netbios_domain.matches(env.netbios_domain) &&
               ntlmssp_debug.matches(env.ntlmssp_debug);
    }
    void assign(const EnvVars& env) {
        config.assign(env.config);
        lm_compat.assign(env.lm_compat);
        user_file.assign(env.user_file);
        trace.assign(env.trace);
        nego_mechs.assign(env.nego_mechs);
        ntlm_backends.assign(env.ntlm_backends);
        netbios_computer.assign(env.netbios_computer);
        netbios_domain.assign(env.netbios_domain);
        ntlmssp_debug.assign(env.ntlmssp_debug);
    }
};

// The options file as last read, and the environment as last applied.
class ConfigCache final {
public:
    // The configuration for env, and when the options file is next looked at.
    std::pair<std::shared_ptr<const Config>, std::chrono::steady_clock::time_point> get(const EnvVars& env,
                                                                                        Notes& notes) {
        const std::lock_guard lock(m_mutex);
        const std::string_view path = env.config != nullptr ? env.config : GSSNEG_DEFAULT_CONFIG;
        const auto now = std::chrono::steady_clock::now();
        if (!m_file_config || path != m_path || now >= m_next_check) {
            m_next_check = now + std::chrono::seconds(1);
            refresh_file(std::string(path), notes);
        }
        if (!m_current || !m_env.matches(env)) {
            m_env.assign(env);
            auto cfg = std::make_shared<Config>(*m_file_config);
            if (const auto fault = apply_environment_checked(*cfg)) {
                notes.push_back(*fault);
                if (cfg->fault.empty()) cfg->fault = *fault;
            }
            m_current = std::move(cfg);
        }
        return {m_current, m_next_check};
    }

private:
    void refresh_file(std::string path, Notes& notes) {
        struct stat st {};
        const bool exists = ::stat(path.c_str(), &st) == 0;
        const int stat_error = exists ? 0 : errno;
        const std::optional<FileId> id = exists ? std::optional(file_id(st)) : std::nullopt;
        if (m_file_config && path == m_path && id == m_file_id) return;

        m_path = std::move(path);
        m_file_id = id;
        m_current.reset();
        // A missing file means the defaults; one that cannot be read or
        // parsed fails closed: every call that asks for the configuration
        // fails, naming the file, the line and the fault.
        if (!exists) {
            m_file_config = stat_error == ENOENT
                                ? defaults_for_host()
                                : broken(m_path + ": " + std::generic_category().message(stat_error), notes);
            return;
        }
        int error = 0;
        const auto text = read_text(m_path, error);
        if (!text) {
            m_file_config = broken(m_path + ": " + std::generic_category().message(error), notes);
            return;
        }
        auto cfg = std::make_shared<Config>();
        Notes file_notes;
        const auto bad = apply_text(*cfg, *text, file_notes);
        for (std::string& note : file_notes) notes.push_back(m_path + ": " + std::move(note));
        if (bad) {
            m_file_config = broken(m_path + ": " + *bad, notes);
            return;
        }
        cfg->fill_host_defaults();
        m_file_config = std::move(cfg);
    }

    // The defaults, marked broken: trace destinations from the environment
    // still apply, so that the fault can be traced.
    static std::shared_ptr<const Config> broken(std::string fault, Notes& notes) {
        auto cfg = std::make_shared<Config>();
        cfg->fill_host_defaults();
        cfg->fault = std::move(fault);
        notes.push_back(cfg->fault + "; every call fails until it is fixed");
        return cfg;
    }

    std::mutex m_mutex;
    std::string m_path;
    std::optional<FileId> m_file_id;
    std::chrono::steady_clock::time_point m_next_check{};
    std::shared_ptr<const Config> m_file_config;
    std::shared_ptr<const Config> m_current;
    EnvState m_env;
};

// What this thread last got from the cache. Reused without the cache's
// lock while the environment reads the same and until the cache would look
// at the options file again: acceptors and initiators on many threads ask
// for the configuration several times a handshake.
struct ThreadConfig {
    std::shared_ptr<const Config> config;
    std::chrono::steady_clock::time_point until{};
    EnvState env;
};

}  // namespace

void Config::apply_file_text(std::string_view text) {
    Config updated = *this;
    Notes notes;
    const auto bad = apply_text(updated, text, notes);
    trace_notes(notes);
    if (bad) throw GssError(GSS_S_FAILURE, Minor::bad_config, *bad);
    *this = std::move(updated);
}

void Config::apply_environment() {
    if (const auto bad = apply_environment_checked(*this)) throw GssError(GSS_S_FAILURE, Minor::bad_config, *bad);
}

void Config::fill_host_defaults() {
    if (dns_computer.empty()) dns_computer = host_name();
    const std::string_view host = dns_computer;
    const size_t dot = host.find('.');
    if (netbios_computer.empty())
        netbios_computer = to_upper_ascii(host.substr(0, std::min(dot, netbios_name_max)));
    if (dns_domain.empty() && dot != std::string_view::npos) dns_domain = host.substr(dot + 1);
    if (workstation.empty()) workstation = netbios_computer;
}

std::shared_ptr<const Config> current_config() {
    std::shared_ptr<const Config> cfg = current_config_unchecked();
    if (!cfg->fault.empty()) throw GssError(GSS_S_FAILURE, Minor::bad_config, cfg->fault);
    return cfg;
}

namespace {
std::atomic<int> g_secure_override{-1};
}

bool environment_ignored() noexcept {
    const int forced = g_secure_override.load(std::memory_order_relaxed);
    if (forced >= 0) return forced != 0;
    // As secure_getenv: a setuid, setgid or file-capability process (the
    // kernel's AT_SECURE) ignores the variables of whoever started it.
    static const bool secure = ::getauxval(AT_SECURE) != 0;
    return secure;
}

void set_environment_ignored_for_tests(int forced) noexcept {
    g_secure_override.store(forced, std::memory_order_relaxed);
}

const char* environment_value(const char* name) noexcept {
    return environment_ignored() ? nullptr : std::getenv(name);
}

std::shared_ptr<const Config> current_config_unchecked() {
    static ConfigCache cache;
    thread_local ThreadConfig mine;
    const EnvVars env = scan_environment();
    if (mine.config && std::chrono::steady_clock::now() < mine.until && mine.env.matches(env)) return mine.config;
    Notes notes;
    auto [cfg, until] = cache.get(env, notes);
    // A copy of the thread's own: the shared_ptr copies handed out below
    // then count references on a cache line no other thread writes.
    mine.config = std::make_shared<const Config>(*cfg);
    mine.until = until;
    mine.env.assign(env);
    // Traced only now, with the cache unlocked: trace() reads the
    // configuration itself.
    set_trace_enabled(!cfg->trace.empty());
    trace_notes(notes);
    return mine.config;
}

}  // namespace gssneg
