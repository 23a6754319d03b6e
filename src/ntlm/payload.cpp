#include "ntlm/payload.h"

#include "util/errors.h"
#include "util/utf16.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace gssneg::ntlm {

uint32_t peek_message_type(ByteView token) {
    if (token.size() > max_message_size) throw DecodeError(Minor::token_too_large);
    // A short token is "truncated" only while what it has matches the
    // signature; anything else is not NTLM at all.
    const size_t prefix = std::min(token.size(), ntlmssp_signature.size());
    if (!std::equal(token.begin(), token.begin() + static_cast<std::ptrdiff_t>(prefix), ntlmssp_signature.begin()))
        throw DecodeError(Minor::bad_ntlm_signature);
    ByteReader r(token);
    r.skip(ntlmssp_signature.size());
    return r.u32le();
}

ByteReader open_message(ByteView token, uint32_t expected_type, size_t header_size) {
    const uint32_t type = peek_message_type(token);
    if (type != expected_type)
        throw DecodeError(Minor::wrong_message_type,
                          "expected type " + std::to_string(expected_type) + ", got " + std::to_string(type));
    if (token.size() < header_size) throw DecodeError(Minor::token_truncated);
    ByteReader r(token);
    r.skip(ntlmssp_signature.size() + 4);
    return r;
}

PayloadField PayloadField::parse(ByteReader& r) {
    PayloadField f;
    f.len = r.u16le();
    f.max_len = r.u16le();
    f.offset = r.u32le();
    return f;
}

ByteView PayloadField::resolve(ByteView message) const {
    const uint64_t end = uint64_t{offset} + uint64_t{len};
    if (end > message.size()) throw DecodeError(Minor::payload_out_of_bounds);
    return message.subspan(offset, len);
}

size_t payload_start(ByteView message, std::initializer_list<PayloadField> fields) noexcept {
    size_t start = message.size();
    for (const PayloadField& f : fields)
        if (!f.empty()) start = std::min<size_t>(start, f.offset);
    return start;
}

PayloadWriter::PayloadWriter(uint32_t type) {
    m_w.bytes(ntlmssp_signature);
    m_w.u32le(type);
}

size_t PayloadWriter::field() {
    if (m_in_payload) throw std::logic_error("PayloadWriter: header field after payload");
    const size_t pos = m_w.size();
    m_w.zeros(8);
    return pos;
}

void PayloadWriter::put(size_t field, ByteView data) {
    if (data.size() > std::numeric_limits<uint16_t>::max())
        throw GssError(GSS_S_FAILURE, Minor::token_too_large, "payload field over 65535 bytes");
    if (m_w.size() > max_message_size) throw GssError(GSS_S_FAILURE, Minor::token_too_large);
    m_in_payload = true;
    const auto len = static_cast<uint16_t>(data.size());
    m_w.patch_u16le(field, len);
    m_w.patch_u16le(field + 2, len);
    m_w.patch_u32le(field + 4, static_cast<uint32_t>(m_w.size()));
    m_w.bytes(data);
}

Bytes PayloadWriter::finish() {
    if (m_w.size() > max_message_size) throw GssError(GSS_S_FAILURE, Minor::token_too_large);
    return m_w.take();
}

std::string oem_to_utf8(ByteView oem) {
    std::string out;
    out.reserve(oem.size());
    for (const uint8_t b : oem) {
        if (b < 0x80) {
            out.push_back(static_cast<char>(b));
        } else {
            out.push_back(static_cast<char>(0xc0 | (b >> 6)));
            out.push_back(static_cast<char>(0x80 | (b & 0x3f)));
        }
    }
    return out;
}

Bytes utf8_to_oem(std::string_view utf8) {
    const Bytes utf16 = utf8_to_utf16le(utf8);
    Bytes out;
    out.reserve(utf16.size() / 2);
    for (size_t i = 0; i < utf16.size(); i += 2) {
        if (utf16[i + 1] != 0)
            throw GssError(GSS_S_BAD_NAME, Minor::bad_string_encoding, "character outside Latin-1 in an OEM string");
        out.push_back(utf16[i]);
    }
    return out;
}

std::string decode_string(ByteView data, bool unicode) {
    return unicode ? utf16le_to_utf8(data) : oem_to_utf8(data);
}

Bytes encode_string(std::string_view utf8, bool unicode) {
    return unicode ? utf8_to_utf16le(utf8) : utf8_to_oem(utf8);
}

}  // namespace gssneg::ntlm
