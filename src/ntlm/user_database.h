// The NTLM user database: a text file in either of the formats the
// ecosystem uses, cached per path and re-read when the file changes.
//
//   DOMAIN:user:password               (gss-ntlmssp's NTLM_USER_FILE; the
//                                       password is the rest of the line and
//                                       may contain ':'; DOMAIN may be empty)
//   [DOMAIN\]user:uid:LMHASH:NTHASH:[flags]:LCT-...:   (smbpasswd)
//
// Blank lines and lines starting with '#' are ignored. An smbpasswd LM hash
// of all 'X' or "NO PASSWORD..." means none. A line is smbpasswd when it has
// at least 4 ':'-separated fields, the second all digits and the fourth 32
// hex digits (or all 'X'); otherwise it is the three-field form.
#pragma once

#include "util/secure.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gssneg::ntlm {

// A three-field line's password is hashed as the line is read and kept in
// no other form: the file's text is held in a buffer that wipes itself, and
// the entry has the hashes only.
struct UserEntry {
    std::string domain;            // as written; empty matches any domain
    std::string user;
    Key16 nt_hash;                 // always set
    std::optional<Key16> lm_hash;  // from smbpasswd, or LMOWFv1(password)
                                   // when the password is at most 14 chars
    std::optional<uint32_t> uid;   // smbpasswd only
};

class UserDatabase final {
public:
    // Parses file contents. Malformed lines are skipped (counted in
    // skipped_lines()); the result may be empty.
    static std::vector<UserEntry> parse(std::string_view text, size_t* skipped_lines = nullptr);

    // The process-wide cached database for a path: the same object for the
    // same path, so many contexts share one parse.
    static std::shared_ptr<UserDatabase> shared(const std::string& path);

    // How often the file is looked at (stat) for changes.
    static constexpr std::chrono::milliseconds default_check_interval{1000};

    explicit UserDatabase(std::string path, std::chrono::milliseconds check_interval = default_check_interval);

    // Finds a user: user names compare case-insensitively (ASCII and the
    // letters to_upper_utf8 knows), domains case-insensitively (ASCII). An
    // entry whose domain equals the requested domain wins over one with an
    // empty domain; a request with an empty domain matches the first entry
    // with that user name. The file is read on first use and re-read when a
    // look (at most one per check interval, whichever thread is first) finds
    // its mtime, size or inode changed; so a change is seen within one
    // interval. Between looks, a thread reads its own cached reference to
    // the current parse and writes nothing other threads read. Throws
    // GssError(GSS_S_FAILURE, user_file_unreadable) if the file cannot be
    // read; a failed look is retried on the next call.
    std::optional<UserEntry> find(std::string_view user, std::string_view domain) const;

    // The first entry of the file (used as a default initiator identity).
    std::optional<UserEntry> first() const;

    const std::string& path() const noexcept { return m_path; }

    // One parse of the file.
    struct Snapshot {
        std::vector<UserEntry> entries;
        // Upper-cased user name -> indexes into entries, in file order.
        std::unordered_map<std::string, std::vector<size_t>> by_user;
    };

private:
    // The current parse. The calling thread keeps a reference to it until
    // it next asks a user database, so a replaced parse may outlive the
    // reload in threads that have gone quiet.
    const Snapshot& current() const;

    std::string m_path;
    std::chrono::milliseconds m_interval;
    uint64_t m_id;  // unique per object: keys the per-thread cache

    mutable std::mutex m_mutex;  // guards the members below
    mutable std::shared_ptr<const Snapshot> m_snapshot;
    mutable std::chrono::steady_clock::time_point m_next_check{};
    mutable uint64_t m_mtime_ns = 0;
    mutable uint64_t m_size = 0;
    mutable uint64_t m_inode = 0;
};

}  // namespace gssneg::ntlm
