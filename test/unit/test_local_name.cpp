// Local accounts for NTLM names (ntlm/local_name.h): which names map, by
// local_name_map rule or local domain, and which map to nothing.
#include "ntlm/local_name.h"

#include <catch2/catch.hpp>

#include <set>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

// A host whose accounts are root, alice, robert and "Mixed"; winbindd, when
// asked, reports the domain ADEX / adex.example.test.
struct FakeSystem {
    std::set<std::string> accounts{"root", "alice", "robert", "Mixed"};
    std::optional<DomainNames> winbind = DomainNames{"ADEX", "adex.example.test", "MEMBER"};
    int winbind_asked = 0;

    LocalSystem system() {
        return {[this](const std::string& a) { return accounts.count(a) != 0; },
                [this] {
                    ++winbind_asked;
                    return winbind;
                }};
    }
};

// The acceptor announces CORP / corp.example.test.
Config corp_config(std::string_view extra = {}) {
    Config cfg;
    cfg.apply_file_text("netbios_domain = CORP\ndns_domain = corp.example.test\n" + std::string(extra));
    return cfg;
}

std::optional<std::string> map(const std::string& name, const Config& cfg, FakeSystem& host,
                               std::string* why = nullptr) {
    return local_account(Name::user(name), cfg, host.system(), why);
}

}  // namespace

TEST_CASE("users of the announced domain map, by NetBIOS or DNS name, in any case", "[local_name]") {
    FakeSystem host;
    const Config cfg = corp_config();
    CHECK(map("CORP\\root", cfg, host) == "root");
    CHECK(map("corp\\alice", cfg, host) == "alice");
    CHECK(map("root@corp.example.test", cfg, host) == "root");
    CHECK(map("alice@CORP.Example.Test", cfg, host) == "alice");
    CHECK(map("CORP.EXAMPLE.TEST\\alice", cfg, host) == "alice");
    // The user part as given, else in lower case.
    CHECK(map("CORP\\ROOT", cfg, host) == "root");
    CHECK(map("CORP\\Mixed", cfg, host) == "Mixed");
    // Without winbind among the backends winbindd is never asked.
    CHECK(host.winbind_asked == 0);
}

TEST_CASE("users of any other domain map to nothing", "[local_name]") {
    FakeSystem host;
    const Config cfg = corp_config();
    std::string why;
    CHECK(map("OTHERDOMAIN\\root", cfg, host, &why) == std::nullopt);
    CHECK(why == "OTHERDOMAIN\\root: OTHERDOMAIN is not a local domain (CORP, corp.example.test) and no "
                 "local_name_map rule names it");
    CHECK(map("root@other.example.test", cfg, host) == std::nullopt);
    CHECK(map("root@example.test", cfg, host) == std::nullopt);
    CHECK(map("CORPX\\root", cfg, host) == std::nullopt);
    // A name without a domain is in no domain.
    CHECK(map("root", cfg, host, &why) == std::nullopt);
    CHECK(why == "root names no domain");
    // A local user without a local account.
    CHECK(map("CORP\\carol", cfg, host, &why) == std::nullopt);
    CHECK(why == "CORP\\carol: no local account carol");
    // Services and the anonymous name are not users.
    CHECK(local_account(Name::hostbased("HTTP@host"), cfg, host.system(), &why) == std::nullopt);
    CHECK(why == "HTTP@host is not a user name");
    CHECK(local_account(Name::anonymous(), cfg, host.system(), nullptr) == std::nullopt);
}

TEST_CASE("local_domains replaces the announced domains", "[local_name]") {
    FakeSystem host;
    const Config cfg = corp_config("local_domains = HQ, hq.example.test\nntlm_backends = file winbind\n");
    CHECK(map("HQ\\root", cfg, host) == "root");
    CHECK(map("hq\\root", cfg, host) == "root");
    CHECK(map("root@HQ.example.test", cfg, host) == "root");
    CHECK(map("CORP\\root", cfg, host) == std::nullopt);
    CHECK(map("root@corp.example.test", cfg, host) == std::nullopt);
    CHECK(local_domains(cfg, host.system()) == std::vector<std::string>{"HQ", "hq.example.test"});
    // winbind's domain is not added, and winbindd never asked.
    CHECK(map("ADEX\\root", cfg, host) == std::nullopt);
    CHECK(host.winbind_asked == 0);
}

TEST_CASE("with winbind, the domain's names and winbind's own are local", "[local_name]") {
    FakeSystem host;
    Config cfg;
    cfg.ntlm_backends = {Config::NtlmBackend::file, Config::NtlmBackend::winbind};
    // The CHALLENGE announces winbind's names, so WORKGROUP is not local.
    CHECK(local_domains(cfg, host.system()) == std::vector<std::string>{"ADEX", "adex.example.test"});
    CHECK(host.winbind_asked == 1);
    CHECK(map("ADEX\\alice", cfg, host) == "alice");
    CHECK(map("alice@adex.example.test", cfg, host) == "alice");
    CHECK(map("WORKGROUP\\alice", cfg, host) == std::nullopt);

    // The file names the domain: it is announced, and winbind's stays local.
    const Config named = corp_config("ntlm_backends = winbind\n");
    CHECK(local_domains(named, host.system()) ==
          std::vector<std::string>{"CORP", "corp.example.test", "ADEX", "adex.example.test"});
    CHECK(map("CORP\\alice", named, host) == "alice");
    CHECK(map("ADEX\\alice", named, host) == "alice");

    // winbindd not answering: the options file's names only.
    host.winbind.reset();
    CHECK(local_domains(cfg, host.system()) == std::vector<std::string>{"WORKGROUP"});
    CHECK(map("ADEX\\alice", cfg, host) == std::nullopt);
}

TEST_CASE("local_name_map rules: *, explicit users and accounts, in order", "[local_name]") {
    FakeSystem host;
    const Config cfg = corp_config(
        "local_name_map = PARTNER\\bob robert\n"
        "local_name_map = PARTNER\\* *\n"
        "local_name_map = PARTNER\\alice robert\n"
        "local_name_map = admin@partner.example.test root\n"
        "local_name_map = CORP\\alice robert\n"
        "local_name_map = VENDOR\\carol *\n"
        "local_name_map = VENDOR\\dave nobody-here\n");
    // An explicit user with its account.
    CHECK(map("PARTNER\\bob", cfg, host) == "robert");
    CHECK(map("partner\\BOB", cfg, host) == "robert");
    // "*": any user, to the same name.
    CHECK(map("PARTNER\\root", cfg, host) == "root");
    CHECK(map("PARTNER\\ROOT", cfg, host) == "root");
    // The first matching rule decides: PARTNER\* comes before PARTNER\alice.
    CHECK(map("PARTNER\\alice", cfg, host) == "alice");
    // A rule written with a DNS domain matches the user@dns.domain form,
    // and a rule decides before the local-domain rule.
    CHECK(map("admin@partner.example.test", cfg, host) == "root");
    CHECK(map("PARTNER.EXAMPLE.TEST\\admin", cfg, host) == "root");
    CHECK(map("CORP\\alice", cfg, host) == "robert");
    CHECK(map("CORP\\root", cfg, host) == "root");

    std::string why;
    // Names and rules compare by their text: "partner" is PARTNER, so
    // PARTNER\* decides, and there is no local account admin.
    CHECK(map("admin@partner", cfg, host, &why) == std::nullopt);
    CHECK(why == "partner\\admin (local_name_map PARTNER\\* *): no local account admin");
    // A rule for one user covers no other: VENDOR\root is refused.
    CHECK(map("VENDOR\\carol", cfg, host, &why) == std::nullopt);
    CHECK(why == "VENDOR\\carol (local_name_map VENDOR\\carol *): no local account carol");
    CHECK(map("VENDOR\\root", cfg, host, &why) == std::nullopt);
    CHECK(why.find("VENDOR is not a local domain") != std::string::npos);
    // A rule's account that does not exist: refused, no later rule asked.
    CHECK(map("VENDOR\\dave", cfg, host, &why) == std::nullopt);
    CHECK(why == "VENDOR\\dave (local_name_map VENDOR\\dave nobody-here): no local account nobody-here");
    // Rule accounts are taken as written, never lower-cased.
    const Config exact = corp_config("local_name_map = PARTNER\\bob ROBERT\n");
    CHECK(map("PARTNER\\bob", exact, host) == std::nullopt);
}
