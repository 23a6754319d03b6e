#include "spnego/der.h"

#include <array>

namespace gssneg::spnego {

namespace {

// X.690 8.1.2.4: tag number 31 in the first octet announces the
// high-tag-number form (more tag octets follow).
constexpr uint8_t tag_number_mask = 0x1f;
// X.690 8.1.3.6: 0x80 as the first length octet means "indefinite".
constexpr uint8_t indefinite_length = 0x80;
constexpr uint8_t long_form = 0x80;
// More than four length octets would mean at least 4 GiB: always over any
// limit a caller can set here.
constexpr size_t max_length_octets = 4;

void check_tag(uint8_t t) {
    if ((t & tag_number_mask) == tag_number_mask) throw DecodeError(Minor::der_high_tag_number);
}

std::string tag_hex(uint8_t t) {
    static constexpr char digits[] = "0123456789abcdef";
    return std::string("0x") + digits[t >> 4] + digits[t & 0x0f];
}

// Two's complement, big-endian, minimal (X.690 8.3.2): the first nine bits
// are never all zeros or all ones.
int64_t decode_signed(ByteView contents) {
    if (contents.empty()) throw DecodeError(Minor::der_bad_integer, "no contents octets");
    if (contents.size() > sizeof(int64_t)) throw DecodeError(Minor::der_bad_integer, "wider than 64 bits");
    ByteReader r(contents, Minor::der_bad_integer);
    const uint8_t first = r.u8();
    if (!r.empty()) {
        ByteReader ahead = r;
        const bool next_high = (ahead.u8() & 0x80) != 0;
        if ((first == 0x00 && !next_high) || (first == 0xff && next_high))
            throw DecodeError(Minor::der_bad_integer, "not in its shortest form");
    }
    uint64_t value = (first & 0x80) != 0 ? ~uint64_t{0} : 0;
    value = (value << 8) | first;
    while (!r.empty()) value = (value << 8) | r.u8();
    return static_cast<int64_t>(value);
}

}  // namespace

bool BitString::bit(size_t n) const noexcept {
    if (n >= size_in_bits()) return false;
    return (bytes[n / 8] & (0x80u >> (n % 8))) != 0;
}

std::optional<uint8_t> DerReader::peek_tag() const {
    if (m_reader.empty()) return std::nullopt;
    ByteReader ahead = m_reader;
    const uint8_t t = ahead.u8();
    check_tag(t);
    return t;
}

size_t DerReader::read_length() {
    const uint8_t first = m_reader.u8();
    if (first < long_form) return first;
    if (first == indefinite_length) throw DecodeError(Minor::der_indefinite_length);
    const size_t octets = first & 0x7fu;
    if (octets > max_length_octets)
        throw DecodeError(Minor::der_length_over_limit, std::to_string(octets) + " length octets");
    const ByteView length_octets = m_reader.take(octets);
    ByteReader r(length_octets);
    size_t length = 0;
    while (!r.empty()) length = (length << 8) | r.u8();
    // X.690 10.1: "the definite form of length encoding shall be used,
    // encoded in the minimum number of octets".
    if (length < long_form || (length >> (8 * (octets - 1))) == 0)
        throw DecodeError(Minor::der_non_minimal_length);
    return length;
}

DerReader::Element DerReader::next() {
    const ByteReader start = m_reader;
    const uint8_t t = m_reader.u8();
    check_tag(t);
    const size_t length = read_length();
    if (length > m_max_length)
        throw DecodeError(Minor::der_length_over_limit,
                          std::to_string(length) + " > " + std::to_string(m_max_length) + " octets");
    if (length > m_reader.remaining())
        throw DecodeError(Minor::der_length_past_end,
                          std::to_string(length) + " octets claimed, " + std::to_string(m_reader.remaining()) + " left");
    const ByteView contents = m_reader.take(length);
    ByteReader whole = start;
    return {t, contents, whole.take(m_reader.position() - start.position())};
}

DerReader::Element DerReader::expect_element(uint8_t expected_tag) {
    const std::optional<uint8_t> t = peek_tag();
    if (!t) throw DecodeError(Minor::der_truncated, "expected tag " + tag_hex(expected_tag) + " at the end");
    if (*t != expected_tag)
        throw DecodeError(Minor::der_unexpected_tag, "expected " + tag_hex(expected_tag) + ", got " + tag_hex(*t));
    return next();
}

DerReader DerReader::expect(uint8_t expected_tag) {
    return DerReader(expect_element(expected_tag).contents, m_max_length);
}

std::optional<DerReader> DerReader::optional(uint8_t expected_tag) {
    if (peek_tag() != expected_tag) return std::nullopt;
    return expect(expected_tag);
}

bool DerReader::boolean() {
    ByteReader r(expect_element(tag::boolean).contents, Minor::der_bad_boolean);
    const uint8_t value = r.u8();
    // X.690 11.1: TRUE is all ones in DER.
    if (!r.empty() || (value != 0x00 && value != 0xff)) throw DecodeError(Minor::der_bad_boolean);
    return value != 0;
}

int64_t DerReader::integer() {
    return decode_signed(expect_element(tag::integer).contents);
}

int64_t DerReader::enumerated() {
    return decode_signed(expect_element(tag::enumerated).contents);
}

BitString DerReader::bit_string() {
    ByteReader r(expect_element(tag::bit_string).contents, Minor::der_bad_bit_string);
    BitString out;
    out.unused_bits = r.u8();
    const ByteView bits = r.rest();
    out.bytes.assign(bits.begin(), bits.end());
    // X.690 8.6.2.2-3: at most seven unused bits, none without octets.
    if (out.unused_bits > 7 || (out.bytes.empty() && out.unused_bits != 0))
        throw DecodeError(Minor::der_bad_bit_string, "unused-bits count " + std::to_string(out.unused_bits));
    // X.690 11.2.1: "Each unused bit in the final octet ... shall be set to zero."
    if (!out.bytes.empty() && (out.bytes.back() & ((1u << out.unused_bits) - 1)) != 0)
        throw DecodeError(Minor::der_bad_bit_string, "non-zero unused bits");
    return out;
}

ByteView DerReader::octet_string(size_t min_size, size_t max_size) {
    const ByteView contents = expect_element(tag::octet_string).contents;
    if (contents.size() < min_size || contents.size() > max_size)
        throw DecodeError(Minor::der_bad_size, "OCTET STRING of " + std::to_string(contents.size()) + " octets");
    return contents;
}

Oid DerReader::oid() {
    return Oid(expect_element(tag::object_identifier).contents);
}

std::string DerReader::general_string(size_t max_size) {
    const ByteView contents = expect_element(tag::general_string).contents;
    if (contents.size() > max_size)
        throw DecodeError(Minor::der_bad_size, "GeneralString of " + std::to_string(contents.size()) + " octets");
    return {contents.begin(), contents.end()};
}

void DerReader::assert_done() const {
    if (!m_reader.empty())
        throw DecodeError(Minor::der_trailing_data, std::to_string(m_reader.remaining()) + " octets left");
}

std::optional<ContextFields::Field> ContextFields::next() {
    const std::optional<uint8_t> t = m_sequence.peek_tag();
    if (!t) return std::nullopt;
    const uint8_t number = *t & tag_number_mask;
    if (*t != tag::context(number) || number > m_last)
        throw DecodeError(Minor::der_unexpected_tag, "unknown field " + tag_hex(*t));
    if (number <= m_previous)
        throw DecodeError(Minor::der_field_order,
                          "[" + std::to_string(number) + "] after [" + std::to_string(m_previous) + "]");
    m_previous = number;
    return Field{number, m_sequence.expect(*t)};
}

void DerWriter::length(size_t n) {
    if (n < long_form) {
        m_out.push_back(static_cast<uint8_t>(n));
        return;
    }
    size_t octets = 1;
    while (octets < sizeof n && (n >> (8 * octets)) != 0) ++octets;
    m_out.push_back(static_cast<uint8_t>(long_form | octets));
    for (size_t i = octets; i > 0; --i) m_out.push_back(static_cast<uint8_t>(n >> (8 * (i - 1))));
}

size_t DerWriter::open(uint8_t t) {
    m_out.push_back(t);
    m_out.push_back(0);  // the length, or its first octet
    return m_out.size();
}

void DerWriter::close(size_t start) {
    const size_t n = m_out.size() - start;
    if (n < long_form) {
        m_out[start - 1] = static_cast<uint8_t>(n);
        return;
    }
    size_t octets = 1;
    while (octets < sizeof n && (n >> (8 * octets)) != 0) ++octets;
    m_out[start - 1] = static_cast<uint8_t>(long_form | octets);
    std::array<uint8_t, sizeof n> be{};
    for (size_t i = 0; i < octets; ++i) be[i] = static_cast<uint8_t>(n >> (8 * (octets - 1 - i)));
    m_out.insert(m_out.begin() + static_cast<std::ptrdiff_t>(start), be.begin(),
                 be.begin() + static_cast<std::ptrdiff_t>(octets));
}

void DerWriter::element(uint8_t t, ByteView contents) {
    m_out.push_back(t);
    length(contents.size());
    raw(contents);
}

void DerWriter::signed_contents(uint8_t t, int64_t value) {
    const auto bits = static_cast<uint64_t>(value);
    size_t octets = sizeof bits;
    // Drop a leading octet while it only repeats the sign of the next one.
    while (octets > 1) {
        const auto top = static_cast<uint8_t>(bits >> (8 * (octets - 1)));
        const bool next_high = ((bits >> (8 * (octets - 1) - 1)) & 1) != 0;
        if (!((top == 0x00 && !next_high) || (top == 0xff && next_high))) break;
        --octets;
    }
    std::array<uint8_t, sizeof bits> contents{};
    for (size_t i = 0; i < octets; ++i) contents[i] = static_cast<uint8_t>(bits >> (8 * (octets - 1 - i)));
    element(t, ByteView(contents.data(), octets));
}

void DerWriter::boolean(bool value) {
    const uint8_t contents[] = {value ? uint8_t{0xff} : uint8_t{0x00}};
    element(tag::boolean, contents);
}

void DerWriter::integer(int64_t value) {
    signed_contents(tag::integer, value);
}

void DerWriter::enumerated(int64_t value) {
    signed_contents(tag::enumerated, value);
}

void DerWriter::bit_string(const BitString& value) {
    nested(tag::bit_string, [&](DerWriter& w) {
        w.m_out.push_back(value.unused_bits);
        w.raw(value.bytes);
    });
}

}  // namespace gssneg::spnego
