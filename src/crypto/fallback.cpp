#include "crypto/fallback.h"

#include "util/secure.h"

#include <bit>

namespace gssneg::crypto::fallback {

namespace {

class Md4 final {
public:
    Md4() noexcept = default;
    ~Md4() {
        secure_wipe(m_state.data(), sizeof(m_state));
        secure_wipe(m_block.data(), m_block.size());
    }
    Md4(const Md4&) = delete;
    Md4& operator=(const Md4&) = delete;

    void update(ByteView data) noexcept {
        m_total += data.size();
        for (const uint8_t b : data) {
            m_block[m_fill++] = b;
            if (m_fill == m_block.size()) {
                compress();
                m_fill = 0;
            }
        }
    }

    std::array<uint8_t, 16> finish() noexcept {
        const uint64_t bits = m_total * 8;
        // RFC 1320 3.1-3.2: a single 1 bit, zeros to 56 mod 64, then the
        // 64-bit message length in bits, low-order word first.
        static constexpr uint8_t one_bit[1] = {0x80};
        static constexpr uint8_t zeros[64] = {};
        update(one_bit);
        const size_t pad = m_fill <= 56 ? 56 - m_fill : 120 - m_fill;
        update(ByteView(zeros, pad));
        uint8_t length[8];
        for (size_t i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(bits >> (8 * i));
        update(length);

        std::array<uint8_t, 16> out{};
        for (size_t w = 0; w < 4; ++w)
            for (size_t i = 0; i < 4; ++i) out[4 * w + i] = static_cast<uint8_t>(m_state[w] >> (8 * i));
        return out;
    }

private:
    void compress() noexcept {
        uint32_t x[16];
        for (size_t i = 0; i < 16; ++i) {
            x[i] = static_cast<uint32_t>(m_block[4 * i]) | static_cast<uint32_t>(m_block[4 * i + 1]) << 8 |
                   static_cast<uint32_t>(m_block[4 * i + 2]) << 16 | static_cast<uint32_t>(m_block[4 * i + 3]) << 24;
        }
        uint32_t a = m_state[0], b = m_state[1], c = m_state[2], d = m_state[3];

        const auto f = [](uint32_t p, uint32_t q, uint32_t r) { return (p & q) | (~p & r); };
        const auto g = [](uint32_t p, uint32_t q, uint32_t r) { return (p & q) | (p & r) | (q & r); };
        const auto h = [](uint32_t p, uint32_t q, uint32_t r) { return p ^ q ^ r; };

        // Each round applies its function sixteen times; the word roles
        // rotate (a b c d) -> (d a b c) after every step.
        const auto round = [&](auto fn, uint32_t constant, const int (&order)[16], const int (&shifts)[4]) {
            for (int step = 0; step < 16; ++step) {
                const uint32_t t = a + fn(b, c, d) + x[order[step]] + constant;
                const uint32_t rotated = std::rotl(t, shifts[step % 4]);
                a = d;
                d = c;
                c = b;
                b = rotated;
            }
        };
        static constexpr int order1[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        static constexpr int order2[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
        static constexpr int order3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
        static constexpr int shifts1[4] = {3, 7, 11, 19};
        static constexpr int shifts2[4] = {3, 5, 9, 13};
        static constexpr int shifts3[4] = {3, 9, 11, 15};
        round(f, 0, order1, shifts1);
        round(g, 0x5a827999, order2, shifts2);
        round(h, 0x6ed9eba1, order3, shifts3);

        m_state[0] += a;
        m_state[1] += b;
        m_state[2] += c;
        m_state[3] += d;
        secure_wipe(x, sizeof(x));
    }

    std::array<uint32_t, 4> m_state{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    std::array<uint8_t, 64> m_block{};
    size_t m_fill = 0;
    uint64_t m_total = 0;
};

}  // namespace

std::array<uint8_t, 16> md4(ByteView data) noexcept {
    Md4 h;
    h.update(data);
    return h.finish();
}

}  // namespace gssneg::crypto::fallback
