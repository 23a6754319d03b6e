// In-tree MD4 (RFC 1320), RC4 and MD5 compression (RFC 1321).
//
// MD4 and RC4 stand in for OpenSSL's legacy provider when it cannot be
// loaded; the unit tests also call them directly so that both paths are
// checked against the same vectors. RC4 and MD5 compression also make up the
// stitched loop (Rc4State::process_with_md5) with which NTLM seals and
// unseals under extended session security: see crypto/rc4_md5.cpp.
#pragma once

#include "util/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gssneg::crypto::fallback {

std::array<uint8_t, 16> md4(ByteView data) noexcept;

// The MD5 chaining value A, B, C, D (RFC 1321 3.3).
using Md5Chain = std::array<uint32_t, 4>;

// The MD5 compression function (RFC 1321 3.4) over whole 64-byte blocks.
void md5_compress(Md5Chain& chain, const uint8_t* data, size_t blocks) noexcept;

class Rc4State final {
public:
    // key must be 1..256 bytes; throws GssError(crypto_failure) otherwise.
    explicit Rc4State(ByteView key);
    ~Rc4State();
    Rc4State(const Rc4State&) noexcept = default;
    Rc4State& operator=(const Rc4State&) noexcept = default;

    // in and out may be the same buffer; sizes must match.
    void process(ByteView in, std::span<uint8_t> out);

    // RC4 of chunks * 64 bytes from in to out while MD5 compresses as many
    // 64-byte blocks read from md5_data, in one loop that interleaves an MD5
    // step with each RC4 step. The stream must be at a chunk boundary
    // (bytes_to_chunk() == 0; throws GssError otherwise). Each MD5 block is
    // read before the RC4 chunk of the same round is written, so md5_data
    // may be the RC4 output itself as long as block k never lies after
    // chunk k; in and out are the same buffer or do not overlap.
    void process_with_md5(Md5Chain& chain, const uint8_t* md5_data, const uint8_t* in, uint8_t* out,
                          size_t chunks);
    // Keystream bytes to run before the stream is at a chunk boundary: the
    // stitched loop needs the 64 cells that one chunk swaps with i to be
    // contiguous in the S-box.
    size_t bytes_to_chunk() const noexcept { return (63 - m_i) & 63; }

private:
    // Each cell holds one byte; 32-bit cells spare the loops the partial
    // register merges of byte loads and stores.
    std::array<uint32_t, 256> m_s{};
    uint32_t m_i = 0;
    uint32_t m_j = 0;
};

}  // namespace gssneg::crypto::fallback
