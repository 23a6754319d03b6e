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

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gssneg::ntlm {

struct UserEntry {
    std::string domain;  // as written; empty matches any domain
    std::string user;
    std::optional<SecureString> password;  // three-field form only
    Key16 nt_hash;                         // always set
    std::optional<Key16> lm_hash;          // from smbpasswd, or LMOWFv1(password)
                                           // when the password is at most 14 chars
    std::optional<uint32_t> uid;           // smbpasswd only
};

class UserDatabase final {
public:
    // Parses file contents. Malformed lines are skipped (counted in
    // skipped_lines()); the result may be empty.
    static std::vector<UserEntry> parse(std::string_view text, size_t* skipped_lines = nullptr);

    // The process-wide cached database for a path: the same object for the
    // same path, so many contexts share one parse.
    static std::shared_ptr<UserDatabase> shared(const std::string& path);

    explicit UserDatabase(std::string path);

    // Finds a user: user names compare case-insensitively (ASCII and the
    // letters to_upper_utf8 knows), domains case-insensitively (ASCII). An
    // entry whose domain equals the requested domain wins over one with an
    // empty domain; a request with an empty domain matches the first entry
    // with that user name. Re-reads the file first if its mtime, size or
    // inode changed since the last read (one stat() per call, made before
    // taking the mutex). Throws GssError(GSS_S_FAILURE,
    // user_file_unreadable) if the file cannot be read.
    std::optional<UserEntry> find(std::string_view user, std::string_view domain) const;

    // The first entry of the file (used as a default initiator identity).
    std::optional<UserEntry> first() const;

    const std::string& path() const noexcept { return m_path; }

private:
    // Re-reads the file unless now (its stat() taken just before locking)
    // shows the same mtime, size and inode as the last read.
    void refresh_locked(const struct stat* now) const;

    std::string m_path;
    mutable std::mutex m_mutex;
    mutable std::vector<UserEntry> m_entries;
    // Upper-cased user name -> indexes into m_entries, in file order.
    mutable std::unordered_map<std::string, std::vector<size_t>> m_by_user;
    mutable bool m_loaded = false;
    mutable uint64_t m_mtime_ns = 0;
    mutable uint64_t m_size = 0;
    mutable uint64_t m_inode = 0;
};

}  // namespace gssneg::ntlm
