// The framing every NTLM message shares (MS-NLMP 2.2.1): the signature, the
// MessageType, and payload fields described by (Len, MaxLen, Offset) in the
// fixed header and stored after it. Also the two string encodings of the
// messages.
#pragma once

#include "util/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace gssneg::ntlm {

inline constexpr std::array<uint8_t, 8> ntlmssp_signature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
inline constexpr size_t max_message_size = 64 * 1024;

namespace message_type {
inline constexpr uint32_t negotiate = 1;
inline constexpr uint32_t challenge = 2;
inline constexpr uint32_t authenticate = 3;
}  // namespace message_type

// Checks the size limit and the signature and returns the MessageType,
// whatever its value.
uint32_t peek_message_type(ByteView token);

// Checks size, signature, MessageType and that the fixed header of
// header_size bytes is there; returns a reader positioned after MessageType.
ByteReader open_message(ByteView token, uint32_t expected_type, size_t header_size);

struct PayloadField {
    uint16_t len = 0;
    uint16_t max_len = 0;
    uint32_t offset = 0;

    static PayloadField parse(ByteReader& r);
    bool empty() const noexcept { return len == 0; }
    // The field's bytes inside the whole message; MaxLen is not used.
    // DecodeError(payload_out_of_bounds) when it runs past the end.
    ByteView resolve(ByteView message) const;
};

// Where the payload begins: the smallest offset of the non-empty fields, or
// the message size when every field is empty or points past the end. The
// optional Version and MIC fields exist exactly when this leaves room for
// them, so they are never read beyond the message.
size_t payload_start(ByteView message, std::initializer_list<PayloadField> fields) noexcept;

// Writes a message: signature and type, then the caller's fixed header with
// placeholders for the payload fields, then the payloads in the order put()
// is called, each field patched to point at its bytes. A field never put
// stays all zero.
class PayloadWriter final {
public:
    explicit PayloadWriter(uint32_t type);

    ByteWriter& header() noexcept { return m_w; }
    // An 8-byte field descriptor at the current header position.
    size_t field();
    // Appends data to the payload. An empty value gets Len 0 and the current
    // payload position as its Offset.
    void put(size_t field, ByteView data);
    // GssError(GSS_S_FAILURE, token_too_large) over max_message_size.
    Bytes finish();

private:
    ByteWriter m_w;
    bool m_in_payload = false;
};

// OEM strings are read as Latin-1. Encoding a character outside Latin-1 (or
// invalid UTF-8) is GssError(GSS_S_BAD_NAME, bad_string_encoding).
std::string oem_to_utf8(ByteView oem);
Bytes utf8_to_oem(std::string_view utf8);

// UTF-16LE when the message's flags have NEGOTIATE_UNICODE, else OEM.
std::string decode_string(ByteView data, bool unicode);
Bytes encode_string(std::string_view utf8, bool unicode);

}  // namespace gssneg::ntlm
