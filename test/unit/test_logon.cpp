// The NTLM acceptor's logon backends: the order of the chain, and the parts
// of the winbind backend that need no domain (its NTLMv1 challenge, and how
// NT statuses read). The domain itself is exercised by test/ad.
#include "ntlm/logon.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/winbind_logon.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

struct TempUsers {
    explicit TempUsers(const std::string& contents) {
        char tmpl[] = "/tmp/gssneg-logon-XXXXXX";
        const int fd = mkstemp(tmpl);
        REQUIRE(fd >= 0);
        close(fd);
        path = tmpl;
        std::ofstream(path) << contents;
    }
    ~TempUsers() { std::remove(path.c_str()); }
    std::string path;
};

Challenge8 challenge_of(const char* name) {
    const Bytes b = test::ms_nlmp().hex(name);
    REQUIRE(b.size() == 8);
    Challenge8 c{};
    std::copy(b.begin(), b.end(), c.begin());
    return c;
}

// An NTLMv1 logon of user with password against server_challenge.
struct V1Logon {
    V1Logon(const std::string& user_name, const std::string& password)
        : user(user_name), server_challenge(challenge_of("server_challenge")),
          responses(compute_ntlmv1(0, nt_owf_v1(password), lm_owf_v1(password), server_challenge, {})) {}
    LogonRequest request() const {
        return {user, "EXAMPLE", "WS", server_challenge, responses.lm_response, responses.nt_response,
                ResponseKind::ntlmv1, 0, "ACCEPTOR"};
    }
    std::string user;
    Challenge8 server_challenge;
    ResponsesV1 responses;
};

// An NTLMv2 logon of DOMAIN\user: NTProofStr || blob, hashed with the
// domain as the client sends it.
struct V2Logon {
    V2Logon(const std::string& domain_name, const std::string& user_name, const std::string& password)
        : domain(domain_name), user(user_name), server_challenge(challenge_of("server_challenge")) {
        const Bytes blob = test::ms_nlmp().hex("v2_client_blob");
        const auto proof = ntlmv2_proof(nt_owf_v2(nt_owf_v1(password), user, domain), server_challenge, blob);
        nt_response.assign(proof.begin(), proof.end());
        nt_response.insert(nt_response.end(), blob.begin(), blob.end());
    }
    LogonRequest request(std::string_view acceptor_domain) const {
        return {user, domain, "WS", server_challenge, {}, nt_response, ResponseKind::ntlmv2, 0, acceptor_domain};
    }
    std::string domain;
    std::string user;
    Challenge8 server_challenge;
    Bytes nt_response;
};

std::shared_ptr<const LogonBackend> file_backend(const TempUsers& users) {
    return std::make_shared<FileLogon>(std::make_shared<UserDatabase>(users.path));
}

Minor refused_with(const LogonChain& chain, const LogonRequest& request) {
    try {
        chain.logon(request);
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_DEFECTIVE_CREDENTIAL);
        return static_cast<Minor>(e.minor());
    }
    FAIL("the logon was accepted");
    return Minor::none;
}

}  // namespace

TEST_CASE("the first backend that knows the user decides", "[logon][des]") {
    const TempUsers bob_only("EXAMPLE:bob:Bob-pw\n");
    const TempUsers alice("EXAMPLE:alice:Alice-pw\n");
    const TempUsers other_alice("EXAMPLE:alice:another-pw\n");

    const V1Logon good("alice", "Alice-pw");
    const LogonChain chain({file_backend(bob_only), file_backend(alice)});
    const LogonResult result = chain.logon(good.request());
    CHECK(result.initiator.display() == "EXAMPLE\\alice");
    CHECK(to_hex(result.session_base_key) == to_hex(good.responses.session_base_key));

    // A backend that knows alice with another password refuses; the next
    // one is not asked.
    const LogonChain shadowed({file_backend(other_alice), file_backend(alice)});
    CHECK(refused_with(shadowed, good.request()) == Minor::wrong_password);

    const V1Logon stranger("carol", "Carol-pw");
    CHECK(refused_with(chain, stranger.request()) == Minor::unknown_user);
}

TEST_CASE("a user-file entry without a domain authenticates in the acceptor's domain", "[logon]") {
    const TempUsers users(":carol:Carol-pw\nOTHERDOMAIN:root:Root-pw\nExample:alice:Alice-pw\n");
    const LogonChain chain({file_backend(users)});
    // Whatever domain the client sends (and hashes), carol is ACCEPTOR\carol.
    for (const std::string sent : {"EVIL", "", "ACCEPTOR", "acceptor"}) {
        INFO("client domain \"" << sent << "\"");
        const V2Logon carol(sent, "carol", "Carol-pw");
        CHECK(chain.logon(carol.request("ACCEPTOR")).initiator.display() == "ACCEPTOR\\carol");
    }
    // The response is checked with the domain the client hashed: one made
    // for another domain than the one sent does not verify.
    V2Logon forged("EVIL", "carol", "Carol-pw");
    forged.domain = "ACCEPTOR";
    CHECK(refused_with(chain, forged.request("ACCEPTOR")) == Minor::wrong_password);

    // An entry's own domain is kept, as the file spells it.
    const V2Logon root("OTHERDOMAIN", "root", "Root-pw");
    CHECK(chain.logon(root.request("ACCEPTOR")).initiator.display() == "OTHERDOMAIN\\root");
    const V2Logon alice("EXAMPLE", "alice", "Alice-pw");
    CHECK(chain.logon(alice.request("ACCEPTOR")).initiator.display() == "Example\\alice");
    // A client that sends no domain gets the entry's.
    const V2Logon bare_root("", "root", "Root-pw");
    CHECK(chain.logon(bare_root.request("ACCEPTOR")).initiator.display() == "OTHERDOMAIN\\root");
}

TEST_CASE("the acceptor announces the options file's names or the domain backend's", "[logon]") {
    Config cfg;
    cfg.netbios_domain = "FILEDOM";
    cfg.dns_domain = "file.example.test";
    cfg.netbios_computer = "HOST";
    const DomainNames backend{"ADEX", "adex.example.test", "MEMBER"};
    const DomainNames plain = announced_domain_names(cfg, std::nullopt);
    CHECK(plain.netbios_domain == "FILEDOM");
    CHECK(plain.dns_domain == "file.example.test");
    CHECK(plain.netbios_computer == "HOST");
    const DomainNames from_domain = announced_domain_names(cfg, backend);
    CHECK(from_domain.netbios_domain == "ADEX");
    CHECK(from_domain.dns_domain == "adex.example.test");
    CHECK(from_domain.netbios_computer == "MEMBER");
    CHECK(announced_domain_names(cfg, DomainNames{"ADEX", "", ""}).netbios_computer == "HOST");
    cfg.domain_names_set = true;
    CHECK(announced_domain_names(cfg, backend).netbios_domain == "FILEDOM");
}

TEST_CASE("a user file entry without an LM hash gives no LM key", "[logon][des]") {
    // smbpasswd with the LM hash field unset, a password too long to have an
    // LM hash, and a user with one.
    const TempUsers users("nolm:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:" + to_hex(nt_owf_v1("NoLm-pw")) +
                          ":[U          ]:LCT-5F5E1000:\n"
                          "EXAMPLE:long:a-password-of-twenty\n"
                          "EXAMPLE:alice:Alice-pw\n");
    const auto backend = file_backend(users);

    const auto nolm = backend->logon(V1Logon("nolm", "NoLm-pw").request());
    REQUIRE(nolm.has_value());
    CHECK_FALSE(nolm->lm_owf.has_value());

    const auto long_password = backend->logon(V1Logon("long", "a-password-of-twenty").request());
    REQUIRE(long_password.has_value());
    CHECK_FALSE(long_password->lm_owf.has_value());

    const auto alice = backend->logon(V1Logon("alice", "Alice-pw").request());
    REQUIRE(alice.has_value());
    REQUIRE(alice->lm_owf.has_value());
    CHECK(to_hex(*alice->lm_owf) == to_hex(lm_owf_v1("Alice-pw")));
}

TEST_CASE("the configured backends make the chain", "[logon]") {
    const TempUsers users("EXAMPLE:alice:Alice-pw\n");
    Config cfg;
    cfg.fill_host_defaults();
    try {
        LogonChain::from_config(nullptr, cfg);
        FAIL("a file backend without a user file was accepted");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_NO_CRED);
        CHECK(e.minor() == minor_value(Minor::user_file_not_set));
    }
    const auto db = std::make_shared<UserDatabase>(users.path);
    CHECK(LogonChain::from_config(db, cfg)->backends().size() == 1);

    // winbind works without a user file when libwbclient is there.
    cfg.ntlm_backends = {Config::NtlmBackend::file, Config::NtlmBackend::winbind};
    void* wbclient = dlopen("libwbclient.so.0", RTLD_NOW | RTLD_LOCAL);
    if (wbclient != nullptr) {
        const auto chain = LogonChain::from_config(nullptr, cfg);
        REQUIRE(chain->backends().size() == 1);
        CHECK(chain->backends()[0]->name() == "winbind");
        const auto both = LogonChain::from_config(db, cfg);
        REQUIRE(both->backends().size() == 2);
        CHECK(both->backends()[0]->name() == "file");
        CHECK(both->backends()[1]->name() == "winbind");
        dlclose(wbclient);
    } else {
        try {
            LogonChain::from_config(nullptr, cfg);
            FAIL("a winbind backend without libwbclient was accepted");
        } catch (const GssError& e) {
            CHECK(e.major() == GSS_S_NO_CRED);
            CHECK(e.minor() == minor_value(Minor::winbind_library_missing));
        }
    }
}

TEST_CASE("the winbind backend's NTLMv1 challenge under ESS (MS-NLMP 4.2.3)", "[logon][des]") {
    // A domain controller checks the NTLM2 session response as a plain
    // NTLMv1 response to MD5(ServerChallenge || ClientChallenge)[0..7]: the
    // MS-NLMP example's NT response is DESL(NTOWF, that challenge).
    const auto& v = test::ms_nlmp();
    const Bytes lm_response = v.hex("ess_lm_response");
    const Challenge8 session = ess_session_challenge(challenge_of("server_challenge"), lm_response);
    const Bytes nt = v.hex("v1_ntowf");
    const Key16 ntowf(std::span<const uint8_t, 16>(nt.data(), 16));
    CHECK(to_hex(desl(ntowf, session)) == to_hex(v.hex("ess_nt_response")));
    CHECK(to_hex(desl(ntowf, challenge_of("server_challenge"))) != to_hex(v.hex("ess_nt_response")));
}

TEST_CASE("NT statuses from the domain read as their own errors", "[logon]") {
    struct Row {
        uint32_t status;
        OM_uint32 major;
        Minor minor;
        const char* name;
    };
    const Row rows[] = {
        {0xC000006A, GSS_S_DEFECTIVE_CREDENTIAL, Minor::wrong_password, "NT_STATUS_WRONG_PASSWORD"},
        {0xC000006D, GSS_S_DEFECTIVE_CREDENTIAL, Minor::wrong_password, "NT_STATUS_LOGON_FAILURE"},
        {0xC0000064, GSS_S_DEFECTIVE_CREDENTIAL, Minor::unknown_user, "NT_STATUS_NO_SUCH_USER"},
        {0xC0000072, GSS_S_DEFECTIVE_CREDENTIAL, Minor::domain_account_disabled, "NT_STATUS_ACCOUNT_DISABLED"},
        {0xC0000234, GSS_S_DEFECTIVE_CREDENTIAL, Minor::domain_account_locked, "NT_STATUS_ACCOUNT_LOCKED_OUT"},
        {0xC0000193, GSS_S_DEFECTIVE_CREDENTIAL, Minor::domain_account_expired, "NT_STATUS_ACCOUNT_EXPIRED"},
        {0xC000006F, GSS_S_DEFECTIVE_CREDENTIAL, Minor::domain_account_restricted, "NT_STATUS_INVALID_LOGON_HOURS"},
        {0xC0000071, GSS_S_CREDENTIALS_EXPIRED, Minor::domain_password_expired, "NT_STATUS_PASSWORD_EXPIRED"},
        {0xC0000224, GSS_S_CREDENTIALS_EXPIRED, Minor::domain_password_must_change, "NT_STATUS_PASSWORD_MUST_CHANGE"},
        {0xC000005E, GSS_S_FAILURE, Minor::domain_controller_unreachable, "NT_STATUS_NO_LOGON_SERVERS"},
        {0xC0000233, GSS_S_FAILURE, Minor::domain_controller_unreachable, "NT_STATUS_DOMAIN_CONTROLLER_NOT_FOUND"},
        {0xC0000418, GSS_S_FAILURE, Minor::domain_logon_error, "NT status 0xc0000418"},
    };
    std::set<Minor> account_states;
    for (const Row& row : rows) {
        INFO(row.name);
        const DomainRefusal r = domain_refusal(row.status);
        CHECK(r.major == row.major);
        CHECK(r.minor == row.minor);
        CHECK(r.unknown_user == (row.minor == Minor::unknown_user));
        CHECK(nt_status_name(row.status) == row.name);
        CHECK(minor_text(minor_value(row.minor)) != nullptr);
        if (row.major != GSS_S_FAILURE) account_states.insert(row.minor);
    }
    // Wrong password, unknown user, disabled, locked, expired, restricted,
    // password expired, password must change: each its own code.
    CHECK(account_states.size() == 8);
}

TEST_CASE("a domain identity gives the documented name attributes", "[logon][names]") {
    Name name = Name::from_parts("ADEX", "alice");
    CHECK(name.attributes().empty());
    auto identity = std::make_shared<DomainIdentity>();
    identity->account = "alice";
    identity->domain = "ADEX";
    identity->logon_server = "DC1";
    identity->user_sid = "S-1-5-21-1-2-3-1102";
    identity->group_sids = {"S-1-5-21-1-2-3-513", "S-1-5-32-545"};
    name.set_identity(identity);
    const Name copy = name;  // copies share the identity

    std::map<std::string, std::vector<std::string>> got;
    for (const NameAttribute& a : copy.attributes()) got[std::string(a.name)] = a.values;
    const std::map<std::string, std::vector<std::string>> expected{
        {"urn:gss-negotiate:user-sid", {"S-1-5-21-1-2-3-1102"}},
        {"urn:gss-negotiate:group-sids", {"S-1-5-21-1-2-3-513", "S-1-5-32-545"}},
        {"urn:gss-negotiate:sids", {"S-1-5-21-1-2-3-1102", "S-1-5-21-1-2-3-513", "S-1-5-32-545"}},
        {"urn:gss-negotiate:account", {"ADEX\\alice"}},
        {"urn:gss-negotiate:logon-server", {"DC1"}},
        {"urn:gssntlmssp:sids", {"S-1-5-21-1-2-3-1102,S-1-5-21-1-2-3-513,S-1-5-32-545"}},
    };
    CHECK(got == expected);
}
