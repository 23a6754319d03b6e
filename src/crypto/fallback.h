// In-tree MD4 (RFC 1320) and RC4, used when OpenSSL's legacy provider cannot
// be loaded. They are also called directly by the unit tests so that both
// paths are checked against the same vectors.
#pragma once

#include "util/bytes.h"

#include <array>
#include <cstdint>
#include <span>

namespace gssneg::crypto::fallback {

std::array<uint8_t, 16> md4(ByteView data) noexcept;

class Rc4State final {
public:
    // key must be 1..256 bytes; throws GssError(crypto_failure) otherwise.
    explicit Rc4State(ByteView key);
    ~Rc4State();
    Rc4State(const Rc4State&) noexcept = default;
    Rc4State& operator=(const Rc4State&) noexcept = default;

    // in and out may be the same buffer; sizes must match.
    void process(ByteView in, std::span<uint8_t> out);

private:
    std::array<uint8_t, 256> m_s{};
    uint8_t m_i = 0;
    uint8_t m_j = 0;
};

}  // namespace gssneg::crypto::fallback
