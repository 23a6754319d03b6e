#include "util/trace.h"

#include "util/config.h"
#include "util/escape.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace gssneg {

namespace {

constexpr std::string_view stderr_destination = "stderr";

enum class TraceState : int8_t { unknown, off, on };
std::atomic<TraceState> g_state{TraceState::unknown};

// trace() -> current_config() -> trace() of a note about the options file
// is expected; anything deeper is a loop.
constexpr int max_trace_depth = 2;
thread_local int t_trace_depth = 0;

void write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data.remove_prefix(static_cast<size_t>(n));
    }
}

class TraceSink final {
public:
    TraceSink() = default;
    TraceSink(const TraceSink&) = delete;
    TraceSink& operator=(const TraceSink&) = delete;
    ~TraceSink() {
        if (m_fd >= 0) ::close(m_fd);
    }

    void write(const std::string& dest, std::string_view line) {
        const std::lock_guard lock(m_mutex);
        if (dest == stderr_destination) {
            write_all(STDERR_FILENO, line);
            return;
        }
        if (m_fd < 0 || dest != m_path) {
            if (m_fd >= 0) ::close(m_fd);
            m_fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
            m_path = dest;
        }
        if (m_fd >= 0) write_all(m_fd, line);
    }

private:
    std::mutex m_mutex;
    std::string m_path;
    int m_fd = -1;
};

std::string format_line(std::string_view component, std::string_view message) {
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    struct tm local {};
    ::localtime_r(&now.tv_sec, &local);
    std::array<char, 64> head{};
    const int n = std::snprintf(head.data(), head.size(), "gss-negotiate[%ld] %02d:%02d:%02d.%03ld ",
                                static_cast<long>(::getpid()), local.tm_hour, local.tm_min, local.tm_sec,
                                static_cast<long>(now.tv_nsec / 1000000));
    std::string line(head.data(), n > 0 ? std::min(static_cast<size_t>(n), head.size() - 1) : 0);
    line.reserve(line.size() + component.size() + message.size() + 3);
    line += component;
    line += ": ";
    // Messages carry strings an unauthenticated peer chose (names, domains,
    // AV pair values): escaped (util/escape.h), so one event stays one line
    // and no peer can forge lines or terminal escapes.
    line += escape_text(message);
    line += '\n';
    return line;
}

}  // namespace

bool trace_enabled() {
    const TraceState state = g_state.load(std::memory_order_relaxed);
    if (state == TraceState::unknown) return !current_config_unchecked()->trace.empty();
    return state == TraceState::on;
}

void set_trace_enabled(bool enabled) noexcept {
    const TraceState state = enabled ? TraceState::on : TraceState::off;
    if (g_state.load(std::memory_order_relaxed) != state) g_state.store(state, std::memory_order_relaxed);
}

void trace(std::string_view component, std::string_view message) {
    if (t_trace_depth >= max_trace_depth) return;
    ++t_trace_depth;
    struct Leave {
        ~Leave() { --t_trace_depth; }
    } leave;

    const std::string dest = current_config_unchecked()->trace;
    if (dest.empty()) return;
    static TraceSink sink;
    sink.write(dest, format_line(component, message));
}

std::string trace_hex_prefix(ByteView data, size_t max) {
    if (data.size() <= max) return to_hex(data);
    return to_hex(data.first(max)) + "... (" + std::to_string(data.size()) + " bytes)";
}

}  // namespace gssneg
