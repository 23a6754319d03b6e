#include "util/bytes.h"

#include <stdexcept>

namespace gssneg {

void ByteReader::short_read() const {
    throw DecodeError(m_error);
}

uint64_t ByteReader::u64le() {
    need(8);
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(m_data[m_pos + i]) << (8 * i);
    m_pos += 8;
    return v;
}

uint16_t ByteReader::u16be() {
    need(2);
    const uint16_t v = static_cast<uint16_t>((m_data[m_pos] << 8) | m_data[m_pos + 1]);
    m_pos += 2;
    return v;
}

uint32_t ByteReader::u32be() {
    need(4);
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | m_data[m_pos + i];
    m_pos += 4;
    return v;
}

ByteView ByteReader::rest() noexcept {
    const ByteView v = m_data.subspan(m_pos);
    m_pos = m_data.size();
    return v;
}

void ByteReader::assert_done() const {
    if (!empty()) throw DecodeError(Minor::trailing_data);
}

void ByteWriter::u16le(uint16_t v) {
    m_out.push_back(static_cast<uint8_t>(v));
    m_out.push_back(static_cast<uint8_t>(v >> 8));
}

void ByteWriter::u32le(uint32_t v) {
    for (int i = 0; i < 4; ++i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64le(uint64_t v) {
    for (int i = 0; i < 8; ++i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::u16be(uint16_t v) {
    m_out.push_back(static_cast<uint8_t>(v >> 8));
    m_out.push_back(static_cast<uint8_t>(v));
}

void ByteWriter::u32be(uint32_t v) {
    for (int i = 3; i >= 0; --i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::patch_u16le(size_t pos, uint16_t v) {
    if (pos + 2 > m_out.size()) throw std::out_of_range("ByteWriter::patch_u16le");
    m_out[pos] = static_cast<uint8_t>(v);
    m_out[pos + 1] = static_cast<uint8_t>(v >> 8);
}

void ByteWriter::patch_u32le(size_t pos, uint32_t v) {
    if (pos + 4 > m_out.size()) throw std::out_of_range("ByteWriter::patch_u32le");
    for (size_t i = 0; i < 4; ++i) m_out[pos + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string to_hex(ByteView data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (const uint8_t b : data) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<Bytes> parse_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    Bytes out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]);
        const int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<uint8_t>((hi << 4) | lo));
    }
    return out;
}

Bytes from_hex(std::string_view hex) {
    auto bytes = parse_hex(hex);
    if (!bytes) throw std::invalid_argument("not a hex string");
    return std::move(*bytes);
}

}  // namespace gssneg
