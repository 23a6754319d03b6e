// The three legs between the core initiator and acceptor, in process.

#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "ntlm/client.h"
#include "ntlm/flags.h"
#include "ntlm/issued_challenges.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/server.h"
#include "util/errors.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

struct TempUserFile {
    explicit TempUserFile(const std::string& contents) {
        char tmpl[] = "/tmp/gssneg-users-XXXXXX";
        const int fd = mkstemp(tmpl);
        REQUIRE(fd >= 0);
        close(fd);
        path = tmpl;
        std::ofstream(path) << contents;
    }
    ~TempUserFile() { std::remove(path.c_str()); }
    std::string path;
};

struct Fixture {
    Fixture() : users("EXAMPLE:alice:Secret-1\nEXAMPLE:bob:hunter2\n") {
        config.user_file = users.path;
        config.fill_host_defaults();
    }

    std::shared_ptr<const Credential> client_cred(const std::string& who, std::optional<std::string> password = {}) {
        CredStoreOptions store;
        if (password) store.password = SecureString(password->c_str());
        const Name name = Name::user(who);
        return Credential::acquire(&name, CredUsage::initiate, store, config);
    }
    std::shared_ptr<const Credential> server_cred() {
        return Credential::acquire(nullptr, CredUsage::accept, {}, config);
    }
    ServerParams server_params() {
        ServerParams p;
        p.config = std::make_shared<Config>(config);
        return p;
    }

    TempUserFile users;
    Config config;
};

// Initiator and acceptor share this process: the initiator aims at a
// service of this host, else it takes the acceptor's CHALLENGE for a
// reflected one.
ClientParams local(ClientParams p = {}) {
    if (!p.target) p.target = Name::hostbased("host@localhost");
    return p;
}

struct Legs {
    Bytes negotiate, challenge, authenticate;
};

Legs first_two(NtlmClient& c, NtlmServer& s) {
    Legs l;
    l.negotiate = c.step({});
    l.challenge = s.step(l.negotiate);
    l.authenticate = c.step(l.challenge);
    return l;
}

void require_failure(NtlmServer& s, ByteView token, OM_uint32 major, Minor minor) {
    try {
        s.step(token);
        FAIL("the acceptor accepted");
    } catch (const GssError& e) {
        CHECK(e.major() == major);
        CHECK(e.minor() == minor_value(minor));
    }
}

}  // namespace

TEST_CASE("NTLMv2 handshake with MIC, keys agree", "[handshake]") {
    Fixture f;
    ClientParams cp;
    cp.gss_req_flags = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    cp.target = Name::hostbased("HTTP@localhost");
    NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
    NtlmServer s(f.server_cred(), f.server_params());
    const Legs l = first_two(c, s);
    CHECK(s.step(l.authenticate).empty());
    REQUIRE(c.complete());
    REQUIRE(s.complete());
    CHECK(c.session().response == ResponseKind::ntlmv2);
    CHECK(s.session().response == ResponseKind::ntlmv2);
    CHECK(c.session().mic_present);
    CHECK(s.session().mic_present);
    CHECK(c.session().flags == s.session().flags);
    CHECK((s.session().flags & flag::seal) != 0);
    CHECK((s.session().flags & flag::key_exch) != 0);
    CHECK(std::equal(c.session().exported_session_key.view().begin(), c.session().exported_session_key.view().end(),
                     s.session().exported_session_key.view().begin()));
    CHECK(s.session().initiator->display() == "EXAMPLE\\alice");
}

TEST_CASE("passwords given directly and user names without domain", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("bob", "hunter2"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    const Legs l = first_two(c, s);
    s.step(l.authenticate);
    CHECK(s.complete());
    CHECK(s.session().initiator->user_name() == "bob");
    CHECK(s.session().initiator->domain() == "EXAMPLE");
}

TEST_CASE("a user-file entry without a domain authenticates in the announced domain", "[handshake]") {
    Fixture f;
    const TempUserFile users(":carol:Carol-pw\n");
    f.config.user_file = users.path;
    f.config.netbios_domain = "ACCEPTOR";
    for (const char* who : {"EVIL\\carol", "carol", "acceptor\\carol"}) {
        INFO(who);
        NtlmClient c(f.client_cred(who, "Carol-pw"), local());
        NtlmServer s(f.server_cred(), f.server_params());
        const Legs l = first_two(c, s);
        s.step(l.authenticate);
        REQUIRE(s.complete());
        CHECK(s.session().initiator->display() == "ACCEPTOR\\carol");
    }
}

TEST_CASE("a wrong password fails with DEFECTIVE_CREDENTIAL", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("EXAMPLE\\alice", "not-the-password"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    const Legs l = first_two(c, s);
    require_failure(s, l.authenticate, GSS_S_DEFECTIVE_CREDENTIAL, Minor::wrong_password);
}

TEST_CASE("an unknown user fails with DEFECTIVE_CREDENTIAL", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("EXAMPLE\\mallory", "whatever"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    const Legs l = first_two(c, s);
    require_failure(s, l.authenticate, GSS_S_DEFECTIVE_CREDENTIAL, Minor::unknown_user);
}

TEST_CASE("a zeroed MIC fails with BAD_MIC", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("EXAMPLE\\alice"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    Legs l = first_two(c, s);
    std::fill_n(l.authenticate.begin() + AuthenticateMessage::mic_offset, 16, 0);
    require_failure(s, l.authenticate, GSS_S_BAD_MIC, Minor::mic_mismatch);
}

TEST_CASE("a tampered NT response fails", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("EXAMPLE\\alice"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    Legs l = first_two(c, s);
    const AuthenticateMessage parsed(l.authenticate);
    // The NTProofStr sits at the NtChallengeResponse offset (bytes 24..27).
    const uint32_t nt_offset = l.authenticate[24] | (l.authenticate[25] << 8);
    l.authenticate[nt_offset + 3] ^= 0x01;
    require_failure(s, l.authenticate, GSS_S_DEFECTIVE_CREDENTIAL, Minor::wrong_password);
}

TEST_CASE("channel bindings", "[handshake]") {
    Fixture f;
    const std::array<uint8_t, 16> cb1{1, 2, 3};
    const std::array<uint8_t, 16> cb2{4, 5, 6};

    SECTION("equal bindings pass") {
        ClientParams cp;
        cp.channel_bindings = cb1;
        ServerParams sp = f.server_params();
        sp.channel_bindings = cb1;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), sp);
        s.step(first_two(c, s).authenticate);
        CHECK(s.complete());
    }
    SECTION("different bindings fail with BAD_BINDINGS") {
        ClientParams cp;
        cp.channel_bindings = cb1;
        ServerParams sp = f.server_params();
        sp.channel_bindings = cb2;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), sp);
        require_failure(s, first_two(c, s).authenticate, GSS_S_BAD_BINDINGS, Minor::channel_bindings_mismatch);
    }
    SECTION("equal bindings make the acceptor's context channel-bound") {
        ClientParams cp;
        cp.channel_bindings = cb1;
        ServerParams sp = f.server_params();
        sp.channel_bindings = cb1;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), sp);
        s.step(first_two(c, s).authenticate);
        CHECK(s.session().channel_bound);
    }
    SECTION("an initiator without bindings (Z(16)) is accepted, unbound, by default") {
        ServerParams sp = f.server_params();
        sp.channel_bindings = cb2;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local());
        NtlmServer s(f.server_cred(), sp);
        s.step(first_two(c, s).authenticate);
        CHECK(s.complete());
        CHECK_FALSE(s.session().channel_bound);
    }
    SECTION("channel_bindings = required refuses an initiator without bindings") {
        f.config.channel_bindings = Config::ChannelBindings::required;
        ServerParams sp = f.server_params();
        sp.channel_bindings = cb2;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local());
        NtlmServer s(f.server_cred(), sp);
        require_failure(s, first_two(c, s).authenticate, GSS_S_BAD_BINDINGS, Minor::channel_bindings_missing);
    }
    SECTION("channel_bindings = required refuses when the acceptor has no bindings to check") {
        f.config.channel_bindings = Config::ChannelBindings::required;
        ClientParams cp;
        cp.channel_bindings = cb1;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), f.server_params());
        require_failure(s, first_two(c, s).authenticate, GSS_S_BAD_BINDINGS, Minor::channel_bindings_missing);
    }
    SECTION("an acceptor without bindings ignores the initiator's and is not channel-bound") {
        ClientParams cp;
        cp.channel_bindings = cb1;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), f.server_params());
        s.step(first_two(c, s).authenticate);
        CHECK(s.complete());
        CHECK_FALSE(s.session().channel_bound);
    }
}

TEST_CASE("LM_COMPAT_LEVEL decides NTLMv1", "[handshake]") {
    Fixture f;
    ClientParams cp;
    cp.lm_compat_level = 2;

    SECTION("a level-3 acceptor accepts NTLMv1 with extended session security") {
        f.config.lm_compat_level = 3;
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), f.server_params());
        s.step(first_two(c, s).authenticate);
        CHECK(s.session().response == ResponseKind::ntlmv1_ess);
        CHECK(c.session().response == ResponseKind::ntlmv1_ess);
        CHECK_FALSE(s.session().mic_present);
        CHECK(std::equal(c.session().exported_session_key.view().begin(),
                         c.session().exported_session_key.view().end(),
                         s.session().exported_session_key.view().begin()));
    }
    SECTION("a default acceptor (level 5) refuses NTLMv1") {
        CHECK(f.config.lm_compat_level == 5);
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), local(cp));
        NtlmServer s(f.server_cred(), f.server_params());
        require_failure(s, first_two(c, s).authenticate, GSS_S_DEFECTIVE_CREDENTIAL, Minor::ntlmv1_not_allowed);
    }
}

namespace {

// An NTLMv1 initiator without extended session security that asks for
// LM_KEY (this module's initiator never does): NEGOTIATE, then an
// AUTHENTICATE for the acceptor's CHALLENGE. The LM response is the NT
// response when the password has no LM hash (MS-NLMP 3.3.1).
struct LmKeyInitiator {
    static constexpr uint32_t offered = flag::unicode | flag::ntlm | flag::request_target | flag::sign |
                                        flag::always_sign | flag::lm_key;

    LmKeyInitiator(std::string who, std::string pw) : user(std::move(who)), password(std::move(pw)) {}

    Bytes negotiate() const { return NegotiateMessage(offered, {}, {}, Version{}).serialize(); }

    Bytes authenticate(ByteView challenge_token) {
        const ChallengeMessage challenge(challenge_token);
        flags = challenge.flags() & offered;
        server_challenge = challenge.server_challenge();
        const std::optional<Key16> lm_hash =
            lm_owf_possible(password) ? std::optional<Key16>(lm_owf_v1(password)) : std::nullopt;
        responses = compute_ntlmv1(flags, nt_owf_v1(password), lm_hash, server_challenge, {});
        AuthenticateFields fields;
        fields.flags = flags;
        fields.lm_response = responses.lm_response;
        fields.nt_response = responses.nt_response;
        fields.domain = "EXAMPLE";
        fields.user = user;
        fields.workstation = "WS";
        fields.version = Version{};
        return AuthenticateMessage(std::move(fields)).serialize();
    }

    std::string user;
    std::string password;
    uint32_t flags = 0;
    Challenge8 server_challenge{};
    ResponsesV1 responses;
};

}  // namespace

TEST_CASE("NTLMv1 with LM_KEY needs the user's LM hash", "[handshake][des]") {
    // MS-NLMP 3.4.5.1: with LM_KEY the key exchange key is made from the LM
    // hash; a user whose entry has none cannot be keyed from zeros.
    const TempUserFile users("EXAMPLE\\nolm:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:" +
                             to_hex(nt_owf_v1("NoLm-pw-1")) + ":[U          ]:LCT-5F5E1000:\n"
                             "EXAMPLE:long:a-password-of-twenty\n"
                             "EXAMPLE:alice:Secret-1\n");
    Config config;
    config.user_file = users.path;
    config.lm_compat_level = 2;  // an acceptor that still takes NTLMv1
    config.fill_host_defaults();
    const auto cred = Credential::acquire(nullptr, CredUsage::accept, {}, config);
    ServerParams params;
    params.config = std::make_shared<Config>(config);

    SECTION("a user with an LM hash is keyed from it") {
        LmKeyInitiator c("alice", "Secret-1");
        NtlmServer s(cred, params);
        const Bytes challenge = s.step(c.negotiate());
        s.step(c.authenticate(challenge));
        REQUIRE((c.flags & flag::lm_key) != 0);
        CHECK(s.session().response == ResponseKind::ntlmv1);
        const Key16 expected = kxkey(c.flags, false, c.responses.session_base_key, lm_owf_v1("Secret-1"),
                                     c.responses.lm_response, c.server_challenge);
        CHECK(to_hex(s.session().exported_session_key) == to_hex(expected));
    }
    for (const auto& [user, password] : {std::pair<std::string, std::string>{"nolm", "NoLm-pw-1"},
                                         std::pair<std::string, std::string>{"long", "a-password-of-twenty"}}) {
        DYNAMIC_SECTION("no LM hash for " << user) {
            LmKeyInitiator c(user, password);
            NtlmServer s(cred, params);
            const Bytes challenge = s.step(c.negotiate());
            const Bytes authenticate = c.authenticate(challenge);
            REQUIRE((c.flags & flag::lm_key) != 0);
            require_failure(s, authenticate, GSS_S_FAILURE, Minor::lm_key_unavailable);
        }
    }
}

TEST_CASE("anonymous logons need allow_anonymous", "[handshake]") {
    Fixture f;
    const Name anon = Name::anonymous();
    auto cred = Credential::acquire(&anon, CredUsage::initiate, {}, f.config);
    SECTION("refused by default") {
        NtlmClient c(cred, local());
        NtlmServer s(f.server_cred(), f.server_params());
        require_failure(s, first_two(c, s).authenticate, GSS_S_DEFECTIVE_CREDENTIAL, Minor::anonymous_not_allowed);
    }
    SECTION("accepted when allowed") {
        f.config.allow_anonymous = true;
        NtlmClient c(cred, local());
        NtlmServer s(f.server_cred(), f.server_params());
        s.step(first_two(c, s).authenticate);
        CHECK(s.session().response == ResponseKind::anonymous);
        CHECK(s.session().initiator->kind() == NameKind::anonymous);
    }
}

TEST_CASE("tokens at the wrong leg are refused", "[handshake]") {
    Fixture f;
    NtlmClient c(f.client_cred("EXAMPLE\\alice"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    const Bytes negotiate = c.step({});
    // The acceptor expects a NEGOTIATE first, the initiator a CHALLENGE.
    NtlmServer s2(f.server_cred(), f.server_params());
    const Bytes challenge = s2.step(negotiate);
    require_failure(s, challenge, GSS_S_DEFECTIVE_TOKEN, Minor::wrong_message_type);
    try {
        c.step(negotiate);
        FAIL("the initiator took a NEGOTIATE as CHALLENGE");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
        CHECK(e.minor() == minor_value(Minor::wrong_message_type));
    }
}

TEST_CASE("no credentials without a password or database entry", "[handshake]") {
    Config empty;
    const Name who = Name::user("WORKGROUP\\nobody");
    // The last resort, winbindd's cached credentials, says why it has
    // none (no winbindd runs here); turned off, it is not asked.
    for (const bool winbind : {true, false}) {
        empty.winbind_credentials = winbind;
        try {
            Credential::acquire(&who, CredUsage::initiate, {}, empty);
            FAIL("acquired");
        } catch (const GssError& e) {
            CHECK(e.major() == GSS_S_NO_CRED);
            CHECK(e.minor() == minor_value(Minor::no_credentials));
            const std::string text = e.what();
            INFO(text);
            CHECK(text.find("no password and no user database") != std::string::npos);
            CHECK((text.find("; winbindd") != std::string::npos) == winbind);
        }
    }
    try {
        Credential::acquire(nullptr, CredUsage::accept, {}, empty);
        FAIL("acquired");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_NO_CRED);
        CHECK(e.minor() == minor_value(Minor::user_file_not_set));
    }
}

TEST_CASE("a failed acceptor stays failed", "[handshake]") {
    Fixture f;
    NtlmClient bad(f.client_cred("EXAMPLE\\alice", "wrong"), local());
    NtlmServer s(f.server_cred(), f.server_params());
    const Bytes negotiate = bad.step({});
    const Bytes challenge = s.step(negotiate);
    require_failure(s, bad.step(challenge), GSS_S_DEFECTIVE_CREDENTIAL, Minor::wrong_password);
    // A correct AUTHENTICATE for the same challenge is no longer accepted.
    NtlmClient good(f.client_cred("EXAMPLE\\alice"), local());
    good.step({});
    require_failure(s, good.step(challenge), GSS_S_FAILURE, Minor::context_failed);
}

TEST_CASE("issued challenges: remembered until answered or expired", "[handshake][reflection]") {
    using Clock = IssuedChallenges::Clock;
    IssuedChallenges& issued = IssuedChallenges::process();
    const Challenge8 a{1, 2, 3, 4, 5, 6, 7, 8};
    const Challenge8 b{8, 7, 6, 5, 4, 3, 2, 1};
    std::optional<Name> service;
    CHECK_FALSE(issued.issued(a, service));
    issued.remember(a, Name::hostbased("HTTP@web.example"), Clock::now() + std::chrono::seconds(60));
    issued.remember(b, std::nullopt, Clock::now() - std::chrono::seconds(1));
    REQUIRE(issued.issued(a, service));
    REQUIRE(service);
    CHECK(service->display() == "HTTP@web.example");
    CHECK_FALSE(issued.issued(b, service));  // expired
    issued.forget(a);
    issued.forget(b);
    CHECK_FALSE(issued.issued(a, service));
}

TEST_CASE("issued challenges: entries of contexts never deleted are swept once expired", "[handshake][reflection]") {
    using Clock = IssuedChallenges::Clock;
    IssuedChallenges& issued = IssuedChallenges::process();
    const size_t before = issued.size_for_tests();
    for (uint32_t i = 0; i < 5000; ++i) {
        const Challenge8 c{0xee, 0xee, 0xee, 0xee, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16),
                           static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
        issued.remember(c, std::nullopt, Clock::now() - std::chrono::seconds(1));
    }
    // Each part sweeps when it has doubled: far fewer than 5000 remain.
    CHECK(issued.size_for_tests() < before + 5000 / 2);
}

TEST_CASE("issued challenges: which targets reach the acceptor that issued one", "[handshake][reflection]") {
    Config cfg;
    cfg.dns_computer = "server.corp.example";
    cfg.netbios_computer = "SERVER";
    const auto reaches = [&](const char* target, std::optional<Name> service) {
        return IssuedChallenges::reaches(Name::hostbased(target), service, cfg);
    };
    // An acceptor that takes any service: this host only.
    for (const char* local : {"host@localhost", "HTTP@LOCALHOST.", "host@127.0.0.1", "host@::1", "host",
                              "cifs@server.corp.example", "cifs@SERVER", "cifs@server"})
        CHECK(reaches(local, std::nullopt));
    for (const char* other : {"host@attacker.example", "host@server.corp.example.attacker", "host@localhost2"})
        CHECK_FALSE(reaches(other, std::nullopt));
    // A named acceptor: its own service and host.
    CHECK(reaches("HTTP@web.example", Name::hostbased("http@WEB.example")));
    CHECK_FALSE(reaches("HTTP@other.example", Name::hostbased("HTTP@web.example")));
    CHECK_FALSE(reaches("cifs@web.example", Name::hostbased("HTTP@web.example")));
    CHECK(reaches("HTTP@anything.example", Name::hostbased("HTTP")));
    // A user name is no target of a service.
    CHECK_FALSE(IssuedChallenges::reaches(Name::user("EXAMPLE\\alice"), std::nullopt, cfg));
}

TEST_CASE("a CHALLENGE of this process's acceptor reaches only an initiator aiming at it", "[handshake][reflection]") {
    Fixture f;
    SECTION("a target elsewhere: refused as reflected") {
        ClientParams cp;
        cp.target = Name::hostbased("host@attacker.example");
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), cp);
        NtlmServer s(f.server_cred(), f.server_params());
        const Bytes challenge = s.step(c.step({}));
        try {
            c.step(challenge);
            FAIL("the initiator answered a reflected CHALLENGE");
        } catch (const GssError& e) {
            CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(e.minor() == minor_value(Minor::server_challenge_reflected));
        }
    }
    SECTION("after the acceptor is gone, its challenge is no longer known") {
        ClientParams cp;
        cp.target = Name::hostbased("host@attacker.example");
        NtlmClient c(f.client_cred("EXAMPLE\\alice"), cp);
        Bytes challenge;
        {
            NtlmServer s(f.server_cred(), f.server_params());
            challenge = s.step(c.step({}));
        }
        CHECK_FALSE(c.step(challenge).empty());
    }
}
