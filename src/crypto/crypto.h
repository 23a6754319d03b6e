// OpenSSL 3 wrappers for the primitives NTLM needs.
//
// MD4, RC4 and DES live in OpenSSL's legacy provider. It is loaded once per
// process into a private OSSL_LIB_CTX (never the application's default
// context), together with the default provider, and every algorithm is
// fetched once. Where the legacy provider is missing, the in-tree MD4 and RC4
// (crypto/fallback.h) keep NTLM working; DES has no fallback and its absence
// only disables NTLMv1/LM.
#pragma once

#include "util/bytes.h"
#include "util/secure.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>

namespace gssneg::crypto {

using Digest16 = std::array<uint8_t, 16>;

// True when the legacy provider was loaded (MD4/RC4/DES from OpenSSL).
bool legacy_provider_loaded() noexcept;
// True when DES-ECB is available (needed for NTLMv1 and LM only).
bool des_available() noexcept;

Digest16 md4(ByteView data);
Digest16 md5(std::initializer_list<ByteView> parts);
Digest16 hmac_md5(ByteView key, std::initializer_list<ByteView> parts);

// HMAC-MD5 keyed once and reused for many messages: the keyed state is set up
// in the constructor, so each mac() is one state copy plus the data.
class HmacMd5 final {
public:
    explicit HmacMd5(ByteView key);
    ~HmacMd5();
    HmacMd5(const HmacMd5&) = delete;
    HmacMd5& operator=(const HmacMd5&) = delete;
    HmacMd5(HmacMd5&&) noexcept;
    HmacMd5& operator=(HmacMd5&&) noexcept;

    Digest16 mac(std::initializer_list<ByteView> parts) const;
    // The same over a run-time list of parts (scatter/gather messages).
    Digest16 mac(std::span<const ByteView> parts) const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// A keyed RC4 stream; successive calls continue the keystream.
class Rc4 final {
public:
    explicit Rc4(ByteView key);
    ~Rc4();
    Rc4(const Rc4&) = delete;
    Rc4& operator=(const Rc4&) = delete;
    Rc4(Rc4&&) noexcept;
    Rc4& operator=(Rc4&&) noexcept;

    // in and out may be the same buffer; sizes must match.
    void process(ByteView in, std::span<uint8_t> out);
    void process_inplace(std::span<uint8_t> data) { process(data, data); }
    // An independent copy at the same keystream position (to peek ahead).
    Rc4 clone() const;

private:
    Rc4() noexcept;
    struct State;
    std::unique_ptr<State> m_state;
};

// One-shot RC4 with a fresh key (KEY_EXCH, LM/NTLMv1 key handling).
Bytes rc4_once(ByteView key, ByteView data);

// DES-ECB of one 8-byte block with a 7-byte key expanded to 8 bytes with
// parity bits (MS-NLMP 6, DES()). Throws GssError(crypto_failure) if DES is
// unavailable.
std::array<uint8_t, 8> des_encrypt_block(std::span<const uint8_t, 7> key56,
                                         std::span<const uint8_t, 8> block);

// CRC-32 (IEEE 802.3, as zlib's crc32) for NTLMv1 signatures. Pass the
// previous result to continue over a message given in parts.
uint32_t crc32(ByteView data, uint32_t previous = 0);

// Cryptographically secure random bytes; throws GssError(crypto_failure).
void random_bytes(std::span<uint8_t> out);

}  // namespace gssneg::crypto
