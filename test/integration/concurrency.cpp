// Many threads through the real mechglue at once: each does full NTLM
// handshakes, then wrap/unwrap and get_mic/verify_mic on the new context,
// all sharing one acceptor and one initiator credential acquired once,
// while another thread replaces the user file (write a temporary file,
// rename it over the old one) over two seconds, so that the acceptor's user
// database (which looks at the file at most once a second) reloads under
// them. Every handshake and every message must succeed; a second after the
// last replacement, the last version's extra user logs on and the one
// before does not.
//
// The hidden test case "[single]" is one thread doing many handshakes and
// wraps, for valgrind (tools/run-tests).
//
// Links the mechglue and Catch2 only. Environment:
//   GSSNEG_BUILD_MECH          the build tree's mech file (set by meson);
//                              GSSNEG_OURS_MECH overrides it
//   GSSNEG_CONCURRENCY_ROUNDS  handshakes per thread (default 300)
//   GSSNEG_SINGLE_ROUNDS       handshakes of "[single]" (default 2000)
#include <catch2/catch.hpp>

#include "test_main.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* domain = "CONCUR";
constexpr const char* user = "alice";
constexpr const char* password = "Concurrent-Passw0rd";
constexpr int thread_count = 8;
constexpr int replacements = 50;

gss_OID_desc ntlm_oid{10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};
gss_OID_set_desc ntlm_only{1, &ntlm_oid};

std::string g_user_file;

int rounds_from(const char* var, int fallback)
{
    const char* v = std::getenv(var);
    const int n = v != nullptr ? std::atoi(v) : 0;
    return n > 0 ? n : fallback;
}

std::string status_text(OM_uint32 major, OM_uint32 minor)
{
    std::string out;
    for (const auto& [code, type] : {std::pair{major, GSS_C_GSS_CODE}, std::pair{minor, GSS_C_MECH_CODE}}) {
        OM_uint32 message_context = 0;
        do {
            OM_uint32 min = 0;
            gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
            if (gss_display_status(&min, code, type, &ntlm_oid, &message_context, &text) != GSS_S_COMPLETE)
                break;
            out.append(static_cast<const char*>(text.value), text.length);
            out += "; ";
            gss_release_buffer(&min, &text);
        } while (message_context != 0);
    }
    return out;
}

// A user file of the same user and password with different padding, so
// that its size and mtime change with every generation.
void write_user_file(const std::string& path, int generation)
{
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << "# generation " << generation << '\n';
        for (int i = 0; i < generation % 7; ++i)
            out << "# " << std::string(static_cast<std::size_t>(10 + generation), '.') << '\n';
        out << domain << ':' << user << ':' << password << '\n';
        out << "OTHER:user" << generation << ":pw" << generation << '\n';
    }
    std::filesystem::rename(temporary, path);
}

struct Creds {
    gss_cred_id_t initiator = GSS_C_NO_CREDENTIAL;
    gss_cred_id_t acceptor = GSS_C_NO_CREDENTIAL;
    // The initiator's password comes from the user file, or is given.
    explicit Creds(const std::string& principal = std::string(domain) + "\\" + user,
                   const char* with_password = nullptr)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc text{principal.size(), const_cast<char*>(principal.data())};
        gss_name_t name = GSS_C_NO_NAME;
        REQUIRE(gss_import_name(&minor, &text, GSS_C_NT_USER_NAME, &name) == GSS_S_COMPLETE);
        gss_buffer_desc pw{with_password != nullptr ? std::strlen(with_password) : 0, const_cast<char*>(with_password)};
        const OM_uint32 major =
            with_password != nullptr
                ? gss_acquire_cred_with_password(&minor, name, &pw, GSS_C_INDEFINITE, &ntlm_only, GSS_C_INITIATE,
                                                 &initiator, nullptr, nullptr)
                : gss_acquire_cred(&minor, name, GSS_C_INDEFINITE, &ntlm_only, GSS_C_INITIATE, &initiator, nullptr,
                                   nullptr);
        gss_release_name(&minor, &name);
        REQUIRE(major == GSS_S_COMPLETE);
        REQUIRE(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &ntlm_only, GSS_C_ACCEPT, &acceptor,
                                 nullptr, nullptr) == GSS_S_COMPLETE);
    }
    Creds(const Creds&) = delete;
    Creds& operator=(const Creds&) = delete;
    ~Creds()
    {
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &initiator);
        gss_release_cred(&minor, &acceptor);
    }
};

struct Tally {
    std::atomic<long> handshakes{0};
    std::atomic<long> wraps{0};
    std::atomic<long> mics{0};
    std::atomic<long> failures{0};
    std::mutex mutex;
    std::string first_failure;

    void fail(const std::string& what, OM_uint32 major, OM_uint32 minor)
    {
        failures.fetch_add(1);
        const std::lock_guard lock(mutex);
        if (first_failure.empty())
            first_failure = what + ": " + status_text(major, minor);
    }
};

// One handshake, a wrap each way and a MIC each way; false on the first
// failure (recorded in the tally). Uses no Catch2 macro: it runs on many
// threads.
bool one_session(const Creds& creds, gss_name_t target, Tally& tally)
{
    OM_uint32 minor = 0;
    gss_ctx_id_t ictx = GSS_C_NO_CONTEXT;
    gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
    gss_buffer_desc to_acceptor = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc to_initiator = GSS_C_EMPTY_BUFFER;
    bool ok = false;
    const OM_uint32 flags = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    auto cleanup = [&] {
        gss_release_buffer(&minor, &to_acceptor);
        gss_release_buffer(&minor, &to_initiator);
        if (ictx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
        if (actx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
        return ok;
    };

    OM_uint32 imajor = gss_init_sec_context(&minor, creds.initiator, &ictx, target, &ntlm_oid, flags,
                                            GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr,
                                            &to_acceptor, nullptr, nullptr);
    if (imajor != GSS_S_CONTINUE_NEEDED) {
        tally.fail("NEGOTIATE", imajor, minor);
        return cleanup();
    }
    OM_uint32 amajor = gss_accept_sec_context(&minor, &actx, creds.acceptor, &to_acceptor, GSS_C_NO_CHANNEL_BINDINGS,
                                              nullptr, nullptr, &to_initiator, nullptr, nullptr, nullptr);
    gss_release_buffer(&minor, &to_acceptor);
    if (amajor != GSS_S_CONTINUE_NEEDED) {
        tally.fail("CHALLENGE", amajor, minor);
        return cleanup();
    }
    imajor = gss_init_sec_context(&minor, creds.initiator, &ictx, target, &ntlm_oid, flags, GSS_C_INDEFINITE,
                                  GSS_C_NO_CHANNEL_BINDINGS, &to_initiator, nullptr, &to_acceptor, nullptr, nullptr);
    gss_release_buffer(&minor, &to_initiator);
    if (imajor != GSS_S_COMPLETE) {
        tally.fail("AUTHENTICATE", imajor, minor);
        return cleanup();
    }
    amajor = gss_accept_sec_context(&minor, &actx, creds.acceptor, &to_acceptor, GSS_C_NO_CHANNEL_BINDINGS, nullptr,
                                    nullptr, &to_initiator, nullptr, nullptr, nullptr);
    gss_release_buffer(&minor, &to_acceptor);
    gss_release_buffer(&minor, &to_initiator);
    if (amajor != GSS_S_COMPLETE) {
        tally.fail("accept AUTHENTICATE", amajor, minor);
        return cleanup();
    }
    tally.handshakes.fetch_add(1);

    std::string message = "message protection under load";
    gss_buffer_desc plain{message.size(), message.data()};
    for (const auto& [from, to] : {std::pair{ictx, actx}, std::pair{actx, ictx}}) {
        gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
        gss_buffer_desc unwrapped = GSS_C_EMPTY_BUFFER;
        int conf = 0;
        OM_uint32 major = gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &plain, &conf, &wrapped);
        if (major == GSS_S_COMPLETE)
            major = gss_unwrap(&minor, to, &wrapped, &unwrapped, &conf, nullptr);
        const bool same = major == GSS_S_COMPLETE && conf == 1 && unwrapped.length == message.size() &&
                          std::equal(message.begin(), message.end(), static_cast<const char*>(unwrapped.value));
        gss_release_buffer(&minor, &wrapped);
        gss_release_buffer(&minor, &unwrapped);
        if (!same) {
            tally.fail("wrap/unwrap", major, minor);
            return cleanup();
        }
        tally.wraps.fetch_add(1);

        gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
        major = gss_get_mic(&minor, from, GSS_C_QOP_DEFAULT, &plain, &mic);
        if (major == GSS_S_COMPLETE)
            major = gss_verify_mic(&minor, to, &plain, &mic, nullptr);
        gss_release_buffer(&minor, &mic);
        if (major != GSS_S_COMPLETE) {
            tally.fail("get_mic/verify_mic", major, minor);
            return cleanup();
        }
        tally.mics.fetch_add(1);
    }
    ok = true;
    return cleanup();
}

struct Target {
    gss_name_t name = GSS_C_NO_NAME;
    Target()
    {
        OM_uint32 minor = 0;
        gss_buffer_desc text{14, const_cast<char*>("host@localhost")};
        REQUIRE(gss_import_name(&minor, &text, GSS_C_NT_HOSTBASED_SERVICE, &name) == GSS_S_COMPLETE);
    }
    Target(const Target&) = delete;
    Target& operator=(const Target&) = delete;
    ~Target()
    {
        OM_uint32 minor = 0;
        gss_release_name(&minor, &name);
    }
};

}  // namespace

TEST_CASE("threads share credentials and a user file that is replaced under them", "[concurrency]")
{
    const int rounds = rounds_from("GSSNEG_CONCURRENCY_ROUNDS", 300);
    const Creds creds;
    const Target target;
    Tally tally;
    std::atomic<int> running{thread_count};
    std::atomic<int> replaced_while_running{0};
    std::atomic<int> replaced{0};
    // Replacement g is due once g/70 of all handshakes are done; workers
    // that get more than two replacements ahead wait for the replacer, so
    // that all 50 land while they run, on a loaded machine too.
    const long total = static_cast<long>(thread_count) * rounds;
    const long step = std::max<long>(1, total / (replacements + 20));

    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < thread_count; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                while (replaced.load() < replacements && tally.handshakes.load() > (replaced.load() + 2) * step)
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
                if (!one_session(creds, target.name, tally))
                    break;
            }
            running.fetch_sub(1);
        });
    }
    std::thread replacer([&] {
        for (int generation = 1; generation <= replacements; ++generation) {
            while (tally.handshakes.load() + tally.failures.load() < generation * step && running.load() > 0)
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            write_user_file(g_user_file, generation);
            if (running.load() > 0)
                replaced_while_running.fetch_add(1);
            replaced.fetch_add(1);
            // The acceptor looks at the file at most once a second
            // (UserDatabase::default_check_interval): paced so, the run
            // spans two looks or more, and the workers (held
            // back to two replacements ahead) see reloads under them.
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
        }
    });
    for (std::thread& w : workers)
        w.join();
    replacer.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::printf("concurrency: %d threads x %d rounds in %.2f s: %ld handshakes, %ld wraps, %ld MICs, "
                "%d of %d user file replacements while running\n",
                thread_count, rounds, seconds, tally.handshakes.load(), tally.wraps.load(), tally.mics.load(),
                replaced_while_running.load(), replacements);
    INFO("first failure: " << tally.first_failure);
    CHECK(tally.failures.load() == 0);
    const long expected = static_cast<long>(thread_count) * rounds;
    CHECK(tally.handshakes.load() == expected);
    CHECK(tally.wraps.load() == 2 * expected);
    CHECK(tally.mics.load() == 2 * expected);
    CHECK(replaced_while_running.load() == replacements);

    // A second (the default check interval) after the last replacement, the
    // acceptor knows the last generation's extra user and no longer the one
    // before.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const std::string last = std::to_string(replacements);
    const std::string before = std::to_string(replacements - 1);
    const Creds newest("OTHER\\user" + last, ("pw" + last).c_str());
    Tally after;
    CHECK(one_session(newest, target.name, after));
    INFO("newest user: " << after.first_failure);
    CHECK(after.failures.load() == 0);
    const Creds removed("OTHER\\user" + before, ("pw" + before).c_str());
    CHECK_FALSE(one_session(removed, target.name, after));
    CHECK(after.first_failure.find("accept AUTHENTICATE") != std::string::npos);
}

// Hidden ("[.]"): run by tools/run-tests under valgrind.
TEST_CASE("one thread, many handshakes and wraps", "[.][single]")
{
    const int rounds = rounds_from("GSSNEG_SINGLE_ROUNDS", 2000);
    const Creds creds;
    const Target target;
    Tally tally;
    for (int i = 0; i < rounds; ++i) {
        if (!one_session(creds, target.name, tally))
            break;
    }
    std::printf("single: %ld handshakes, %ld wraps, %ld MICs\n", tally.handshakes.load(), tally.wraps.load(),
                tally.mics.load());
    INFO("first failure: " << tally.first_failure);
    CHECK(tally.failures.load() == 0);
    CHECK(tally.handshakes.load() == rounds);
}

int test_setup()
{
    for (const char* var : {"GSSNEG_BUILD_MECH", "GSSNEG_OURS_MECH"}) {
        if (const char* mech = std::getenv(var); mech != nullptr && *mech != '\0')
            setenv("GSS_MECH_CONFIG", mech, 1);
    }
    if (std::getenv("GSS_MECH_CONFIG") == nullptr) {
        std::fprintf(stderr, "concurrency: set GSSNEG_BUILD_MECH or GSS_MECH_CONFIG to the mech file under test\n");
        return 2;
    }
    g_user_file =
        (std::filesystem::temp_directory_path() / ("gssneg-concurrency-" + std::to_string(getpid()) + ".users"))
            .string();
    write_user_file(g_user_file, 0);
    setenv("NTLM_USER_FILE", g_user_file.c_str(), 1);
    unsetenv("GSS_NEGOTIATE_TRACE");
    unsetenv("LM_COMPAT_LEVEL");
    return 0;
}

void test_teardown(int)
{
    std::remove(g_user_file.c_str());
}
