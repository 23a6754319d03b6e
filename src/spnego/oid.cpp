#include "spnego/oid.h"

#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace gssneg::spnego {

namespace {

// Seven bits per octet: an arc of up to 64 bits takes at most ten octets,
// and the tenth may carry only the top bit.
constexpr size_t max_arc_octets = 10;

// Splits the contents into arcs, calling on_arc(value) for each; the first
// value holds the first two arcs together (X.690 8.19.4).
template <typename F>
const char* for_each_subidentifier(ByteView contents, F&& on_arc) {
    // Returns what is wrong with the octets, or nullptr; never throws.
    if (contents.empty()) return "empty OBJECT IDENTIFIER";
    ByteReader r(contents, Minor::der_bad_oid);
    while (!r.empty()) {
        uint64_t value = 0;
        size_t octets = 0;
        uint8_t octet = 0;
        do {
            octet = r.u8();  // never past the end: the loop checks first
            if (octets == 0 && octet == 0x80) return "arc with a leading 0x80 octet";
            ++octets;
            if (octets > max_arc_octets || (octets == max_arc_octets && (value >> 57) != 0))
                return "arc larger than 64 bits";
            value = (value << 7) | (octet & 0x7fu);
        } while ((octet & 0x80) != 0 && !r.empty());
        if ((octet & 0x80) != 0) return "last octet has its high bit set";
        on_arc(value);
    }
    return nullptr;
}

void append_base128(Bytes& out, uint64_t value) {
    uint8_t groups[max_arc_octets];
    size_t n = 0;
    do {
        groups[n++] = static_cast<uint8_t>(value & 0x7f);
        value >>= 7;
    } while (value != 0);
    while (n > 1) out.push_back(static_cast<uint8_t>(groups[--n] | 0x80));
    out.push_back(groups[0]);
}

uint64_t parse_arc(std::string_view text) {
    uint64_t value = 0;
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || (text.size() > 1 && text.front() == '0'))
        throw std::invalid_argument("bad OID arc: \"" + std::string(text) + "\"");
    return value;
}

}  // namespace

bool valid_oid_contents(ByteView der_contents) noexcept {
    return for_each_subidentifier(der_contents, [](uint64_t) {}) == nullptr;
}

void validate_oid_contents(ByteView der_contents) {
    if (const char* problem = for_each_subidentifier(der_contents, [](uint64_t) {}))
        throw DecodeError(Minor::der_bad_oid, problem);
}

Oid::Oid(ByteView der_contents) : m_bytes(der_contents.begin(), der_contents.end()) {
    validate_oid_contents(m_bytes);
}

Oid Oid::from_string(std::string_view dotted) {
    std::vector<uint64_t> arcs;
    size_t start = 0;
    while (true) {
        const size_t dot = dotted.find('.', start);
        arcs.push_back(parse_arc(dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start)));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    // X.690 8.19.4: the first two arcs share one subidentifier, 40 * X + Y,
    // with X in 0..2 and Y below 40 unless X is 2.
    if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) || arcs[1] > UINT64_MAX - 80)
        throw std::invalid_argument("bad OID: \"" + std::string(dotted) + "\"");
    Oid oid;
    append_base128(oid.m_bytes, arcs[0] * 40 + arcs[1]);
    for (size_t i = 2; i < arcs.size(); ++i) append_base128(oid.m_bytes, arcs[i]);
    return oid;
}

std::string Oid::to_string() const {
    std::string out;
    for_each_subidentifier(m_bytes, [&](uint64_t value) {
        if (out.empty()) {
            const uint64_t first = value < 80 ? value / 40 : 2;
            out = std::to_string(first) + "." + std::to_string(value - first * 40);
        } else {
            out += "." + std::to_string(value);
        }
    });
    return out;
}

namespace oids {

const Oid& spnego() {
    static const Oid oid = Oid::from_string("1.3.6.1.5.5.2");
    return oid;
}

const Oid& kerberos() {
    static const Oid oid = Oid::from_string("1.2.840.113554.1.2.2");
    return oid;
}

const Oid& ms_kerberos() {
    static const Oid oid = Oid::from_string("1.2.840.48018.1.2.2");
    return oid;
}

const Oid& ntlm() {
    static const Oid oid = Oid::from_string("1.3.6.1.4.1.311.2.2.10");
    return oid;
}

const Oid& negoex() {
    static const Oid oid = Oid::from_string("1.3.6.1.4.1.311.2.2.30");
    return oid;
}

const Oid& iakerb() {
    static const Oid oid = Oid::from_string("1.3.6.1.5.2.5");
    return oid;
}

}  // namespace oids

const char* oid_name(const Oid& oid) noexcept {
    if (oid == oids::kerberos()) return "Kerberos 5";
    if (oid == oids::ms_kerberos()) return "Kerberos 5 (Microsoft)";
    if (oid == oids::ntlm()) return "NTLMSSP";
    if (oid == oids::spnego()) return "SPNEGO";
    if (oid == oids::negoex()) return "NegoEx";
    if (oid == oids::iakerb()) return "IAKERB";
    return nullptr;
}

std::string describe(const Oid& oid) {
    const char* name = oid_name(oid);
    return name != nullptr ? std::string(name) + " (" + oid.to_string() + ")" : oid.to_string();
}

bool is_kerberos(const Oid& oid) noexcept {
    return oid == oids::kerberos() || oid == oids::ms_kerberos();
}

}  // namespace gssneg::spnego
