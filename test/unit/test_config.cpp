#include <catch2/catch.hpp>

#include "util/config.h"
#include "util/option_table.h"
#include "util/errors.h"
#include "util/trace.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sys/stat.h>
#include <sstream>
#include <string>
#include <vector>

using gssneg::Config;
using gssneg::current_config;
using gssneg::GssError;
using gssneg::Minor;
using gssneg::minor_value;

namespace {

class EnvVar final {
public:
    EnvVar(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value != nullptr)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~EnvVar() {
        if (m_old)
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        else
            ::unsetenv(m_name.c_str());
    }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

class TempPath final {
public:
    explicit TempPath(const std::optional<std::string>& contents = std::nullopt) {
        char name[] = "/tmp/gssneg-config-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        m_path = name;
        if (contents)
            std::ofstream(m_path, std::ios::binary) << *contents;
        else
            std::remove(m_path.c_str());
    }
    ~TempPath() { std::remove(m_path.c_str()); }
    TempPath(const TempPath&) = delete;
    TempPath& operator=(const TempPath&) = delete;

    const std::string& path() const { return m_path; }
    const char* c_str() const { return m_path.c_str(); }
    std::string read() const {
        std::ifstream in(m_path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    std::string m_path;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// current_config() fails closed: GSS_S_FAILURE, bad_config, a text that
// holds every fragment.
void require_config_fails(std::initializer_list<std::string> fragments) {
    try {
        current_config();
        FAIL("current_config() accepted a broken configuration");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_FAILURE);
        CHECK(e.minor() == minor_value(Minor::bad_config));
        for (const std::string& f : fragments) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(f) != std::string::npos);
        }
    }
}

void check_bad_config(const std::string& text, const std::string& expected_in_what) {
    Config cfg;
    cfg.user_file = "unchanged";
    try {
        cfg.apply_file_text(text);
        FAIL("accepted: " << text);
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_FAILURE);
        CHECK(e.minor() == minor_value(Minor::bad_config));
        INFO(e.what());
        CHECK(std::string(e.what()).find(expected_in_what) != std::string::npos);
    }
    CHECK(cfg.user_file == "unchanged");
}

std::string host_name() {
    char buf[HOST_NAME_MAX + 1] = {};
    REQUIRE(::gethostname(buf, sizeof buf - 1) == 0);
    return buf;
}

}  // namespace

TEST_CASE("defaults before any file", "[config]") {
    const Config cfg;
    CHECK(cfg.lm_compat_level == 5);
    CHECK(cfg.user_file.empty());
    CHECK(cfg.trace.empty());
    CHECK(cfg.netbios_domain == "WORKGROUP");
    CHECK(cfg.context_lifetime == 36000);
    CHECK_FALSE(cfg.allow_anonymous);
    CHECK_FALSE(cfg.require_mic);
}

TEST_CASE("every option key is parsed", "[config]") {
    Config cfg;
    cfg.apply_file_text(
        "# gss-negotiate options\n"
        "\n"
        "lm_compat_level = 5\n"
        "user_file = /etc/gss-negotiate/users with space\n"
        "trace=stderr\n"
        "  netbios_domain   =   CORP  \r\n"
        "netbios_computer = SRV1\n"
        "dns_domain = corp.example.com\n"
        "dns_computer = srv1.corp.example.com\n"
        "workstation = WS7\n"
        "context_lifetime = 600\n"
        "allow_anonymous = yes\n"
        "REQUIRE_MIC = On\n");
    CHECK(cfg.lm_compat_level == 5);
    CHECK(cfg.user_file == "/etc/gss-negotiate/users with space");
    CHECK(cfg.trace == "stderr");
    CHECK(cfg.netbios_domain == "CORP");
    CHECK(cfg.netbios_computer == "SRV1");
    CHECK(cfg.dns_domain == "corp.example.com");
    CHECK(cfg.dns_computer == "srv1.corp.example.com");
    CHECK(cfg.workstation == "WS7");
    CHECK(cfg.context_lifetime == 600);
    CHECK(cfg.allow_anonymous);
    CHECK(cfg.require_mic);
}

TEST_CASE("the parser takes every option of the table, and the generated example file", "[config][docs]") {
    for (const gssneg::OptionDoc& o : gssneg::option_docs()) {
        Config cfg;
        INFO(o.name << " = " << o.example);
        CHECK_NOTHROW(cfg.apply_file_text(std::string(o.name) + " = " + std::string(o.example) + "\n"));
    }
    // The example with every option line uncommented parses as it stands.
    std::string uncommented;
    size_t options = 0;
    const std::string example = gssneg::options_example("/etc/gss-negotiate/gss-negotiate.conf");
    for (size_t pos = 0; pos < example.size();) {
        const size_t end = std::min(example.find('\n', pos), example.size());
        std::string line = example.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line.find(" = ") != std::string::npos) {
            line.erase(0, 1);
            ++options;
        }
        uncommented += line + "\n";
    }
    CHECK(options == gssneg::option_docs().size());
    Config cfg;
    CHECK_NOTHROW(cfg.apply_file_text(uncommented));
    CHECK(cfg.lm_compat_level == 5);
    CHECK(cfg.user_file == "/etc/gss-negotiate/users");
    CHECK(cfg.local_name_map.size() == 1);
    // And a key the table does not have is refused.
    Config other;
    CHECK_THROWS_AS(other.apply_file_text("no_such_option = 1\n"), GssError);
}

TEST_CASE("later lines override earlier ones and values may be empty", "[config]") {
    Config cfg;
    cfg.apply_file_text("lm_compat_level = 1\nlm_compat_level = 0\ntrace = stderr\ntrace =\n");
    CHECK(cfg.lm_compat_level == 0);
    CHECK(cfg.trace.empty());
}

TEST_CASE("every boolean spelling", "[config]") {
    const std::pair<const char*, bool> cases[] = {
        {"yes", true}, {"no", false}, {"true", true}, {"false", false}, {"1", true},
        {"0", false},  {"on", true},  {"off", false}, {"YES", true},    {"False", false},
    };
    for (const auto& [text, expected] : cases) {
        Config cfg;
        cfg.allow_anonymous = !expected;
        cfg.apply_file_text(std::string("allow_anonymous = ") + text);
        CHECK(cfg.allow_anonymous == expected);
    }
}

TEST_CASE("bad values name the line and leave the config unchanged", "[config]") {
    check_bad_config("lm_compat_level = 6\n", "line 1");
    check_bad_config("user_file = x\n\n# c\nlm_compat_level = -1\n", "line 4");
    check_bad_config("lm_compat_level = three\n", "lm_compat_level");
    check_bad_config("lm_compat_level =\n", "line 1");
    check_bad_config("context_lifetime = 10h\n", "context_lifetime");
    check_bad_config("\ncontext_lifetime = 4294967296\n", "line 2");
    check_bad_config("context_lifetime = -5\n", "line 1");
    check_bad_config("require_mic = maybe\n", "require_mic");
    check_bad_config("allow_anonymous = 2\n", "line 1");
    check_bad_config("user_file = a\njust a word\n", "line 2");
    check_bad_config("= value\n", "line 1");
    check_bad_config("negotiate_mechs = kerberos iakerb\n", "negotiate_mechs");
    check_bad_config("negotiate_mechs = ntlm, ntlm\n", "negotiate_mechs");
}

TEST_CASE("the attack-hardening options: defaults and every form", "[config]") {
    using CB = Config::ChannelBindings;
    Config cfg;
    CHECK(cfg.challenge_lifetime == 300);
    CHECK_FALSE(cfg.dummy_signature);
    CHECK(cfg.channel_bindings == CB::optional);
    CHECK(cfg.local_domains.empty());
    CHECK(cfg.local_name_map.empty());
    cfg.apply_file_text(
        "challenge_lifetime = 30\n"
        "dummy_signature = yes\n"
        "channel_bindings = REQUIRED\n"
        "local_domains = CORP, corp.example.com\n"
        "local_name_map = PARTNER\\* *\n"
        "local_name_map = bob@partner.example   robert\n");
    CHECK(cfg.challenge_lifetime == 30);
    CHECK(cfg.dummy_signature);
    CHECK(cfg.channel_bindings == CB::required);
    CHECK(cfg.local_domains == std::vector<std::string>{"CORP", "corp.example.com"});
    REQUIRE(cfg.local_name_map.size() == 2);
    CHECK(cfg.local_name_map[0].domain == "PARTNER");
    CHECK(cfg.local_name_map[0].user == "*");
    CHECK(cfg.local_name_map[0].local == "*");
    CHECK(cfg.local_name_map[1].domain == "partner.example");
    CHECK(cfg.local_name_map[1].user == "bob");
    CHECK(cfg.local_name_map[1].local == "robert");
    cfg.apply_file_text("ntlm_targets = HTTP@legacy.example, *@files.example host@*\n");
    CHECK(cfg.ntlm_targets == std::vector<std::string>{"HTTP@legacy.example", "*@files.example", "host@*"});
    cfg.apply_file_text("channel_bindings = optional\n");
    CHECK(cfg.channel_bindings == CB::optional);
}

TEST_CASE("winbind_credentials: on by default, yes or no", "[config]") {
    Config cfg;
    CHECK(cfg.winbind_credentials);
    cfg.apply_file_text("winbind_credentials = no\n");
    CHECK_FALSE(cfg.winbind_credentials);
    cfg.apply_file_text("Winbind_Credentials = YES\n");
    CHECK(cfg.winbind_credentials);
    check_bad_config("winbind_credentials = 1x\n", "winbind_credentials must be yes or no");
}

TEST_CASE("bad attack-hardening values name the line", "[config]") {
    check_bad_config("challenge_lifetime = 0\n", "challenge_lifetime");
    check_bad_config("challenge_lifetime = 5m\n", "line 1");
    check_bad_config("dummy_signature = sometimes\n", "dummy_signature");
    check_bad_config("channel_bindings = yes\n", "channel_bindings");
    check_bad_config("local_domains = CORP CORP\n", "local_domains");
    check_bad_config("ntlm_targets = legacy.example\n", "ntlm_targets");
    check_bad_config("ntlm_targets = @legacy.example\n", "ntlm_targets");
    check_bad_config("ntlm_targets = HTTP@\n", "ntlm_targets");
    check_bad_config("ntlm_targets = HTTP@a@b\n", "ntlm_targets");
    check_bad_config("local_name_map = PARTNER\\bob\n", "local_name_map");
    check_bad_config("local_name_map = bob robert\n", "local_name_map");
    check_bad_config("local_name_map = \\bob robert\n", "local_name_map");
    check_bad_config("local_name_map = *\\bob robert\n", "local_name_map");
    check_bad_config("local_name_map = PARTNER\\bob CORP\\robert\n", "local_name_map");
    check_bad_config("local_name_map = PARTNER\\bob robert extra\n", "local_name_map");
}

TEST_CASE("negotiate_mechs: order, separators, and the environment", "[config]") {
    using M = Config::NegoMech;
    Config cfg;
    CHECK(cfg.negotiate_mechs == std::vector<M>{M::kerberos, M::ntlm});
    cfg.apply_file_text("negotiate_mechs = NTLM,krb5\n");
    CHECK(cfg.negotiate_mechs == std::vector<M>{M::ntlm, M::kerberos});
    cfg.apply_file_text("negotiate_mechs = ntlm\n");
    CHECK(cfg.negotiate_mechs == std::vector<M>{M::ntlm});
    cfg.apply_file_text("negotiate_mechs =\n");
    CHECK(cfg.negotiate_mechs.empty());
    {
        const EnvVar mechs("GSS_NEGOTIATE_MECHS", "ntlm kerberos");
        CHECK(current_config()->negotiate_mechs == std::vector<M>{M::ntlm, M::kerberos});
    }
    {
        const EnvVar bad("GSS_NEGOTIATE_MECHS", "spnego");
        require_config_fails({"GSS_NEGOTIATE_MECHS=\"spnego\"", "not a list of kerberos and ntlm"});
    }
    CHECK(current_config()->negotiate_mechs == std::vector<M>{M::kerberos, M::ntlm});
}

TEST_CASE("ntlm_backends: order, the environment, and domain names set by the file", "[config]") {
    using B = Config::NtlmBackend;
    Config cfg;
    CHECK(cfg.ntlm_backends == std::vector<B>{B::file});
    CHECK_FALSE(cfg.domain_names_set);
    cfg.apply_file_text("ntlm_backends = winbind, FILE\n");
    CHECK(cfg.ntlm_backends == std::vector<B>{B::winbind, B::file});
    cfg.apply_file_text("ntlm_backends = winbind\n");
    CHECK(cfg.ntlm_backends == std::vector<B>{B::winbind});
    check_bad_config("ntlm_backends =\n", "ntlm_backends");
    check_bad_config("ntlm_backends = file file\n", "ntlm_backends");
    check_bad_config("ntlm_backends = ldap\n", "ntlm_backends");
    CHECK_FALSE(cfg.domain_names_set);
    cfg.apply_file_text("netbios_domain = ADEX\n");
    CHECK(cfg.domain_names_set);
    {
        const EnvVar backends("GSS_NEGOTIATE_NTLM_BACKENDS", "file winbind");
        CHECK(current_config()->ntlm_backends == std::vector<B>{B::file, B::winbind});
    }
    {
        const EnvVar bad("GSS_NEGOTIATE_NTLM_BACKENDS", "kerberos");
        require_config_fails({"GSS_NEGOTIATE_NTLM_BACKENDS=\"kerberos\""});
    }
    CHECK(current_config()->ntlm_backends == std::vector<B>{B::file});
}

TEST_CASE("the largest lifetime is accepted", "[config]") {
    Config cfg;
    cfg.apply_file_text("context_lifetime = 4294967295");
    CHECK(cfg.context_lifetime == 4294967295u);
}

TEST_CASE("environment variables override the file", "[config]") {
    const EnvVar level("LM_COMPAT_LEVEL", "1");
    const EnvVar users("NTLM_USER_FILE", "/tmp/env-users");
    const EnvVar dest("GSS_NEGOTIATE_TRACE", "/tmp/env-trace");
    Config cfg;
    cfg.apply_file_text("lm_compat_level = 5\nuser_file = /file/users\ntrace = stderr\n");
    cfg.apply_environment();
    CHECK(cfg.lm_compat_level == 1);
    CHECK(cfg.user_file == "/tmp/env-users");
    CHECK(cfg.trace == "/tmp/env-trace");
}

TEST_CASE("gss-ntlmssp's variables: the names announced, and its debug file as the trace", "[config]") {
    const EnvVar ours("GSS_NEGOTIATE_TRACE", nullptr);
    const EnvVar computer("NETBIOS_COMPUTER_NAME", "ENVHOST");
    const EnvVar domain("NETBIOS_DOMAIN_NAME", "ENVDOM");
    const EnvVar debug("GSSNTLMSSP_DEBUG", "/tmp/ntlmssp-debug");
    Config cfg;
    cfg.apply_file_text("netbios_computer = FILEHOST\nnetbios_domain = FILEDOM\ntrace = stderr\n");
    cfg.apply_environment();
    CHECK(cfg.netbios_computer == "ENVHOST");
    CHECK(cfg.netbios_domain == "ENVDOM");
    CHECK(cfg.domain_names_set);
    CHECK(cfg.trace == "/tmp/ntlmssp-debug");
    // Our own variable wins over gss-ntlmssp's.
    const EnvVar mine("GSS_NEGOTIATE_TRACE", "/tmp/env-trace");
    Config both;
    both.apply_environment();
    CHECK(both.trace == "/tmp/env-trace");
}

TEST_CASE("unset variables keep the file values", "[config]") {
    const EnvVar level("LM_COMPAT_LEVEL", nullptr);
    const EnvVar users("NTLM_USER_FILE", nullptr);
    const EnvVar dest("GSS_NEGOTIATE_TRACE", nullptr);
    Config cfg;
    cfg.apply_file_text("lm_compat_level = 4\nuser_file = /file/users\n");
    cfg.apply_environment();
    CHECK(cfg.lm_compat_level == 4);
    CHECK(cfg.user_file == "/file/users");
    CHECK(cfg.trace.empty());
}

TEST_CASE("a malformed variable fails closed, naming it", "[config]") {
    for (const char* value : {"9", "abc", "-1", ""}) {
        INFO("LM_COMPAT_LEVEL=" << value);
        const EnvVar level("LM_COMPAT_LEVEL", value);
        Config cfg;
        try {
            cfg.apply_environment();
            FAIL("accepted");
        } catch (const GssError& e) {
            CHECK(e.minor() == minor_value(Minor::bad_config));
            CHECK(std::string(e.what()).find("LM_COMPAT_LEVEL=\"" + std::string(value) + "\": not 0 to 5") !=
                  std::string::npos);
        }
        require_config_fails({"LM_COMPAT_LEVEL"});
    }
}

TEST_CASE("in a setuid or setcap process the environment is ignored", "[config]") {
    const EnvVar level("LM_COMPAT_LEVEL", "1");
    const EnvVar users("NTLM_USER_FILE", "/tmp/from-the-caller");
    const EnvVar dest("GSS_NEGOTIATE_TRACE", "/tmp/from-the-caller.trace");
    const EnvVar mechs("GSS_NEGOTIATE_MECHS", "bogus");
    CHECK(gssneg::environment_value("LM_COMPAT_LEVEL") != nullptr);
    gssneg::set_environment_ignored_for_tests(1);
    struct Restore {
        ~Restore() { gssneg::set_environment_ignored_for_tests(-1); }
    } restore;
    CHECK(gssneg::environment_value("LM_COMPAT_LEVEL") == nullptr);
    Config cfg;
    cfg.apply_environment();  // the malformed GSS_NEGOTIATE_MECHS is not even read
    CHECK(cfg.lm_compat_level == 5);
    CHECK(cfg.user_file.empty());
    CHECK(cfg.trace.empty());
    const auto current = current_config();  // nor is GSS_NEGOTIATE_CONFIG
    CHECK(current->lm_compat_level == 5);
    CHECK(current->user_file != "/tmp/from-the-caller");
}

TEST_CASE("host defaults come from gethostname()", "[config]") {
    Config cfg;
    cfg.fill_host_defaults();
    const std::string host = host_name();
    CHECK(cfg.dns_computer == host);
    CHECK_FALSE(cfg.netbios_computer.empty());
    CHECK(cfg.netbios_computer.size() <= 15);
    CHECK(cfg.netbios_computer.find('.') == std::string::npos);
    for (const char c : cfg.netbios_computer) CHECK_FALSE((c >= 'a' && c <= 'z'));
    CHECK(cfg.workstation == cfg.netbios_computer);
    const auto dot = host.find('.');
    CHECK(cfg.dns_domain == (dot == std::string::npos ? "" : host.substr(dot + 1)));
}

TEST_CASE("host defaults derive from a configured DNS name", "[config]") {
    Config cfg;
    cfg.dns_computer = "averyveryverylonghostname.corp.example.com";
    cfg.fill_host_defaults();
    CHECK(cfg.netbios_computer == "AVERYVERYVERYLO");
    CHECK(cfg.dns_domain == "corp.example.com");
    CHECK(cfg.workstation == "AVERYVERYVERYLO");

    Config plain;
    plain.dns_computer = "web";
    plain.workstation = "KIOSK";
    plain.fill_host_defaults();
    CHECK(plain.netbios_computer == "WEB");
    CHECK(plain.dns_domain.empty());
    CHECK(plain.workstation == "KIOSK");
}

TEST_CASE("current_config() reads the options file and the environment", "[config]") {
    const TempPath file(std::string("lm_compat_level = 2\nuser_file = /file/users\nnetbios_domain = FILEDOM\n"));
    const EnvVar path("GSS_NEGOTIATE_CONFIG", file.c_str());
    const EnvVar level("LM_COMPAT_LEVEL", nullptr);
    const EnvVar users("NTLM_USER_FILE", nullptr);
    const EnvVar dest("GSS_NEGOTIATE_TRACE", nullptr);

    const auto a = current_config();
    CHECK(a->lm_compat_level == 2);
    CHECK(a->user_file == "/file/users");
    CHECK(a->netbios_domain == "FILEDOM");
    CHECK_FALSE(a->netbios_computer.empty());
    CHECK(current_config().get() == a.get());

    {
        const EnvVar env_level("LM_COMPAT_LEVEL", "0");
        const auto b = current_config();
        CHECK(b->lm_compat_level == 0);
        CHECK(b->netbios_domain == "FILEDOM");
        CHECK(a->lm_compat_level == 2);
        CHECK(current_config().get() == b.get());
    }
    CHECK(current_config()->lm_compat_level == 2);

    // Names that only start like ours are not ours; each of ours is noticed
    // when it appears.
    {
        const EnvVar longer("NTLM_USER_FILES", "/not/this");
        const EnvVar prefix("GSS_NEGOTIATE_TRACEX", "stderr");
        const EnvVar shorter("LM_COMPAT_LEVE", "1");
        const auto c = current_config();
        CHECK(c->user_file == "/file/users");
        CHECK(c->trace.empty());
        CHECK(c->lm_compat_level == 2);
        const EnvVar env_users("NTLM_USER_FILE", "/env/users");
        CHECK(current_config()->user_file == "/env/users");
        const EnvVar env_mechs("GSS_NEGOTIATE_MECHS", "ntlm");
        using M = gssneg::Config::NegoMech;
        CHECK(current_config()->negotiate_mechs == std::vector<M>{M::ntlm});
        const EnvVar env_domain("NETBIOS_DOMAIN_NAME", "ENVDOM");
        CHECK(current_config()->netbios_domain == "ENVDOM");
        const EnvVar env_debug("GSSNTLMSSP_DEBUG", "stderr");
        CHECK(current_config()->trace == "stderr");
    }
    CHECK(current_config()->user_file == "/file/users");
}

TEST_CASE("current_config(): a missing file gives the defaults, a broken one fails", "[config]") {
    const EnvVar level("LM_COMPAT_LEVEL", nullptr);
    const EnvVar dest("GSS_NEGOTIATE_TRACE", nullptr);
    {
        const TempPath missing;
        const EnvVar path("GSS_NEGOTIATE_CONFIG", missing.c_str());
        const auto cfg = current_config();
        CHECK(cfg->lm_compat_level == 5);
        CHECK(cfg->netbios_domain == "WORKGROUP");
        CHECK_FALSE(cfg->dns_computer.empty());
    }
    {
        const TempPath broken(std::string("netbios_domain = BROKEN\nlm_compat_level = 7\n"));
        const EnvVar path("GSS_NEGOTIATE_CONFIG", broken.c_str());
        require_config_fails({broken.path(), "line 2", "lm_compat_level must be 0 to 5"});
    }
    {
        const TempPath typo(std::string("lm_compat_level = 5\nrequre_mic = yes\n"));
        const EnvVar path("GSS_NEGOTIATE_CONFIG", typo.c_str());
        require_config_fails({typo.path(), "line 2", "unknown option \"requre_mic\""});
    }
    {
        const TempPath unreadable(std::string("lm_compat_level = 5\n"));
        REQUIRE(::chmod(unreadable.c_str(), 0) == 0);
        const EnvVar path("GSS_NEGOTIATE_CONFIG", unreadable.c_str());
        if (::access(unreadable.c_str(), R_OK) == 0) {
            // root reads a file of mode 000: make it a directory instead.
            const std::string dir = unreadable.path() + ".d";
            REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
            const EnvVar dir_path("GSS_NEGOTIATE_CONFIG", dir.c_str());
            require_config_fails({dir});
            ::rmdir(dir.c_str());
        } else {
            require_config_fails({unreadable.path(), "Permission denied"});
        }
    }
}

TEST_CASE("trace lines go to the file named by GSS_NEGOTIATE_TRACE", "[config][trace]") {
    const TempPath out(std::string("earlier line\n"));
    const EnvVar dest("GSS_NEGOTIATE_TRACE", out.c_str());
    CHECK(current_config()->trace == out.path());
    REQUIRE(gssneg::trace_enabled());
    gssneg::trace("ntlm", "first message");
    gssneg::trace("spnego", "two\nlines\x1b[2J\x7f\\end");

    const auto lines = lines_of(out.read());
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "earlier line");
    const std::string pid = std::to_string(::getpid());
    // "gss-negotiate[PID] HH:MM:SS.mmm component: message"
    const auto well_formed = [&](const std::string& line, const std::string& rest) {
        const std::string head = "gss-negotiate[" + pid + "] ";
        if (line.size() != head.size() + 13 + rest.size() || !line.starts_with(head) || !line.ends_with(rest))
            return false;
        const std::string_view time = std::string_view(line).substr(head.size(), 12);
        for (size_t i = 0; i < time.size(); ++i) {
            const bool sep = i == 2 || i == 5 || i == 8;
            if (sep ? time[i] != (i == 8 ? '.' : ':') : (time[i] < '0' || time[i] > '9')) return false;
        }
        return line[head.size() + 12] == ' ';
    };
    CHECK(well_formed(lines[1], "ntlm: first message"));
    CHECK(well_formed(lines[2], "spnego: two\\x0alines\\x1b[2J\\x7f\\end"));
}

TEST_CASE("the trace file is not opened through a symbolic link", "[config][trace]") {
    const TempPath target(std::string("not to be written\n"));
    const std::string link = target.path() + ".link";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    {
        const EnvVar dest("GSS_NEGOTIATE_TRACE", link.c_str());
        gssneg::trace("ntlm", "must not reach the link's target");
    }
    ::unlink(link.c_str());
    CHECK(target.read() == "not to be written\n");
}

TEST_CASE("tracing is off without a destination", "[config][trace]") {
    const TempPath missing;
    const EnvVar path("GSS_NEGOTIATE_CONFIG", missing.c_str());
    const EnvVar dest("GSS_NEGOTIATE_TRACE", nullptr);
    gssneg::trace("ntlm", "goes nowhere");
    CHECK_FALSE(gssneg::trace_enabled());
    {
        const EnvVar on("GSS_NEGOTIATE_TRACE", "stderr");
        CHECK(current_config()->trace == "stderr");
        CHECK(gssneg::trace_enabled());
    }
    {
        const EnvVar empty("GSS_NEGOTIATE_TRACE", "");
        CHECK(current_config()->trace.empty());
        CHECK_FALSE(gssneg::trace_enabled());
    }
}

TEST_CASE("the options file can turn tracing on", "[config][trace]") {
    const TempPath out;
    const TempPath file("trace = " + out.path() + "\n");
    const EnvVar path("GSS_NEGOTIATE_CONFIG", file.c_str());
    const EnvVar dest("GSS_NEGOTIATE_TRACE", nullptr);
    gssneg::trace("test", "from the file");
    CHECK(gssneg::trace_enabled());
    const auto lines = lines_of(out.read());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].ends_with(" test: from the file"));
}

TEST_CASE("a malformed options file is reported in the trace", "[config][trace]") {
    const TempPath out;
    const TempPath broken(std::string("# header\nrequire_mic = perhaps\n"));
    const EnvVar dest("GSS_NEGOTIATE_TRACE", out.c_str());
    const EnvVar path("GSS_NEGOTIATE_CONFIG", broken.c_str());
    require_config_fails({broken.path(), "line 2: require_mic"});
    CHECK(gssneg::current_config_unchecked()->trace == out.path());

    const auto lines = lines_of(out.read());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(" config: " + broken.path() + ": line 2: require_mic") != std::string::npos);
}

TEST_CASE("a trace call that loads a malformed options file reports it first", "[config][trace]") {
    const TempPath out;
    const TempPath broken(std::string("lm_compat_level = 9\n"));
    const EnvVar dest("GSS_NEGOTIATE_TRACE", out.c_str());
    const EnvVar path("GSS_NEGOTIATE_CONFIG", broken.c_str());
    gssneg::trace("ntlm", "after the note");

    const auto lines = lines_of(out.read());
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find(" config: " + broken.path() + ": line 1: lm_compat_level must be 0 to 5") !=
          std::string::npos);
    CHECK(lines[1].ends_with(" ntlm: after the note"));
}

TEST_CASE("trace_hex_prefix cuts long data", "[config][trace]") {
    const uint8_t data[] = {0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00};
    CHECK(gssneg::trace_hex_prefix(data, 8) == "4e544c4d53535000");
    CHECK(gssneg::trace_hex_prefix(data, 3) == "4e544c... (8 bytes)");
    CHECK(gssneg::trace_hex_prefix({}, 3).empty());
}
