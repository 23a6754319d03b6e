#include <catch2/catch.hpp>

#include "ntlm/ntlm_crypto.h"
#include "ntlm/user_database.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "vectors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using gssneg::GssError;
using gssneg::Minor;
using gssneg::minor_value;
using gssneg::to_hex;
using gssneg::ntlm::UserDatabase;
using gssneg::ntlm::UserEntry;

namespace {

class TempFile final {
public:
    explicit TempFile(const std::string& contents = {}) {
        char name[] = "/tmp/gssneg-userdb-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        m_path = name;
        write(contents);
    }
    ~TempFile() { std::remove(m_path.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    // In place: same inode, new size.
    void write(const std::string& contents) const {
        std::ofstream out(m_path, std::ios::binary | std::ios::trunc);
        out << contents;
    }
    // Atomically, as editors and provisioning tools do: a new inode.
    void replace(const std::string& contents) const {
        const std::string tmp = m_path + ".new";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << contents;
        }
        std::rename(tmp.c_str(), m_path.c_str());
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

std::string hex(const gssneg::Key16& k) { return to_hex(k); }

// The entry keeps no password, only its hashes: a line's password is
// recognised by its NT hash.
bool hashes_password(const UserEntry& e, std::string_view password) {
    return hex(e.nt_hash) == hex(gssneg::ntlm::nt_owf_v1(password));
}

const std::string nt_hash_a = "0123456789abcdef0123456789abcdef";
const std::string lm_hash_a = "fedcba9876543210fedcba9876543210";

}  // namespace

TEST_CASE("three-field lines keep domain and user, and hash the rest as the password", "[userdb]") {
    size_t skipped = 99;
    const auto entries = UserDatabase::parse(
        "EXAMPLE:alice:secret\n"
        ":bob:pa:ss:word\n"
        "CORP:carol:\n",
        &skipped);
    CHECK(skipped == 0);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].domain == "EXAMPLE");
    CHECK(entries[0].user == "alice");
    CHECK(hashes_password(entries[0], "secret"));
    CHECK_FALSE(entries[0].uid.has_value());
    CHECK(entries[1].domain.empty());
    CHECK(entries[1].user == "bob");
    CHECK(hashes_password(entries[1], "pa:ss:word"));
    CHECK(entries[2].user == "carol");
    CHECK(hashes_password(entries[2], ""));
}

TEST_CASE("comments, blank lines and CRLF endings", "[userdb]") {
    size_t skipped = 99;
    const auto entries = UserDatabase::parse(
        "# users\r\n"
        "\r\n"
        "   \t\n"
        "  # indented comment\n"
        "DOM:dave:pw1\r\n"
        "DOM:erin:pw2",
        &skipped);
    CHECK(skipped == 0);
    REQUIRE(entries.size() == 2);
    CHECK(hashes_password(entries[0], "pw1"));
    CHECK(entries[1].user == "erin");
    CHECK(hashes_password(entries[1], "pw2"));
}

TEST_CASE("malformed lines are skipped and counted", "[userdb]") {
    size_t skipped = 0;
    const auto entries = UserDatabase::parse(
        "no colon at all\n"
        "user:only-one-colon\n"
        "DOM::empty-user\n"
        "DOM:ok:fine\n"
        "bad\xff" "name:1000:" + lm_hash_a + ":" + nt_hash_a + ":[U ]:LCT-00000000:\n"
        "DOM:frank:bad\xc3password\n"
        "tom:99999999999:" + lm_hash_a + ":" + nt_hash_a + ":[U ]:\n"
        "gus:1000:nothex" + std::string(26, '0') + ":" + nt_hash_a + ":[U ]:\n",
        &skipped);
    CHECK(skipped == 7);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].user == "ok");
}

TEST_CASE("parse without a skip counter", "[userdb]") {
    CHECK(UserDatabase::parse("").empty());
    CHECK(UserDatabase::parse("junk\n").empty());
}

TEST_CASE("smbpasswd lines with and without DOMAIN\\", "[userdb]") {
    size_t skipped = 99;
    const auto entries = UserDatabase::parse(
        "alice:1000:" + lm_hash_a + ":" + nt_hash_a + ":[U          ]:LCT-5F5E1000:\n"
        "CORP\\bob:1001:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:0123456789ABCDEF0123456789ABCDEF:[U          ]:LCT-5F5E1000:\n"
        "carol:1002:NO PASSWORDXXXXXXXXXXXXXXXXXXXXX:" + nt_hash_a + ":[UX         ]:LCT-5F5E1000:\n"
        "A\\B\\dan:7:" + lm_hash_a + ":" + nt_hash_a + "\n",
        &skipped);
    CHECK(skipped == 0);
    REQUIRE(entries.size() == 4);

    CHECK(entries[0].domain.empty());
    CHECK(entries[0].user == "alice");
    CHECK(entries[0].uid == std::optional<uint32_t>(1000));
    CHECK(hex(entries[0].nt_hash) == nt_hash_a);
    REQUIRE(entries[0].lm_hash.has_value());
    CHECK(hex(*entries[0].lm_hash) == lm_hash_a);

    CHECK(entries[1].domain == "CORP");
    CHECK(entries[1].user == "bob");
    CHECK(entries[1].uid == std::optional<uint32_t>(1001));
    CHECK(hex(entries[1].nt_hash) == nt_hash_a);
    CHECK_FALSE(entries[1].lm_hash.has_value());

    CHECK(entries[2].user == "carol");
    CHECK_FALSE(entries[2].lm_hash.has_value());

    CHECK(entries[3].domain == "A");
    CHECK(entries[3].user == "B\\dan");
    CHECK(entries[3].uid == std::optional<uint32_t>(7));
}

TEST_CASE("smbpasswd entries without a usable NT hash or disabled are skipped", "[userdb]") {
    size_t skipped = 0;
    const auto entries = UserDatabase::parse(
        "nohash:1000:" + lm_hash_a + ":XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:[U          ]:LCT-0:\n"
        "nopass:1001:NO PASSWORDXXXXXXXXXXXXXXXXXXXXX:NO PASSWORDXXXXXXXXXXXXXXXXXXXXX:[NU         ]:LCT-0:\n"
        "off:1002:" + lm_hash_a + ":" + nt_hash_a + ":[DU         ]:LCT-0:\n"
        "off2:1003:" + lm_hash_a + ":" + nt_hash_a + ":[UD         ]:LCT-0:\n"
        "on:1004:" + lm_hash_a + ":" + nt_hash_a + ":[U          ]:LCT-0:\n",
        &skipped);
    CHECK(skipped == 4);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].user == "on");
}

TEST_CASE("a line that only looks partly like smbpasswd is the three-field form", "[userdb]") {
    const auto entries = UserDatabase::parse("DOM:1000:pass:word\n");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].domain == "DOM");
    CHECK(entries[0].user == "1000");
    CHECK(hashes_password(entries[0], "pass:word"));
}

TEST_CASE("three-field hashes come from the NTLM one-way functions", "[userdb][hash]") {
    const auto& v = gssneg::test::ms_nlmp();
    const std::string password = v.str("password");
    const auto entries = UserDatabase::parse("Domain:User:" + password + "\nD:long:0123456789abcde\n");
    REQUIRE(entries.size() == 2);
    CHECK(hex(entries[0].nt_hash) == to_hex(v.hex("v1_ntowf")));
    REQUIRE(entries[0].lm_hash.has_value());
    CHECK(hex(*entries[0].lm_hash) == to_hex(v.hex("v1_lmowf")));
    CHECK(hex(entries[1].nt_hash) == hex(gssneg::ntlm::nt_owf_v1("0123456789abcde")));
    CHECK_FALSE(entries[1].lm_hash.has_value());
}

TEST_CASE("lookup prefers the requested domain over an empty one", "[userdb]") {
    const TempFile file(
        ":alice:any-domain\n"
        "EXAMPLE:alice:example\n"
        "OTHER:alice:other\n"
        "OTHER:bob:bob-other\n");
    UserDatabase db(file.path());

    auto e = db.find("alice", "EXAMPLE");
    REQUIRE(e);
    CHECK(hashes_password(*e, "example"));
    e = db.find("alice", "example");
    REQUIRE(e);
    CHECK(hashes_password(*e, "example"));
    e = db.find("alice", "NOWHERE");
    REQUIRE(e);
    CHECK(hashes_password(*e, "any-domain"));
    e = db.find("alice", "");
    REQUIRE(e);
    CHECK(hashes_password(*e, "any-domain"));
    e = db.find("bob", "");
    REQUIRE(e);
    CHECK(hashes_password(*e, "bob-other"));
    CHECK_FALSE(db.find("bob", "EXAMPLE"));
    CHECK_FALSE(db.find("nobody", ""));
    CHECK_FALSE(db.find("alic", "EXAMPLE"));
}

TEST_CASE("lookup of an exact domain after an empty-domain entry", "[userdb]") {
    const TempFile file("OTHER:x:o\n:x:empty\nHERE:x:here\n");
    const UserDatabase db(file.path());
    auto e = db.find("x", "here");
    REQUIRE(e);
    CHECK(hashes_password(*e, "here"));
    e = db.find("x", "");
    REQUIRE(e);
    CHECK(hashes_password(*e, "o"));
}

TEST_CASE("user names compare case-insensitively beyond ASCII", "[userdb]") {
    const TempFile file(
        "DOM:\xc3\xa4lice:umlaut\n"
        "dom:Bob:ascii\n"
        "DOM:\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd:cyrillic\n");
    const UserDatabase db(file.path());

    auto e = db.find("\xc3\x84LICE", "DOM");
    REQUIRE(e);
    CHECK(hashes_password(*e, "umlaut"));
    e = db.find("BOB", "DOM");
    REQUIRE(e);
    CHECK(hashes_password(*e, "ascii"));
    CHECK(e->domain == "dom");
    e = db.find("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d", "dom");
    REQUIRE(e);
    CHECK(hashes_password(*e, "cyrillic"));
    CHECK_FALSE(db.find("alice", "DOM"));
}

TEST_CASE("smbpasswd users are found with or without their domain", "[userdb]") {
    const TempFile file(
        "CORP\\Alice:1000:" + lm_hash_a + ":" + nt_hash_a + ":[U          ]:LCT-0:\n"
        "bob:1001:" + lm_hash_a + ":" + nt_hash_a + ":[U          ]:LCT-0:\n");
    const UserDatabase db(file.path());
    auto e = db.find("alice", "corp");
    REQUIRE(e);
    CHECK(e->uid == std::optional<uint32_t>(1000));
    e = db.find("ALICE", "");
    REQUIRE(e);
    CHECK(e->uid == std::optional<uint32_t>(1000));
    CHECK_FALSE(db.find("alice", "ELSEWHERE"));
    e = db.find("Bob", "ANYWHERE");
    REQUIRE(e);
    CHECK(e->uid == std::optional<uint32_t>(1001));
}

TEST_CASE("first() is the first valid entry", "[userdb]") {
    const TempFile file("# header\nbroken\nD:first:1\nD:second:2\n");
    const UserDatabase db(file.path());
    const auto e = db.first();
    REQUIRE(e);
    CHECK(e->user == "first");

    const TempFile empty("# nothing\n");
    CHECK_FALSE(UserDatabase(empty.path()).first());
}

// With a check interval of zero, every call looks at the file.
constexpr std::chrono::milliseconds every_call{0};

TEST_CASE("the database is re-read when the file changes", "[userdb]") {
    const TempFile file("DOM:alice:old\n");
    const UserDatabase db(file.path(), every_call);
    auto e = db.find("alice", "DOM");
    REQUIRE(e);
    CHECK(hashes_password(*e, "old"));

    file.write("DOM:alice:a-new-longer-password\nDOM:bob:added\n");
    e = db.find("alice", "DOM");
    REQUIRE(e);
    CHECK(hashes_password(*e, "a-new-longer-password"));
    CHECK(db.find("bob", "DOM"));

    file.replace("DOM:bob:only\n");
    CHECK_FALSE(db.find("alice", "DOM"));
    e = db.first();
    REQUIRE(e);
    CHECK(hashes_password(*e, "only"));
}

TEST_CASE("a change that keeps the size is seen through the mtime", "[userdb]") {
    const TempFile file("DOM:alice:pw-1\n");
    const UserDatabase db(file.path(), every_call);
    REQUIRE(hashes_password(*db.find("alice", "DOM"), "pw-1"));

    file.write("DOM:alice:pw-2\n");
    struct timespec times[2] = {{0, UTIME_OMIT}, {1234567890, 123456789}};
    REQUIRE(::utimensat(AT_FDCWD, file.path().c_str(), times, 0) == 0);
    CHECK(hashes_password(*db.find("alice", "DOM"), "pw-2"));
}

TEST_CASE("between looks the file is not read again", "[userdb]") {
    const TempFile file("DOM:alice:before\n");
    const UserDatabase db(file.path(), std::chrono::hours(1));
    REQUIRE(hashes_password(*db.find("alice", "DOM"), "before"));

    // Within the interval neither a change nor a removal is looked for, on
    // this thread or another.
    file.replace("DOM:alice:after\n");
    CHECK(hashes_password(*db.find("alice", "DOM"), "before"));
    bool before_elsewhere = false;
    std::thread([&] { before_elsewhere = hashes_password(*db.find("alice", "DOM"), "before"); }).join();
    CHECK(before_elsewhere);

    // A fresh object for the same path reads the file as it is now.
    CHECK(hashes_password(*UserDatabase(file.path(), std::chrono::hours(1)).find("alice", "DOM"), "after"));
}

TEST_CASE("a change is seen once the interval has passed", "[userdb]") {
    const TempFile file("DOM:alice:before\n");
    const UserDatabase db(file.path(), std::chrono::milliseconds(50));
    REQUIRE(hashes_password(*db.find("alice", "DOM"), "before"));
    file.replace("DOM:alice:after\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    CHECK(hashes_password(*db.find("alice", "DOM"), "after"));
}

TEST_CASE("two databases used in turn by one thread each answer from their own file", "[userdb]") {
    const TempFile a("D:alice:from-a\n");
    const TempFile b("D:alice:from-b\n");
    const UserDatabase da(a.path());
    const UserDatabase db(b.path());
    for (int i = 0; i < 3; ++i) {
        CHECK(hashes_password(*da.find("alice", "D"), "from-a"));
        CHECK(hashes_password(*db.find("alice", "D"), "from-b"));
    }
}

TEST_CASE("shared() returns one object per path", "[userdb]") {
    const TempFile a("D:a:1\n");
    const TempFile b("D:b:2\n");
    const auto a1 = UserDatabase::shared(a.path());
    const auto a2 = UserDatabase::shared(a.path());
    const auto b1 = UserDatabase::shared(b.path());
    CHECK(a1.get() == a2.get());
    CHECK(a1.get() != b1.get());
    CHECK(a1->path() == a.path());
    CHECK(b1->find("b", "D"));
}

TEST_CASE("an unreadable user file throws user_file_unreadable", "[userdb]") {
    const UserDatabase missing("/nonexistent/gssneg-users");
    try {
        (void)missing.find("alice", "");
        FAIL("no exception");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_FAILURE);
        CHECK(e.minor() == minor_value(Minor::user_file_unreadable));
        CHECK(std::string(e.what()).find("/nonexistent/gssneg-users") != std::string::npos);
    }

    char dir[] = "/tmp/gssneg-userdb-dir-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const UserDatabase directory(dir);
    try {
        (void)directory.first();
        FAIL("no exception");
    } catch (const GssError& e) {
        CHECK(e.minor() == minor_value(Minor::user_file_unreadable));
    }
    ::rmdir(dir);
}

TEST_CASE("a file that disappears after loading throws", "[userdb]") {
    auto file = std::make_unique<TempFile>("D:a:1\n");
    const UserDatabase db(file->path(), every_call);
    CHECK(db.find("a", "D"));
    file.reset();
    try {
        (void)db.find("a", "D");
        FAIL("no exception");
    } catch (const GssError& e) {
        CHECK(e.minor() == minor_value(Minor::user_file_unreadable));
    }
}

TEST_CASE("concurrent lookups while the file is replaced", "[userdb]") {
    const std::string old_text = "DOM:alice:old\n";
    const std::string new_text = "# rewritten\nDOM:alice:new-password\n";
    const std::string old_nt = hex(gssneg::ntlm::nt_owf_v1("old"));
    const std::string new_nt = hex(gssneg::ntlm::nt_owf_v1("new-password"));
    const TempFile file(old_text);
    const auto db = std::make_shared<UserDatabase>(file.path(), every_call);

    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::atomic<long> lookups{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 8; ++t)
        readers.emplace_back([&] {
            while (!stop.load()) {
                const auto e = db->find("ALICE", "dom");
                if (!e) {
                    ++bad;
                    continue;
                }
                const std::string nt = hex(e->nt_hash);
                if (nt != old_nt && nt != new_nt) ++bad;
                ++lookups;
            }
        });
    std::thread writer([&] {
        for (int i = 0; i < 200; ++i) file.replace(i % 2 == 0 ? new_text : old_text);
        stop.store(true);
    });
    writer.join();
    for (auto& r : readers) r.join();
    CHECK(bad.load() == 0);
    CHECK(lookups.load() > 0);
}
