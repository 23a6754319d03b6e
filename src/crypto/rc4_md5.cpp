// In-tree RC4 and MD5 compression, and the stitched loop that runs them
// together.
//
// Each is a chain of dependent operations: an RC4 step needs the j of the
// step before it, an MD5 step the word the step before it made. A core that
// runs one chain at a time leaves most of its execution units idle, so RC4
// and HMAC-MD5 in two passes cost the sum of two latencies per byte.
// Sealing under extended session security needs both over the same bytes
// (MS-NLMP 3.4.3: RC4 of the message, HMAC-MD5 of SeqNum || message), so
// process_with_md5 issues one RC4 step beside each MD5 step of a block, and
// the out-of-order core runs the two chains side by side
// (docs/performance.md has the figures).
#include "crypto/fallback.h"

#include "util/errors.h"
#include "util/secure.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace gssneg::crypto::fallback {

namespace {

// RFC 1321 3.4: T[i] is the integer part of 4294967296 * abs(sin(i)),
// i = 1..64.
constexpr std::array<uint32_t, 64> md5_sines = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// RFC 1321 3.4: the left rotation of each step, four per round.
constexpr int md5_rotation(int step) noexcept {
    constexpr int rotations[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
    return rotations[step / 16][step % 4];
}

// RFC 1321 3.4: the message word each step adds: in order in round 1, then
// from word 1 in strides of 5, from word 5 in strides of 3, and from word 0
// in strides of 7, modulo 16.
constexpr int md5_word(int step) noexcept {
    const int k = step % 16;
    switch (step / 16) {
        case 0: return k;
        case 1: return (1 + 5 * k) % 16;
        case 2: return (5 + 3 * k) % 16;
        default: return (7 * k) % 16;
    }
}

template <typename T>
T little_endian(T v) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return v;
    } else {
        T r = 0;
        for (size_t k = 0; k < sizeof v; ++k) r = static_cast<T>(r << 8 | ((v >> (8 * k)) & 0xff));
        return r;
    }
}

template <typename T>
T load_le(const uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return little_endian(v);
}

void store_le64(uint8_t* p, uint64_t v) noexcept {
    v = little_endian(v);
    std::memcpy(p, &v, sizeof v);
}

using Md5Block = std::array<uint32_t, 16>;

Md5Block load_block(const uint8_t* p) noexcept {
    Md5Block x;
    for (size_t k = 0; k < x.size(); ++k) x[k] = load_le<uint32_t>(p + 4 * k);
    return x;
}

// One MD5 step, [abcd k s i] of RFC 1321 3.4. The working words change roles
// every step (a b c d, then d a b c, ...), so word a of step n is
// v[(4 - n % 4) % 4]. The round functions are written in equivalent forms
// with fewer operations after b, the word the previous step made:
// F = d ^ (b & (c ^ d)); G = (b & d) + (c & ~d), whose two terms share no
// set bit; I = c ^ (b | ~d).
template <int Step>
[[gnu::always_inline]] inline void md5_step(Md5Chain& v, const Md5Block& x) noexcept {
    constexpr int a = (4 - Step % 4) % 4;
    constexpr int b = (a + 1) % 4;
    constexpr int c = (a + 2) % 4;
    constexpr int d = (a + 3) % 4;
    uint32_t t = v[a] + x[md5_word(Step)] + md5_sines[Step];
    if constexpr (Step < 16)
        t += v[d] ^ (v[b] & (v[c] ^ v[d]));
    else if constexpr (Step < 32)
        t += (v[c] & ~v[d]) + (v[b] & v[d]);
    else if constexpr (Step < 48)
        t += v[b] ^ v[c] ^ v[d];
    else
        t += v[c] ^ (v[b] | ~v[d]);
    v[a] = v[b] + std::rotl(t, md5_rotation(Step));
}

template <size_t... Steps>
[[gnu::always_inline]] inline void md5_steps(Md5Chain& v, const Md5Block& x, std::index_sequence<Steps...>) noexcept {
    (md5_step<Steps>(v, x), ...);
}

// One RC4 keystream byte whose i cell is base[Step]: the caller keeps
// base[0..Step] inside the S-box. The byte comes back at its place in a
// little-endian 64-bit word of keystream.
template <int Step>
[[gnu::always_inline]] inline uint64_t rc4_step(uint32_t* base, uint32_t* s, uint8_t& j) noexcept {
    const uint32_t x = base[Step];
    j = static_cast<uint8_t>(j + x);
    const uint32_t y = s[j];
    s[j] = x;
    base[Step] = y;
    return static_cast<uint64_t>(static_cast<uint8_t>(s[static_cast<uint8_t>(x + y)])) << (8 * (Step % 8));
}

template <size_t... Steps>
[[gnu::always_inline]] inline uint64_t rc4_word(uint32_t* base, uint32_t* s, uint8_t& j,
                                                std::index_sequence<Steps...>) noexcept {
    uint64_t keystream = 0;
    ((keystream |= rc4_step<Steps>(base, s, j)), ...);
    return keystream;
}

// MD5 step n and RC4 byte n of a round; every eighth step XORs eight bytes.
template <int Step>
[[gnu::always_inline]] inline void stitched_step(Md5Chain& v, const Md5Block& x, uint32_t* base, uint32_t* s,
                                                 uint8_t& j, uint64_t& keystream, const uint8_t* in,
                                                 uint8_t* out) noexcept {
    md5_step<Step>(v, x);
    keystream |= rc4_step<Step>(base, s, j);
    if constexpr (Step % 8 == 7) {
        store_le64(out + Step - 7, load_le<uint64_t>(in + Step - 7) ^ keystream);
        keystream = 0;
    }
}

template <size_t... Steps>
[[gnu::always_inline]] inline void stitched_steps(Md5Chain& v, const Md5Block& x, uint32_t* base, uint32_t* s,
                                                  uint8_t& j, const uint8_t* in, uint8_t* out,
                                                  std::index_sequence<Steps...>) noexcept {
    uint64_t keystream = 0;
    (stitched_step<Steps>(v, x, base, s, j, keystream, in, out), ...);
}

}  // namespace

void md5_compress(Md5Chain& chain, const uint8_t* data, size_t blocks) noexcept {
    Md5Chain h = chain;
    Md5Block x{};
    for (size_t n = 0; n < blocks; ++n, data += 64) {
        x = load_block(data);
        Md5Chain v = h;
        md5_steps(v, x, std::make_index_sequence<64>{});
        for (size_t k = 0; k < h.size(); ++k) h[k] += v[k];
    }
    chain = h;
    secure_wipe(x.data(), sizeof x);
}

Rc4State::Rc4State(ByteView key) {
    if (key.empty() || key.size() > 256) throw GssError(GSS_S_FAILURE, Minor::crypto_failure, "RC4 key size");
    for (uint32_t k = 0; k < m_s.size(); ++k) m_s[k] = k;
    uint8_t j = 0;
    for (size_t k = 0; k < m_s.size(); ++k) {
        j = static_cast<uint8_t>(j + m_s[k] + key[k % key.size()]);
        std::swap(m_s[k], m_s[j]);
    }
}

Rc4State::~Rc4State() {
    secure_wipe(m_s.data(), sizeof m_s);
    secure_wipe(&m_i, sizeof m_i);
    secure_wipe(&m_j, sizeof m_j);
}

void Rc4State::process(ByteView in, std::span<uint8_t> out) {
    if (in.size() != out.size()) throw GssError(GSS_S_FAILURE, Minor::crypto_failure, "RC4 buffer sizes");
    uint32_t* const s = m_s.data();
    auto i = static_cast<uint8_t>(m_i);
    auto j = static_cast<uint8_t>(m_j);
    const uint8_t* src = in.data();
    uint8_t* dst = out.data();
    size_t n = in.size();
    const auto single_steps = [&](size_t count) {
        for (; count > 0; --count) {
            i = static_cast<uint8_t>(i + 1);
            const uint32_t x = s[i];
            j = static_cast<uint8_t>(j + x);
            const uint32_t y = s[j];
            s[j] = x;
            s[i] = y;
            *dst++ = static_cast<uint8_t>(*src++ ^ s[static_cast<uint8_t>(x + y)]);
        }
    };
    // Single steps until the next i cell starts a group of eight, which then
    // never wraps around the S-box; then eight bytes at a time.
    const size_t lead = std::min(n, static_cast<size_t>((7 - i) & 7));
    single_steps(lead);
    n -= lead;
    for (; n >= 8; n -= 8, src += 8, dst += 8) {
        const uint64_t keystream = rc4_word(s + static_cast<uint8_t>(i + 1), s, j, std::make_index_sequence<8>{});
        i = static_cast<uint8_t>(i + 8);
        store_le64(dst, load_le<uint64_t>(src) ^ keystream);
    }
    single_steps(n);
    m_i = i;
    m_j = j;
}

void Rc4State::process_with_md5(Md5Chain& chain, const uint8_t* md5_data, const uint8_t* in, uint8_t* out,
                                size_t chunks) {
    if (bytes_to_chunk() != 0)
        throw GssError(GSS_S_FAILURE, Minor::internal_error, "RC4 stream not at a chunk boundary");
    uint32_t* const s = m_s.data();
    auto j = static_cast<uint8_t>(m_j);
    // The first i cell of the chunk: 0, 64, 128 or 192.
    uint32_t first = (m_i + 1) & 255;
    Md5Chain h = chain;
    Md5Block x{};
    for (size_t n = 0; n < chunks; ++n, md5_data += 64, in += 64, out += 64) {
        // The whole block is read before RC4 writes (see the header).
        x = load_block(md5_data);
        Md5Chain v = h;
        stitched_steps(v, x, s + first, s, j, in, out, std::make_index_sequence<64>{});
        first = (first + 64) & 255;
        for (size_t k = 0; k < h.size(); ++k) h[k] += v[k];
    }
    chain = h;
    m_i = (first + 255) & 255;
    m_j = j;
    secure_wipe(x.data(), sizeof x);
}

}  // namespace gssneg::crypto::fallback
