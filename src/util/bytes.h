// Bounds-checked readers and writers for wire data. Parsers never index raw
// buffers: every read goes through ByteReader, whose failures throw
// DecodeError (GSS_S_DEFECTIVE_TOKEN).
#pragma once

#include "util/errors.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace gssneg {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class ByteReader final {
public:
    explicit ByteReader(ByteView data, Minor on_error = Minor::token_truncated) noexcept
        : m_data(data), m_error(on_error) {}

    // The readers every parser runs per field are inline.
    uint8_t u8() {
        need(1);
        return m_data[m_pos++];
    }
    uint16_t u16le() {
        need(2);
        const auto v = static_cast<uint16_t>(m_data[m_pos] | (m_data[m_pos + 1] << 8));
        m_pos += 2;
        return v;
    }
    uint32_t u32le() {
        need(4);
        uint32_t v = 0;
        for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(m_data[m_pos + i]) << (8 * i);
        m_pos += 4;
        return v;
    }
    uint64_t u64le();
    uint16_t u16be();
    uint32_t u32be();
    ByteView take(size_t n) {
        need(n);
        const ByteView v = m_data.subspan(m_pos, n);
        m_pos += n;
        return v;
    }
    void skip(size_t n) {
        need(n);
        m_pos += n;
    }

    size_t position() const noexcept { return m_pos; }
    size_t remaining() const noexcept { return m_data.size() - m_pos; }
    bool empty() const noexcept { return remaining() == 0; }
    ByteView rest() noexcept;
    // Throws DecodeError(trailing_data) if anything is left unread.
    void assert_done() const;

private:
    void need(size_t n) const {
        if (n > remaining()) short_read();
    }
    [[noreturn]] void short_read() const;

    ByteView m_data;
    size_t m_pos = 0;
    Minor m_error;
};

class ByteWriter final {
public:
    ByteWriter() = default;
    explicit ByteWriter(size_t reserve) { m_out.reserve(reserve); }

    void u8(uint8_t v) { m_out.push_back(v); }
    void u16le(uint16_t v);
    void u32le(uint32_t v);
    void u64le(uint64_t v);
    void u16be(uint16_t v);
    void u32be(uint32_t v);
    void bytes(ByteView v) { m_out.insert(m_out.end(), v.begin(), v.end()); }
    void zeros(size_t n) { m_out.insert(m_out.end(), n, 0); }

    void patch_u16le(size_t pos, uint16_t v);
    void patch_u32le(size_t pos, uint32_t v);

    size_t size() const noexcept { return m_out.size(); }
    const Bytes& data() const noexcept { return m_out; }
    Bytes take() noexcept { return std::move(m_out); }

private:
    Bytes m_out;
};

std::string to_hex(ByteView data);
// Accepts upper or lower case, no separators; throws std::invalid_argument.
Bytes from_hex(std::string_view hex);
// The same without throwing: nullopt for odd length or a non-hex digit.
std::optional<Bytes> parse_hex(std::string_view hex);

}  // namespace gssneg
