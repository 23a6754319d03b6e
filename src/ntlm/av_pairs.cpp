#include "ntlm/av_pairs.h"

#include "util/errors.h"
#include "util/utf16.h"

#include <algorithm>
#include <bitset>
#include <cstdio>
#include <limits>

namespace gssneg::ntlm {

const char* av_id_name(uint16_t id) noexcept {
    switch (static_cast<AvId>(id)) {
    case AvId::eol: return "MsvAvEOL";
    case AvId::nb_computer_name: return "MsvAvNbComputerName";
    case AvId::nb_domain_name: return "MsvAvNbDomainName";
    case AvId::dns_computer_name: return "MsvAvDnsComputerName";
    case AvId::dns_domain_name: return "MsvAvDnsDomainName";
    case AvId::dns_tree_name: return "MsvAvDnsTreeName";
    case AvId::flags: return "MsvAvFlags";
    case AvId::timestamp: return "MsvAvTimestamp";
    case AvId::single_host: return "MsvAvSingleHost";
    case AvId::target_name: return "MsvAvTargetName";
    case AvId::channel_bindings: return "MsvAvChannelBindings";
    }
    return "unknown";
}

AvPairs::AvPairs(ByteView data) {
    ByteReader r(data, Minor::av_pair_malformed);
    // One bit per possible AvId (they are 16-bit): a repeat is found with
    // one lookup, so a long list costs time linear in its length.
    std::bitset<std::numeric_limits<uint16_t>::max() + size_t{1}> seen;
    while (true) {
        if (r.empty()) throw DecodeError(Minor::av_pair_missing_eol);
        const uint16_t id = r.u16le();
        const uint16_t len = r.u16le();
        if (id == static_cast<uint16_t>(AvId::eol)) {
            // MS-NLMP 2.2.2.1: MsvAvEOL "indicates that this is the last
            // AV_PAIR in the list"; its AvLen must be 0.
            if (len != 0) throw DecodeError(Minor::av_pair_malformed, "MsvAvEOL with a value");
            return;
        }
        const ByteView value = r.take(len);
        // MS-NLMP 2.2.2.1: "An AV_PAIR structure can occur only once in the
        // AV_PAIR array."
        if (seen.test(id)) throw DecodeError(Minor::av_pair_duplicate, av_id_name(id));
        seen.set(id);
        m_entries.push_back(Entry{id, Bytes(value.begin(), value.end())});
    }
}

Bytes AvPairs::serialize() const {
    ByteWriter w;
    for (const Entry& e : m_entries) {
        w.u16le(e.id);
        w.u16le(static_cast<uint16_t>(e.value.size()));
        w.bytes(e.value);
    }
    w.u16le(static_cast<uint16_t>(AvId::eol));
    w.u16le(0);
    return w.take();
}

std::optional<ByteView> AvPairs::find(AvId id) const noexcept {
    for (const Entry& e : m_entries)
        if (e.id == static_cast<uint16_t>(id)) return ByteView(e.value);
    return std::nullopt;
}

void AvPairs::set(AvId id, ByteView value) {
    if (id == AvId::eol) throw GssError(GSS_S_FAILURE, Minor::internal_error, "MsvAvEOL is not an entry");
    if (value.size() > std::numeric_limits<uint16_t>::max())
        throw GssError(GSS_S_FAILURE, Minor::internal_error, "AV pair value over 65535 bytes");
    for (Entry& e : m_entries) {
        if (e.id == static_cast<uint16_t>(id)) {
            e.value.assign(value.begin(), value.end());
            return;
        }
    }
    m_entries.push_back(Entry{static_cast<uint16_t>(id), Bytes(value.begin(), value.end())});
}

void AvPairs::remove(AvId id) noexcept {
    std::erase_if(m_entries, [id](const Entry& e) { return e.id == static_cast<uint16_t>(id); });
}

std::optional<std::string> AvPairs::string(AvId id) const {
    const auto v = find(id);
    if (!v) return std::nullopt;
    return utf16le_to_utf8(*v);
}

void AvPairs::set_string(AvId id, std::string_view utf8) {
    set(id, utf8_to_utf16le(utf8));
}

std::optional<uint32_t> AvPairs::flags() const {
    const auto v = find(AvId::flags);
    if (!v) return std::nullopt;
    if (v->size() != 4) throw DecodeError(Minor::av_pair_malformed, "MsvAvFlags is not 4 bytes");
    ByteReader r(*v);
    return r.u32le();
}

void AvPairs::set_flags(uint32_t value) {
    ByteWriter w;
    w.u32le(value);
    set(AvId::flags, w.data());
}

std::optional<uint64_t> AvPairs::timestamp() const {
    const auto v = find(AvId::timestamp);
    if (!v) return std::nullopt;
    if (v->size() != 8) throw DecodeError(Minor::av_pair_malformed, "MsvAvTimestamp is not 8 bytes");
    ByteReader r(*v);
    return r.u64le();
}

void AvPairs::set_timestamp(uint64_t filetime) {
    ByteWriter w;
    w.u64le(filetime);
    set(AvId::timestamp, w.data());
}

std::string AvPairs::describe() const {
    std::string out;
    for (const Entry& e : m_entries) {
        if (!out.empty()) out += ' ';
        out += av_id_name(e.id);
        out += '=';
        switch (static_cast<AvId>(e.id)) {
        case AvId::nb_computer_name:
        case AvId::nb_domain_name:
        case AvId::dns_computer_name:
        case AvId::dns_domain_name:
        case AvId::dns_tree_name:
        case AvId::target_name:
            if (const auto text = decode_utf16le(e.value))
                out += '"' + *text + '"';
            else
                out += "(invalid UTF-16)";
            break;
        case AvId::flags:
            if (e.value.size() == 4) {
                char buf[16];
                std::snprintf(buf, sizeof buf, "0x%08x", e.value[0] | e.value[1] << 8 | e.value[2] << 16 |
                                                             static_cast<uint32_t>(e.value[3]) << 24);
                out += buf;
                break;
            }
            [[fallthrough]];
        case AvId::timestamp:
            if (e.value.size() == 8) {
                uint64_t t = 0;
                for (size_t i = 0; i < 8; ++i) t |= static_cast<uint64_t>(e.value[i]) << (8 * i);
                out += std::to_string(t);
                break;
            }
            [[fallthrough]];
        default: out += '(' + std::to_string(e.value.size()) + " bytes)";
        }
    }
    return out;
}

}  // namespace gssneg::ntlm
