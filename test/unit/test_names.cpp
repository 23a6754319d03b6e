#include "ntlm/name.h"
#include "util/errors.h"

#include <catch2/catch.hpp>

using gssneg::GssError;
using gssneg::ntlm::Name;
using gssneg::ntlm::NameKind;

TEST_CASE("user names parse in the three forms", "[names]") {
    const Name plain = Name::user("alice");
    CHECK(plain.user_name() == "alice");
    CHECK(plain.domain().empty());
    CHECK(plain.display() == "alice");

    const Name nt = Name::user("EXAMPLE\\alice");
    CHECK(nt.domain() == "EXAMPLE");
    CHECK(nt.user_name() == "alice");
    CHECK(nt.display() == "EXAMPLE\\alice");

    const Name upn = Name::user("alice@example.com");
    CHECK(upn.user_name() == "alice");
    CHECK(upn.domain() == "example.com");
    CHECK(upn.display() == "example.com\\alice");
}

TEST_CASE("empty user names are refused", "[names]") {
    CHECK_THROWS_AS(Name::user(""), GssError);
    CHECK_THROWS_AS(Name::user("DOMAIN\\"), GssError);
    try {
        Name::user("@realm");
        FAIL("no exception");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_BAD_NAME);
        CHECK(e.minor() == gssneg::minor_value(gssneg::Minor::bad_name));
    }
}

TEST_CASE("host-based names give the SPN", "[names]") {
    const Name http = Name::hostbased("HTTP@www.example.com");
    CHECK(http.kind() == NameKind::hostbased_service);
    CHECK(http.service() == "HTTP");
    CHECK(http.host() == "www.example.com");
    CHECK(http.spn() == "HTTP/www.example.com");
    CHECK(http.display() == "HTTP@www.example.com");
    CHECK(Name::hostbased("host").spn() == "host");
}

TEST_CASE("name comparison", "[names]") {
    CHECK(Name::user("DOM\\Alice").matches(Name::user("dom\\ALICE")));
    CHECK(Name::user("alice").matches(Name::user("DOM\\alice")));
    CHECK_FALSE(Name::user("DOM\\alice").matches(Name::user("OTHER\\alice")));
    CHECK_FALSE(Name::user("alice").matches(Name::user("bob")));
    CHECK(Name::user("\xc3\xa4lice").matches(Name::user("\xc3\x84LICE")));
    CHECK(Name::hostbased("HTTP@Host.Example").matches(Name::hostbased("HTTP@host.example")));
    CHECK_FALSE(Name::hostbased("HTTP@host").matches(Name::hostbased("http@host")));
    CHECK_FALSE(Name::user("host").matches(Name::hostbased("host")));
    CHECK(Name::anonymous().matches(Name::anonymous()));
    CHECK(Name::anonymous().display() == "NT AUTHORITY\\ANONYMOUS LOGON");
}
