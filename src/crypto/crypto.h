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
// The same written straight into out, for keys: no copy is left behind in
// a temporary.
void md4(ByteView data, std::span<uint8_t, 16> out);
void md5(std::initializer_list<ByteView> parts, std::span<uint8_t, 16> out);
void hmac_md5(ByteView key, std::initializer_list<ByteView> parts, std::span<uint8_t, 16> out);

class HmacMd5Run;

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
    // Into out (for MACs that are keys, such as NTOWFv2).
    void mac(std::span<const ByteView> parts, std::span<uint8_t, 16> out) const;

private:
    friend class HmacMd5Run;
    struct State;
    std::unique_ptr<State> m_state;
};

// A keyed RC4 stream; successive calls continue the keystream.
class Rc4 final {
public:
    // OpenSSL's RC4, or the in-tree one (crypto/fallback.h), which
    // HmacMd5Run can run stitched with MD5. Without the legacy provider
    // every stream is in-tree.
    enum class Engine { openssl, in_tree };

    explicit Rc4(ByteView key, Engine engine = Engine::openssl);
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
    friend class HmacMd5Run;
    Rc4() noexcept;
    struct State;
    std::unique_ptr<State> m_state;
};

// One HMAC-MD5 over a message fed in pieces, where a piece may also pass
// through an RC4 stream: NTLM sealing (MS-NLMP 3.4.3) MACs the plaintext and
// encrypts it. With an in-tree stream, bulk data is hashed and ciphered in one
// stitched loop (Rc4State::process_with_md5), faster than two passes
// (docs/performance.md); with an OpenSSL stream the passes are separate. The
// results are the same either way.
class HmacMd5Run final {
public:
    explicit HmacMd5Run(const HmacMd5& key);
    ~HmacMd5Run();
    HmacMd5Run(const HmacMd5Run&) = delete;
    HmacMd5Run& operator=(const HmacMd5Run&) = delete;

    void update(ByteView data);
    // Sealing: hashes in (the plaintext) and writes RC4(in) to out.
    // Unsealing: writes RC4(in) to out and hashes out (the plaintext).
    // in and out have the same size and are the same buffer or do not
    // overlap.
    void update_then_rc4(ByteView in, std::span<uint8_t> out, Rc4& rc4);
    void rc4_then_update(ByteView in, std::span<uint8_t> out, Rc4& rc4);
    // The MAC; the run cannot be used afterwards.
    Digest16 finish();

private:
    size_t to_block_boundary() const noexcept { return (m_block.size() - m_fill) % m_block.size(); }
    void check_usable() const;

    std::array<uint32_t, 4> m_inner{};
    std::array<uint32_t, 4> m_outer{};
    std::array<uint8_t, 64> m_block{};
    size_t m_fill = 0;
    uint64_t m_length = 0;
    bool m_finished = false;
};

// One-shot RC4 with a fresh key (KEY_EXCH, LM/NTLMv1 key handling).
Bytes rc4_once(ByteView key, ByteView data);

// DES-ECB of one 8-byte block with a 7-byte key expanded to 8 bytes with
// parity bits (MS-NLMP 6, DES()). Throws GssError(crypto_failure) if DES is
// unavailable.
std::array<uint8_t, 8> des_encrypt_block(std::span<const uint8_t, 7> key56,
                                         std::span<const uint8_t, 8> block);
// The same into out (for the LM hash and LM_KEY, whose halves are keys).
void des_encrypt_block(std::span<const uint8_t, 7> key56, std::span<const uint8_t, 8> block,
                       std::span<uint8_t, 8> out);

// CRC-32 (IEEE 802.3, as zlib's crc32) for NTLMv1 signatures. Pass the
// previous result to continue over a message given in parts.
uint32_t crc32(ByteView data, uint32_t previous = 0);

// Cryptographically secure random bytes; throws GssError(crypto_failure).
void random_bytes(std::span<uint8_t> out);

}  // namespace gssneg::crypto
