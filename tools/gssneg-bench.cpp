// gssneg-bench: measures a GSS-API mechanism in one process, through the
// public API of libgssapi_krb5 (the mechglue) only, so that the same binary
// measures this project's module and any other mechanism named by a mech file
// (GSS_MECH_CONFIG). Credentials are acquired once; every figure is printed
// as "name: value unit", or as one JSON object with --json.
//
//   handshake  per iteration: create an initiator and an acceptor context, run
//              every leg to completion (the acceptor asks for the source name,
//              as a server would), delete both.
//   wrap       one established pair per thread: gss_wrap with confidentiality
//              by the initiator, gss_unwrap by the acceptor, each side timed.
//   mic        gss_get_mic by the initiator, gss_verify_mic by the acceptor,
//              timed in batches so that reading the clock costs nothing.
//   memory     peak RSS, RSS growth across N handshakes, RSS and heap bytes per
//              established context while N pairs are held.
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr OM_uint32 request_flags =
    GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
constexpr int max_legs = 10;
constexpr std::size_t mic_batch = 256;

// ---- options --------------------------------------------------------------

enum class Mode { handshake, wrap, mic, memory, all };

struct Options {
    std::string mech = "ntlm";
    std::string target = "host@localhost";
    std::optional<std::string> user;
    std::optional<std::string> password;
    Mode mode = Mode::all;
    std::optional<std::uint64_t> count;
    std::optional<double> seconds;
    std::optional<std::size_t> size;
    std::optional<std::uint64_t> warmup;
    unsigned threads = 1;
    bool json = false;
};

void usage()
{
    std::fprintf(stderr,
                 "usage: gssneg-bench [--mech OID|ntlm|spnego|krb5] [--target host@localhost]\n"
                 "                    [--user NAME] [--password PW]\n"
                 "                    [--mode handshake|wrap|mic|memory|all]\n"
                 "                    [--count N] [--seconds S] [--size BYTES] [--warmup N]\n"
                 "                    [--threads N] [--json]\n"
                 "  --count N    operations per thread (memory: handshakes, and contexts held)\n"
                 "  --seconds S  run each timed loop for S seconds (default 2 without --count)\n"
                 "  --size B     message size (wrap: 1048576, mic: 64)\n");
}

template <typename T>
bool parse_number(std::string_view text, T& out)
{
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && ptr == text.data() + text.size();
}

bool parse_args(int argc, char** argv, Options& opt)
{
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--json") {
            opt.json = true;
            continue;
        }
        if (arg == "--help" || arg == "-h")
            return false;
        if (i + 1 >= argc)
            return false;
        const std::string_view v = argv[++i];
        if (arg == "--mech") {
            opt.mech = v;
        } else if (arg == "--target") {
            opt.target = v;
        } else if (arg == "--user") {
            opt.user = std::string(v);
        } else if (arg == "--password") {
            opt.password = std::string(v);
        } else if (arg == "--mode") {
            if (v == "handshake")
                opt.mode = Mode::handshake;
            else if (v == "wrap")
                opt.mode = Mode::wrap;
            else if (v == "mic")
                opt.mode = Mode::mic;
            else if (v == "memory")
                opt.mode = Mode::memory;
            else if (v == "all")
                opt.mode = Mode::all;
            else
                return false;
        } else if (arg == "--count") {
            std::uint64_t n = 0;
            if (!parse_number(v, n) || n == 0)
                return false;
            opt.count = n;
        } else if (arg == "--warmup") {
            std::uint64_t n = 0;
            if (!parse_number(v, n))
                return false;
            opt.warmup = n;
        } else if (arg == "--seconds") {
            const std::string text(v);
            char* end = nullptr;
            const double s = std::strtod(text.c_str(), &end);
            if (*end != '\0' || !(s > 0.0) || s > 86400.0)
                return false;
            opt.seconds = s;
        } else if (arg == "--size") {
            std::size_t n = 0;
            if (!parse_number(v, n) || n == 0 || n > (std::size_t{1} << 30))
                return false;
            opt.size = n;
        } else if (arg == "--threads") {
            unsigned n = 0;
            if (!parse_number(v, n) || n == 0 || n > 256)
                return false;
            opt.threads = n;
        } else {
            return false;
        }
    }
    return true;
}

// ---- mechanism OIDs ---------------------------------------------------------

// DER content octets of a dotted OID (X.690 8.19); empty when unparsable.
std::string der_from_dotted(std::string_view dotted)
{
    std::vector<std::uint64_t> arcs;
    for (std::size_t pos = 0; pos <= dotted.size();) {
        const std::size_t end = std::min(dotted.find('.', pos), dotted.size());
        std::uint64_t arc = 0;
        if (end == pos || !parse_number(dotted.substr(pos, end - pos), arc))
            return {};
        arcs.push_back(arc);
        pos = end + 1;
    }
    if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
        return {};
    std::string der;
    const auto append_base128 = [&der](std::uint64_t value) {
        char groups[10];
        int n = 0;
        do {
            groups[n++] = static_cast<char>(value & 0x7fu);
            value >>= 7;
        } while (value != 0);
        while (n > 1)
            der.push_back(static_cast<char>(groups[--n] | 0x80));
        der.push_back(groups[0]);
    };
    append_base128(arcs[0] * 40 + arcs[1]);
    for (std::size_t i = 2; i < arcs.size(); ++i)
        append_base128(arcs[i]);
    return der;
}

std::string_view dotted_from_alias(std::string_view name)
{
    if (name == "ntlm")
        return "1.3.6.1.4.1.311.2.2.10";
    if (name == "spnego")
        return "1.3.6.1.5.5.2";
    if (name == "krb5")
        return "1.2.840.113554.1.2.2";
    return name;
}

// ---- errors -----------------------------------------------------------------

std::string status_messages(OM_uint32 code, int type, gss_OID mech)
{
    std::string text;
    OM_uint32 context = 0;
    do {
        OM_uint32 minor = 0;
        gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&minor, code, type, mech, &context, &msg)))
            break;
        if (!text.empty())
            text += "; ";
        text.append(static_cast<const char*>(msg.value), msg.length);
        gss_release_buffer(&minor, &msg);
    } while (context != 0);
    return text;
}

// The first failure, reported once by main after every thread has stopped.
class Failure final {
public:
    void set(std::string what)
    {
        const std::lock_guard lock(m_mutex);
        if (!m_failed.exchange(true))
            m_what = std::move(what);
    }
    bool failed() const { return m_failed.load(std::memory_order_relaxed); }
    const std::string& what() const { return m_what; }

private:
    std::mutex m_mutex;
    std::atomic<bool> m_failed{false};
    std::string m_what;
};

Failure failure;

bool check(const char* call, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    if (!GSS_ERROR(major))
        return true;
    failure.set(std::string(call) + " failed\n  major: " + status_messages(major, GSS_C_GSS_CODE, GSS_C_NO_OID) +
                "\n  minor: " + status_messages(minor, GSS_C_MECH_CODE, mech));
    return false;
}

// ---- the run: shared credentials and names --------------------------------

struct Setup {
    std::string mech_der;
    gss_OID_desc mech{};
    gss_name_t target = GSS_C_NO_NAME;
    gss_cred_id_t initiator = GSS_C_NO_CREDENTIAL;
    gss_cred_id_t acceptor = GSS_C_NO_CREDENTIAL;

    Setup() = default;
    Setup(const Setup&) = delete;
    Setup& operator=(const Setup&) = delete;
    ~Setup()
    {
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &initiator);
        gss_release_cred(&minor, &acceptor);
        gss_release_name(&minor, &target);
    }
};

gss_name_t import_name(std::string_view text, gss_OID type, const char* what, gss_OID mech)
{
    OM_uint32 minor = 0;
    gss_buffer_desc buf{text.size(), const_cast<char*>(text.data())};
    gss_name_t name = GSS_C_NO_NAME;
    const OM_uint32 major = gss_import_name(&minor, &buf, type, &name);
    check(what, major, minor, mech);
    return name;
}

bool prepare(const Options& opt, Setup& setup)
{
    setup.mech_der = der_from_dotted(dotted_from_alias(opt.mech));
    if (setup.mech_der.empty()) {
        failure.set("unknown mechanism '" + opt.mech + "'");
        return false;
    }
    setup.mech.length = static_cast<OM_uint32>(setup.mech_der.size());
    setup.mech.elements = setup.mech_der.data();
    gss_OID_set_desc mechs{1, &setup.mech};

    setup.target = import_name(opt.target, GSS_C_NT_HOSTBASED_SERVICE, "gss_import_name(target)", &setup.mech);
    if (setup.target == GSS_C_NO_NAME)
        return false;

    OM_uint32 minor = 0;
    OM_uint32 major = gss_acquire_cred(&minor, setup.target, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
                                       &setup.acceptor, nullptr, nullptr);
    if (!check("gss_acquire_cred(acceptor)", major, minor, &setup.mech))
        return false;

    gss_name_t user = GSS_C_NO_NAME;
    if (opt.user) {
        user = import_name(*opt.user, GSS_C_NT_USER_NAME, "gss_import_name(user)", &setup.mech);
        if (user == GSS_C_NO_NAME)
            return false;
    }
    if (opt.password) {
        gss_buffer_desc pw{opt.password->size(), const_cast<char*>(opt.password->data())};
        major = gss_acquire_cred_with_password(&minor, user, &pw, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                               &setup.initiator, nullptr, nullptr);
    } else {
        major = gss_acquire_cred(&minor, user, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &setup.initiator,
                                 nullptr, nullptr);
    }
    OM_uint32 ignored = 0;
    gss_release_name(&ignored, &user);
    return check("gss_acquire_cred(initiator)", major, minor, &setup.mech);
}

// ---- one established pair ---------------------------------------------------

class ContextPair final {
public:
    ContextPair() = default;
    ContextPair(const ContextPair&) = delete;
    ContextPair& operator=(const ContextPair&) = delete;
    ContextPair(ContextPair&& other) noexcept : m_initiator(other.m_initiator), m_acceptor(other.m_acceptor)
    {
        other.m_initiator = GSS_C_NO_CONTEXT;
        other.m_acceptor = GSS_C_NO_CONTEXT;
    }
    ContextPair& operator=(ContextPair&&) = delete;
    ~ContextPair()
    {
        OM_uint32 minor = 0;
        if (m_initiator != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &m_initiator, GSS_C_NO_BUFFER);
        if (m_acceptor != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &m_acceptor, GSS_C_NO_BUFFER);
    }

    // Runs every leg; false (with the failure recorded) on any error.
    bool establish(Setup& setup)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc from_acceptor = GSS_C_EMPTY_BUFFER;
        bool initiator_done = false;
        bool acceptor_done = false;
        for (int leg = 0; leg < max_legs; ++leg) {
            gss_buffer_desc to_acceptor = GSS_C_EMPTY_BUFFER;
            OM_uint32 major = gss_init_sec_context(&minor, setup.initiator, &m_initiator, setup.target, &setup.mech,
                                                   request_flags, GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS,
                                                   &from_acceptor, nullptr, &to_acceptor, nullptr, nullptr);
            OM_uint32 ignored = 0;
            gss_release_buffer(&ignored, &from_acceptor);
            if (!check("gss_init_sec_context", major, minor, &setup.mech)) {
                gss_release_buffer(&ignored, &to_acceptor);
                return false;
            }
            initiator_done = major == GSS_S_COMPLETE;
            if (to_acceptor.length == 0)
                return finished(initiator_done, acceptor_done);

            gss_name_t source = GSS_C_NO_NAME;
            major = gss_accept_sec_context(&minor, &m_acceptor, setup.acceptor, &to_acceptor,
                                           GSS_C_NO_CHANNEL_BINDINGS, &source, nullptr, &from_acceptor, nullptr,
                                           nullptr, nullptr);
            gss_release_buffer(&ignored, &to_acceptor);
            gss_release_name(&ignored, &source);
            if (!check("gss_accept_sec_context", major, minor, &setup.mech)) {
                gss_release_buffer(&ignored, &from_acceptor);
                return false;
            }
            acceptor_done = major == GSS_S_COMPLETE;
            if (from_acceptor.length == 0)
                return finished(initiator_done, acceptor_done);
        }
        failure.set("the handshake did not finish in " + std::to_string(max_legs) + " legs");
        return false;
    }

    gss_ctx_id_t initiator() const { return m_initiator; }
    gss_ctx_id_t acceptor() const { return m_acceptor; }

private:
    static bool finished(bool initiator_done, bool acceptor_done)
    {
        if (initiator_done && acceptor_done)
            return true;
        failure.set(std::string("the handshake stopped with no token while the ") +
                    (initiator_done ? "acceptor" : "initiator") + " was not complete");
        return false;
    }

    gss_ctx_id_t m_initiator = GSS_C_NO_CONTEXT;
    gss_ctx_id_t m_acceptor = GSS_C_NO_CONTEXT;
};

// ---- loops ------------------------------------------------------------------

// Wall-clock time, and the CPU time of the calling thread: on a shared
// machine the second is the steadier figure.
struct Stamp {
    Clock::time_point wall;
    double cpu;
};

Stamp now()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {Clock::now(), static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9};
}

struct Elapsed {
    double wall = 0;
    double cpu = 0;

    void add(const Stamp& from, const Stamp& to)
    {
        wall += std::chrono::duration<double>(to.wall - from.wall).count();
        cpu += to.cpu - from.cpu;
    }
};

// When a timed loop stops: after `count` operations, or at `deadline`.
struct Budget {
    std::optional<std::uint64_t> count;
    std::optional<Clock::time_point> deadline;

    bool more(std::uint64_t done) const
    {
        if (count && done >= *count)
            return false;
        if (deadline && Clock::now() >= *deadline)
            return false;
        return !failure.failed();
    }
};

constexpr double default_seconds = 2.0;

struct ThreadResult {
    std::uint64_t ops = 0;
    std::uint64_t bytes = 0;
    Elapsed first;  // the loop, or the first side's calls (wrap, get_mic)
    Elapsed second; // the second side's calls (unwrap, verify_mic)
};

struct Figure {
    std::string name;
    double value;
    std::string unit;
    int decimals;
};

class Report final {
public:
    void add(std::string name, double value, std::string unit, int decimals = 1)
    {
        m_figures.push_back({std::move(name), value, std::move(unit), decimals});
    }

    void print_text() const
    {
        for (const auto& f : m_figures)
            std::printf("%s: %.*f %s\n", f.name.c_str(), f.decimals, f.value, f.unit.c_str());
    }

    void print_json(const Options& opt, std::string_view mode) const
    {
        std::printf("{\"mech\": \"%s\", \"mode\": \"%.*s\", \"threads\": %u, \"figures\": {", json_escape(opt.mech).c_str(),
                    static_cast<int>(mode.size()), mode.data(), opt.threads);
        bool first = true;
        for (const auto& f : m_figures) {
            std::printf("%s\"%s\": {\"value\": %.*f, \"unit\": \"%s\"}", first ? "" : ", ", f.name.c_str(),
                        f.decimals, f.value, f.unit.c_str());
            first = false;
        }
        std::printf("}}\n");
    }

private:
    static std::string json_escape(std::string_view text)
    {
        std::string out;
        for (const char c : text) {
            if (c == '"' || c == '\\')
                out.push_back('\\');
            if (static_cast<unsigned char>(c) >= 0x20)
                out.push_back(c);
        }
        return out;
    }

    std::vector<Figure> m_figures;
};

// Runs body(thread_index, result) in opt.threads threads, released together.
template <typename Body>
std::vector<ThreadResult> run_threads(const Options& opt, Body body)
{
    std::vector<ThreadResult> results(opt.threads);
    std::barrier start(static_cast<std::ptrdiff_t>(opt.threads));
    std::vector<std::thread> threads;
    threads.reserve(opt.threads);
    for (unsigned t = 0; t < opt.threads; ++t)
        threads.emplace_back([&, t] { body(t, results[t], start); });
    for (auto& th : threads)
        th.join();
    return results;
}

Budget timed_budget(const Options& opt)
{
    Budget budget;
    budget.count = opt.count;
    if (opt.seconds || !opt.count)
        budget.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(opt.seconds.value_or(default_seconds)));
    return budget;
}

std::uint64_t warmup_ops(const Options& opt, std::uint64_t preferred)
{
    if (opt.warmup)
        return *opt.warmup;
    return opt.count ? std::min(preferred, std::max<std::uint64_t>(1, *opt.count / 10)) : preferred;
}

// Aggregate rate: all threads' work over the longest thread's wall time; one
// rate per thread when there are several; and work per second of CPU time
// summed over the threads.
void add_rates(Report& report, const std::string& name, const std::vector<ThreadResult>& results, bool second_side,
               double scale, const std::string& unit)
{
    const auto work = [scale](const ThreadResult& r) {
        return scale == 0 ? static_cast<double>(r.ops) : static_cast<double>(r.bytes) / scale;
    };
    const auto elapsed = [second_side](const ThreadResult& r) { return second_side ? r.second : r.first; };
    double wall = 0;
    double cpu = 0;
    double total = 0;
    for (const auto& r : results) {
        wall = std::max(wall, elapsed(r).wall);
        cpu += elapsed(r).cpu;
        total += work(r);
    }
    report.add(name, wall > 0 ? total / wall : 0, unit);
    if (results.size() > 1) {
        for (std::size_t t = 0; t < results.size(); ++t) {
            const double secs = elapsed(results[t]).wall;
            report.add(name + "_thread_" + std::to_string(t), secs > 0 ? work(results[t]) / secs : 0, unit);
        }
    }
    const std::size_t per = unit.rfind("/s");
    const std::string cpu_unit = per == std::string::npos ? unit : unit.substr(0, per) + "/cpu-s";
    report.add(name + "_cpu", cpu > 0 ? total / cpu : 0, cpu_unit);
}

// Every timed loop runs inside this function, never inlined, so that a
// profiler can collect the measured work alone, without set-up and warm-up:
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*timed_section*'
template <typename Body>
[[gnu::noinline]] void timed_section(Body&& body)
{
    body();
}

bool run_handshakes(Setup& setup, std::uint64_t n)
{
    for (std::uint64_t i = 0; i < n; ++i) {
        ContextPair pair;
        if (!pair.establish(setup))
            return false;
    }
    return true;
}

void bench_handshake(const Options& opt, Setup& setup, Report& report)
{
    const std::uint64_t warmup = warmup_ops(opt, 200);
    const auto results = run_threads(opt, [&](unsigned, ThreadResult& r, std::barrier<>& start) {
        run_handshakes(setup, warmup);
        start.arrive_and_wait();
        const Budget budget = timed_budget(opt);
        const Stamp t0 = now();
        timed_section([&] {
            while (budget.more(r.ops)) {
                ContextPair pair;
                if (!pair.establish(setup))
                    break;
                ++r.ops;
            }
        });
        r.first.add(t0, now());
    });
    std::uint64_t total = 0;
    for (const auto& r : results)
        total += r.ops;
    add_rates(report, "handshake_rate", results, false, 0, "handshakes/s");
    report.add("handshake_count", static_cast<double>(total), "handshakes", 0);
}

struct GssBuffer final {
    gss_buffer_desc desc = GSS_C_EMPTY_BUFFER;
    GssBuffer() = default;
    GssBuffer(const GssBuffer&) = delete;
    GssBuffer& operator=(const GssBuffer&) = delete;
    ~GssBuffer() { release(); }
    void release()
    {
        OM_uint32 minor = 0;
        gss_release_buffer(&minor, &desc);
    }
};

std::vector<std::uint8_t> pattern(std::size_t size, unsigned seed)
{
    std::vector<std::uint8_t> data(size);
    std::uint32_t x = 0x9e3779b9u ^ seed;
    for (auto& b : data) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return data;
}

// One sealed round trip; false (failure recorded) on error or mismatch. With
// verify, also checks the round trip and records the token's overhead.
bool wrap_once(Setup& setup, const ContextPair& pair, gss_buffer_desc& plain, ThreadResult* timing,
               std::size_t* overhead = nullptr)
{
    OM_uint32 minor = 0;
    int conf_state = 0;
    GssBuffer sealed;
    const Stamp t0 = now();
    OM_uint32 major = gss_wrap(&minor, pair.initiator(), 1, GSS_C_QOP_DEFAULT, &plain, &conf_state, &sealed.desc);
    const Stamp t1 = now();
    if (!check("gss_wrap", major, minor, &setup.mech))
        return false;
    if (conf_state == 0) {
        failure.set("gss_wrap did not apply confidentiality");
        return false;
    }
    GssBuffer opened;
    const Stamp t2 = now();
    major = gss_unwrap(&minor, pair.acceptor(), &sealed.desc, &opened.desc, &conf_state, nullptr);
    const Stamp t3 = now();
    if (!check("gss_unwrap", major, minor, &setup.mech))
        return false;
    if (timing != nullptr) {
        timing->first.add(t0, t1);
        timing->second.add(t2, t3);
    }
    if (overhead != nullptr) {
        if (opened.desc.length != plain.length || conf_state == 0 ||
            std::memcmp(opened.desc.value, plain.value, plain.length) != 0) {
            failure.set("gss_unwrap did not return the wrapped message");
            return false;
        }
        *overhead = sealed.desc.length - plain.length;
    }
    return true;
}

void bench_wrap(const Options& opt, Setup& setup, Report& report)
{
    const std::size_t size = opt.size.value_or(std::size_t{1} << 20);
    const std::uint64_t warmup = warmup_ops(opt, 5);
    std::atomic<std::size_t> overhead{0};
    const auto results = run_threads(opt, [&](unsigned t, ThreadResult& r, std::barrier<>& start) {
        ContextPair pair;
        auto data = pattern(size, t);
        gss_buffer_desc plain{data.size(), data.data()};
        std::size_t thread_overhead = 0;
        bool ok = pair.establish(setup) && wrap_once(setup, pair, plain, nullptr, &thread_overhead);
        if (t == 0)
            overhead = thread_overhead;
        for (std::uint64_t i = 0; ok && i < warmup; ++i)
            ok = wrap_once(setup, pair, plain, nullptr);
        start.arrive_and_wait();
        const Budget budget = timed_budget(opt);
        timed_section([&] {
            while (ok && budget.more(r.ops)) {
                ok = wrap_once(setup, pair, plain, &r);
                if (ok) {
                    ++r.ops;
                    r.bytes += size;
                }
            }
        });
    });
    add_rates(report, "wrap_rate", results, false, 1e6, "MB/s");
    add_rates(report, "unwrap_rate", results, true, 1e6, "MB/s");
    std::uint64_t total = 0;
    for (const auto& r : results)
        total += r.ops;
    report.add("wrap_messages", static_cast<double>(total), "messages", 0);
    report.add("wrap_size", static_cast<double>(size), "bytes", 0);
    report.add("wrap_overhead", static_cast<double>(overhead.load()), "bytes", 0);
}

void bench_mic(const Options& opt, Setup& setup, Report& report)
{
    const std::size_t size = opt.size.value_or(64);
    const std::uint64_t warmup = warmup_ops(opt, 2000);
    std::atomic<std::size_t> token_size{0};
    const auto results = run_threads(opt, [&](unsigned t, ThreadResult& r, std::barrier<>& start) {
        ContextPair pair;
        auto data = pattern(size, t);
        gss_buffer_desc message{data.size(), data.data()};
        std::vector<gss_buffer_desc> tokens(mic_batch, gss_buffer_desc GSS_C_EMPTY_BUFFER);
        bool ok = pair.establish(setup);
        // One batch: n get_mic calls timed together, then n verify_mic calls.
        const auto batch = [&](std::size_t n, ThreadResult* timing) {
            OM_uint32 minor = 0;
            const Stamp t0 = now();
            for (std::size_t i = 0; i < n && ok; ++i)
                ok = check("gss_get_mic", gss_get_mic(&minor, pair.initiator(), GSS_C_QOP_DEFAULT, &message,
                                                      &tokens[i]),
                           minor, &setup.mech);
            const Stamp t1 = now();
            for (std::size_t i = 0; i < n && ok; ++i)
                ok = check("gss_verify_mic",
                           gss_verify_mic(&minor, pair.acceptor(), &message, &tokens[i], nullptr), minor,
                           &setup.mech);
            const Stamp t2 = now();
            if (t == 0 && n > 0)
                token_size = tokens[0].length;
            for (std::size_t i = 0; i < n; ++i)
                gss_release_buffer(&minor, &tokens[i]);
            if (timing != nullptr) {
                timing->first.add(t0, t1);
                timing->second.add(t1, t2);
            }
        };
        for (std::uint64_t done = 0; ok && done < warmup; done += mic_batch)
            batch(static_cast<std::size_t>(std::min<std::uint64_t>(mic_batch, warmup - done)), nullptr);
        start.arrive_and_wait();
        const Budget budget = timed_budget(opt);
        timed_section([&] {
            while (ok && budget.more(r.ops)) {
                const std::uint64_t left = opt.count ? *opt.count - r.ops : mic_batch;
                const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(mic_batch, left));
                batch(n, &r);
                if (ok)
                    r.ops += n;
            }
        });
    });
    add_rates(report, "get_mic_rate", results, false, 0, "ops/s");
    add_rates(report, "verify_mic_rate", results, true, 0, "ops/s");
    std::uint64_t total = 0;
    for (const auto& r : results)
        total += r.ops;
    report.add("mic_messages", static_cast<double>(total), "messages", 0);
    report.add("mic_size", static_cast<double>(size), "bytes", 0);
    report.add("mic_token_size", static_cast<double>(token_size.load()), "bytes", 0);
}

// ---- memory -----------------------------------------------------------------

// A "Vm...:  1234 kB" field of /proc/self/status, in KiB; -1 when absent.
long proc_status_kib(std::string_view field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':') {
            return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
        }
    }
    return -1;
}

// Bytes the allocator has handed out and not had back (glibc, every arena).
double heap_in_use()
{
    const struct mallinfo2 info = mallinfo2();
    return static_cast<double>(info.uordblks) + static_cast<double>(info.hblkhd);
}

void bench_memory(const Options& opt, Setup& setup, Report& report)
{
    const std::uint64_t n = opt.count.value_or(10000);
    if (!run_handshakes(setup, warmup_ops(opt, 1000)))
        return;
    const long rss_before = proc_status_kib("VmRSS");
    if (!run_handshakes(setup, n))
        return;
    const long rss_after = proc_status_kib("VmRSS");

    std::vector<ContextPair> held;
    held.reserve(n);
    const long rss_hold_before = proc_status_kib("VmRSS");
    const double heap_hold_before = heap_in_use();
    for (std::uint64_t i = 0; i < n; ++i) {
        held.emplace_back();
        if (!held.back().establish(setup))
            return;
    }
    const long rss_hold_after = proc_status_kib("VmRSS");
    const double heap_hold_after = heap_in_use();
    const double contexts = 2.0 * static_cast<double>(n);
    held.clear();

    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    report.add("rss_before_handshakes", static_cast<double>(rss_before), "KiB", 0);
    report.add("rss_after_handshakes", static_cast<double>(rss_after), "KiB", 0);
    report.add("rss_growth_per_10k_handshakes",
               static_cast<double>(rss_after - rss_before) * 10000.0 / static_cast<double>(n), "KiB", 1);
    report.add("memory_handshakes", static_cast<double>(n), "handshakes", 0);
    report.add("held_contexts", contexts, "contexts", 0);
    report.add("rss_bytes_per_context", static_cast<double>(rss_hold_after - rss_hold_before) * 1024.0 / contexts,
               "bytes", 0);
    report.add("heap_bytes_per_context", (heap_hold_after - heap_hold_before) / contexts, "bytes", 0);
    report.add("peak_rss", static_cast<double>(std::max(proc_status_kib("VmHWM"), usage.ru_maxrss)), "KiB", 0);
}

std::string_view mode_name(Mode mode)
{
    switch (mode) {
    case Mode::handshake:
        return "handshake";
    case Mode::wrap:
        return "wrap";
    case Mode::mic:
        return "mic";
    case Mode::memory:
        return "memory";
    case Mode::all:
        break;
    }
    return "all";
}

}  // namespace

int main(int argc, char** argv)
{
    Options opt;
    if (!parse_args(argc, argv, opt)) {
        usage();
        return 2;
    }
    Report report;
    {
        Setup setup;
        if (prepare(opt, setup)) {
            const bool all = opt.mode == Mode::all;
            if (all || opt.mode == Mode::handshake)
                bench_handshake(opt, setup, report);
            if (!failure.failed() && (all || opt.mode == Mode::wrap))
                bench_wrap(opt, setup, report);
            if (!failure.failed() && (all || opt.mode == Mode::mic))
                bench_mic(opt, setup, report);
            if (!failure.failed() && (all || opt.mode == Mode::memory))
                bench_memory(opt, setup, report);
        }
    }
    if (failure.failed()) {
        std::fprintf(stderr, "gssneg-bench: %s\n", failure.what().c_str());
        return 1;
    }
    if (opt.json)
        report.print_json(opt, mode_name(opt.mode));
    else
        report.print_text();
    return 0;
}
