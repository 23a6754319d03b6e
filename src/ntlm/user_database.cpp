#include "ntlm/user_database.h"

#include "ntlm/ntlm_crypto.h"
#include "util/errors.h"
#include "util/utf16.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <map>
#include <system_error>

namespace gssneg::ntlm {

namespace {

constexpr size_t hash_hex_len = 32;
constexpr std::string_view no_password_marker = "NO PASSWORD";

std::vector<std::string_view> split_colons(std::string_view line) {
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (;;) {
        const size_t colon = line.find(':', start);
        if (colon == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, colon - start));
        start = colon + 1;
    }
}

bool all_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool is_hex_digit(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_hex_hash(std::string_view s) noexcept {
    if (s.size() != hash_hex_len) return false;
    for (const char c : s)
        if (!is_hex_digit(c)) return false;
    return true;
}

bool is_x_hash(std::string_view s) noexcept {
    return s.size() == hash_hex_len && s.find_first_not_of('X') == std::string_view::npos;
}

// Samba writes "NO PASSWORD" padded with 'X' to 32 characters.
bool is_no_password_hash(std::string_view s) noexcept {
    return s.size() == hash_hex_len && s.starts_with(no_password_marker) &&
           s.find_first_not_of('X', no_password_marker.size()) == std::string_view::npos;
}

bool is_smbpasswd(const std::vector<std::string_view>& fields) {
    if (fields.size() < 4 || !all_digits(fields[1])) return false;
    const std::string_view nt = fields[3];
    return is_hex_hash(nt) || is_x_hash(nt) || is_no_password_hash(nt);
}

uint8_t hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<uint8_t>(c - 'a' + 10);
    return static_cast<uint8_t>(c - 'A' + 10);
}

Key16 parse_hash(std::string_view hex) noexcept {
    Key16 key;
    for (size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<uint8_t>((hex_value(hex[2 * i]) << 4) | hex_value(hex[2 * i + 1]));
    return key;
}

std::optional<uint32_t> parse_uid(std::string_view digits) noexcept {
    uint64_t v = 0;
    for (const char c : digits) {
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > UINT32_MAX) return std::nullopt;
    }
    return static_cast<uint32_t>(v);
}

bool flags_disabled(std::string_view flags) noexcept {
    if (!flags.starts_with('[')) return false;
    const size_t close = flags.find(']');
    const std::string_view letters = flags.substr(1, close == std::string_view::npos ? flags.npos : close - 1);
    return letters.find('D') != std::string_view::npos;
}

// The strict decoding rules of utf16.cpp: shortest form, no surrogates,
// nothing above U+10FFFF.
bool valid_utf8(std::string_view s) noexcept {
    size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<uint8_t>(s[i]);
        size_t len = 0;
        char32_t cp = 0;
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        if ((b0 & 0xe0) == 0xc0) {
            len = 2;
            cp = b0 & 0x1fu;
        } else if ((b0 & 0xf0) == 0xe0) {
            len = 3;
            cp = b0 & 0x0fu;
        } else if ((b0 & 0xf8) == 0xf0) {
            len = 4;
            cp = b0 & 0x07u;
        } else {
            return false;
        }
        if (s.size() - i < len) return false;
        for (size_t k = 1; k < len; ++k) {
            const auto b = static_cast<uint8_t>(s[i + k]);
            if ((b & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3fu);
        }
        static constexpr char32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < shortest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

std::optional<UserEntry> parse_smbpasswd(const std::vector<std::string_view>& fields) {
    const std::string_view lm = fields[2];
    const std::string_view nt = fields[3];
    if (!is_hex_hash(nt)) return std::nullopt;
    if (fields.size() > 4 && flags_disabled(fields[4])) return std::nullopt;
    const bool lm_absent = is_x_hash(lm) || is_no_password_hash(lm);
    if (!lm_absent && !is_hex_hash(lm)) return std::nullopt;
    const auto uid = parse_uid(fields[1]);
    if (!uid) return std::nullopt;

    UserEntry entry;
    const std::string_view name = fields[0];
    const size_t backslash = name.find('\\');
    if (backslash != std::string_view::npos) {
        entry.domain = name.substr(0, backslash);
        entry.user = name.substr(backslash + 1);
    } else {
        entry.user = name;
    }
    if (entry.user.empty() || !valid_utf8(entry.user)) return std::nullopt;
    entry.nt_hash = parse_hash(nt);
    if (!lm_absent) entry.lm_hash = parse_hash(lm);
    entry.uid = uid;
    return entry;
}

std::optional<UserEntry> parse_plain(std::string_view line) {
    const size_t first = line.find(':');
    if (first == std::string_view::npos) return std::nullopt;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) return std::nullopt;

    UserEntry entry;
    entry.domain = line.substr(0, first);
    entry.user = line.substr(first + 1, second - first - 1);
    const std::string_view password = line.substr(second + 1);
    if (entry.user.empty() || !valid_utf8(entry.user) || !valid_utf8(password)) return std::nullopt;
    entry.nt_hash = nt_owf_v1(password);
    if (lm_owf_possible(password)) entry.lm_hash = lm_owf_v1(password);
    return entry;
}

bool is_blank_or_comment(std::string_view line) noexcept {
    const size_t first = line.find_first_not_of(" \t");
    return first == std::string_view::npos || line[first] == '#';
}

struct FileText {
    SecureString text;
    struct stat st {};
};

FileText read_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw GssError(GSS_S_FAILURE, Minor::user_file_unreadable, path + ": " + std::generic_category().message(errno));
    FileText out;
    std::array<char, 4096> buf{};
    bool ok = ::fstat(fd, &out.st) == 0;
    if (ok && out.st.st_size > 0) out.text.reserve(static_cast<size_t>(out.st.st_size));
    while (ok) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        out.text.append(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    const int saved_errno = errno;
    ::close(fd);
    secure_wipe(buf.data(), buf.size());
    if (!ok) throw GssError(GSS_S_FAILURE, Minor::user_file_unreadable, path + ": " + std::generic_category().message(saved_errno));
    return out;
}

uint64_t mtime_ns(const struct stat& st) noexcept {
    return static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u + static_cast<uint64_t>(st.st_mtim.tv_nsec);
}

}  // namespace

std::vector<UserEntry> UserDatabase::parse(std::string_view text, size_t* skipped_lines) {
    std::vector<UserEntry> entries;
    size_t skipped = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (is_blank_or_comment(line)) continue;

        const auto fields = split_colons(line);
        auto entry = is_smbpasswd(fields) ? parse_smbpasswd(fields) : parse_plain(line);
        if (entry)
            entries.push_back(std::move(*entry));
        else
            ++skipped;
    }
    if (skipped_lines != nullptr) *skipped_lines = skipped;
    return entries;
}

std::shared_ptr<UserDatabase> UserDatabase::shared(const std::string& path) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::shared_ptr<UserDatabase>, std::less<>> registry;
    const std::lock_guard lock(registry_mutex);
    auto& slot = registry[path];
    if (!slot) slot = std::make_shared<UserDatabase>(path);
    return slot;
}

namespace {

std::atomic<uint64_t> next_database_id{1};

// The parse a thread last used, and until when it may use it without a
// look: a copy of the database's next-check time, so that every thread's
// copy has expired before any look can replace the parse.
struct ThreadSnapshot {
    uint64_t database = 0;
    std::chrono::steady_clock::time_point until{};
    std::shared_ptr<const UserDatabase::Snapshot> snapshot;
};

}  // namespace

UserDatabase::UserDatabase(std::string path, std::chrono::milliseconds check_interval)
    : m_path(std::move(path)), m_interval(check_interval), m_id(next_database_id.fetch_add(1)) {}

const UserDatabase::Snapshot& UserDatabase::current() const {
    thread_local ThreadSnapshot mine;
    const auto now = std::chrono::steady_clock::now();
    if (mine.database == m_id && now < mine.until) return *mine.snapshot;

    const std::lock_guard lock(m_mutex);
    if (!m_snapshot || now >= m_next_check) {
        struct stat st {};
        const bool unchanged = m_snapshot && ::stat(m_path.c_str(), &st) == 0 && mtime_ns(st) == m_mtime_ns &&
                               static_cast<uint64_t>(st.st_size) == m_size &&
                               static_cast<uint64_t>(st.st_ino) == m_inode;
        if (!unchanged) {
            // Throws for an unreadable file; m_next_check stays where it
            // was, so the next call looks again.
            const FileText file = read_file(m_path);
            auto snapshot = std::make_shared<Snapshot>();
            snapshot->entries = parse(file.text);
            for (size_t i = 0; i < snapshot->entries.size(); ++i)
                snapshot->by_user[to_upper_utf8(snapshot->entries[i].user)].push_back(i);
            m_snapshot = std::move(snapshot);
            m_mtime_ns = mtime_ns(file.st);
            m_size = static_cast<uint64_t>(file.st.st_size);
            m_inode = static_cast<uint64_t>(file.st.st_ino);
        }
        m_next_check = now + m_interval;
    }
    mine.database = m_id;
    mine.until = m_next_check;
    mine.snapshot = m_snapshot;
    return *mine.snapshot;
}

std::optional<UserEntry> UserDatabase::find(std::string_view user, std::string_view domain) const {
    const std::string wanted = to_upper_utf8(user);
    const Snapshot& snapshot = current();
    const auto found = snapshot.by_user.find(wanted);
    if (found == snapshot.by_user.end()) return std::nullopt;
    const UserEntry* any_domain = nullptr;
    for (const size_t index : found->second) {
        const UserEntry& entry = snapshot.entries[index];
        if (domain.empty()) return entry;
        if (iequals_ascii(entry.domain, domain)) return entry;
        if (entry.domain.empty() && any_domain == nullptr) any_domain = &entry;
    }
    if (any_domain != nullptr) return *any_domain;
    return std::nullopt;
}

std::optional<UserEntry> UserDatabase::first() const {
    const Snapshot& snapshot = current();
    if (snapshot.entries.empty()) return std::nullopt;
    return snapshot.entries.front();
}

}  // namespace gssneg::ntlm
