// AV_PAIR lists (MS-NLMP 2.2.2.1): the CHALLENGE's TargetInfo and the
// NTLMv2 client blob's copy of it.
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gssneg::ntlm {

enum class AvId : uint16_t {
    eol = 0,
    nb_computer_name = 1,
    nb_domain_name = 2,
    dns_computer_name = 3,
    dns_domain_name = 4,
    dns_tree_name = 5,
    flags = 6,
    timestamp = 7,
    single_host = 8,
    target_name = 9,
    channel_bindings = 10,
};

// MsvAvFlags bits (MS-NLMP 2.2.2.1).
namespace av_flag {
inline constexpr uint32_t account_constrained = 0x1;
inline constexpr uint32_t mic_present = 0x2;
inline constexpr uint32_t spn_untrusted = 0x4;
}  // namespace av_flag

const char* av_id_name(uint16_t id) noexcept;
// MsvAvNbComputerName ... MsvAvDnsTreeName: the names a server announces.
constexpr bool is_server_name(uint16_t id) noexcept {
    return id >= static_cast<uint16_t>(AvId::nb_computer_name) && id <= static_cast<uint16_t>(AvId::dns_tree_name);
}

class AvPairs final {
public:
    struct Entry {
        uint16_t id;
        Bytes value;
    };

    AvPairs() = default;
    // Parses a list that must end with MsvAvEOL. Bytes after the EOL are
    // ignored (peers pad the NTLMv2 blob). A repeated attribute is
    // DecodeError(av_pair_duplicate); a missing EOL av_pair_missing_eol; an
    // entry running past the end av_pair_malformed.
    explicit AvPairs(ByteView data);

    // Writes every entry then MsvAvEOL.
    Bytes serialize() const;

    bool empty() const noexcept { return m_entries.empty(); }
    const std::vector<Entry>& entries() const noexcept { return m_entries; }

    std::optional<ByteView> find(AvId id) const noexcept;
    bool contains(AvId id) const noexcept { return find(id).has_value(); }
    // Replaces an existing entry in place or appends a new one.
    void set(AvId id, ByteView value);
    void remove(AvId id) noexcept;

    // UTF-16LE string values (names, MsvAvTargetName), decoded to UTF-8.
    std::optional<std::string> string(AvId id) const;
    void set_string(AvId id, std::string_view utf8);
    // MsvAvFlags (4 bytes LE) and MsvAvTimestamp (FILETIME, 8 bytes LE);
    // DecodeError(av_pair_malformed) when the value has the wrong size.
    std::optional<uint32_t> flags() const;
    void set_flags(uint32_t flags);
    std::optional<uint64_t> timestamp() const;
    void set_timestamp(uint64_t filetime);

    // One line for traces: every entry by name, with names and the SPN as
    // text, MsvAvFlags in hex, the timestamp as a FILETIME number, other
    // values by size only.
    std::string describe() const;

private:
    std::vector<Entry> m_entries;
};

}  // namespace gssneg::ntlm
