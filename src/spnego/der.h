// Strict DER (X.690 section 10) for the SPNEGO tokens: single-octet tags,
// definite lengths in their shortest form, each bounded by a maximum. Every
// failure is a DecodeError with its own minor code.
#pragma once

#include "spnego/oid.h"
#include "util/bytes.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gssneg::spnego {

namespace tag {

constexpr uint8_t boolean = 0x01;
constexpr uint8_t integer = 0x02;
constexpr uint8_t bit_string = 0x03;
constexpr uint8_t octet_string = 0x04;
constexpr uint8_t object_identifier = 0x06;
constexpr uint8_t enumerated = 0x0a;
constexpr uint8_t general_string = 0x1b;
constexpr uint8_t sequence = 0x30;
// [APPLICATION 0] IMPLICIT, constructed: RFC 2743 3.1 InitialContextToken.
constexpr uint8_t application_0 = 0x60;

// A constructed context-specific tag [n], n below 31 (EXPLICIT tagging, as
// every SPNEGO field uses).
constexpr uint8_t context(uint8_t n) noexcept {
    return static_cast<uint8_t>(0xa0 | n);
}

}  // namespace tag

// The largest element length a reader accepts unless told otherwise.
constexpr size_t default_max_length = 64 * 1024;

struct BitString {
    Bytes bytes;
    uint8_t unused_bits = 0;

    size_t size_in_bits() const noexcept { return bytes.size() * 8 - unused_bits; }
    // Bit n counts from the most significant bit of the first octet
    // (X.690 8.6.2.1); bits past the end read as zero.
    bool bit(size_t n) const noexcept;
};

class DerReader final {
public:
    explicit DerReader(ByteView data, size_t max_length = default_max_length) noexcept
        : m_reader(data, Minor::der_truncated), m_max_length(max_length) {}

    struct Element {
        uint8_t tag;
        ByteView contents;
        ByteView encoding;  // tag, length and contents, as received
    };

    bool empty() const noexcept { return m_reader.empty(); }
    size_t remaining() const noexcept { return m_reader.remaining(); }
    // The tag of the next element, or nullopt at the end. Throws
    // der_high_tag_number for a tag whose number does not fit in one octet.
    std::optional<uint8_t> peek_tag() const;

    // Reads any one element.
    Element next();
    // Reads an element that must have this tag (der_unexpected_tag otherwise)
    // and returns a reader over its contents with the same maximum.
    DerReader expect(uint8_t expected_tag);
    // Like expect, but returns the whole element.
    Element expect_element(uint8_t expected_tag);
    // Reads the next element only when it has this tag.
    std::optional<DerReader> optional(uint8_t expected_tag);

    // Universal types; each reads one whole element with its tag.
    bool boolean();
    int64_t integer();
    int64_t enumerated();
    BitString bit_string();
    // der_bad_size when the contents are outside [min_size, max_size].
    ByteView octet_string(size_t min_size = 0, size_t max_size = SIZE_MAX);
    Oid oid();
    // GeneralString (tag 0x1b): the octets as they are, no character check;
    // der_bad_size when longer than max_size.
    std::string general_string(size_t max_size = SIZE_MAX);

    // Throws der_trailing_data if anything is left unread.
    void assert_done() const;

private:
    size_t read_length();

    ByteReader m_reader;
    size_t m_max_length;
};

// The components of a SEQUENCE whose fields are all EXPLICIT context tagged
// [0] to [last], as every SPNEGO token is: each field at most once, in
// ascending order (X.680 SEQUENCE components come in their defined order).
class ContextFields final {
public:
    ContextFields(DerReader sequence_contents, uint8_t last) noexcept
        : m_sequence(sequence_contents), m_last(last) {}

    struct Field {
        uint8_t number;
        DerReader contents;
    };

    // The next field, or nullopt once the sequence is read. Throws
    // der_unexpected_tag for a component that is not one of [0]..[last] and
    // der_field_order for a field that repeats or comes after a later one.
    std::optional<Field> next();

private:
    DerReader m_sequence;
    uint8_t m_last;
    int m_previous = -1;
};

class DerWriter final {
public:
    DerWriter() = default;

    // One element with the given contents.
    void element(uint8_t tag, ByteView contents);
    // Room for this many octets, so that a token is built in one buffer.
    explicit DerWriter(size_t capacity) { m_out.reserve(capacity); }

    // One element whose contents fill() writes in place, after the tag; the
    // length goes in front of them once they are known (short form in the
    // octet kept for it, long form by moving the contents up).
    template <typename F>
    void nested(uint8_t tag, F&& fill) {
        const size_t start = open(tag);
        fill(*this);
        close(start);
    }
    // Octets that are already DER, copied as they are.
    void raw(ByteView encoded) { m_out.insert(m_out.end(), encoded.begin(), encoded.end()); }

    void boolean(bool value);
    void integer(int64_t value);
    void enumerated(int64_t value);
    void bit_string(const BitString& value);
    void octet_string(ByteView value) { element(tag::octet_string, value); }
    void oid(const Oid& value) { element(tag::object_identifier, value.bytes()); }
    void general_string(std::string_view value) { element(tag::general_string, as_bytes(value)); }

    const Bytes& data() const noexcept { return m_out; }
    Bytes take() noexcept { return std::move(m_out); }

private:
    size_t open(uint8_t tag);
    void close(size_t start);
    void length(size_t n);
    void signed_contents(uint8_t tag, int64_t value);

    Bytes m_out;
};

}  // namespace gssneg::spnego
