// MS-NLMP 3.4 message protection over a fixed session key: signatures and
// sealed data from the peer, checked and decrypted, mixed with outgoing
// sign/seal calls that advance the same RC4 streams.
//
// Input: one byte choosing the negotiated flags (every combination of the
// eight below), then records until the input runs out:
//   op (1) | seq (4, LE) | signature size (1: >= 0x80 means 16, else 0-31)
//   | data size (2, LE, cut to what is left) | signature | data
// Only GssError is an expected outcome.

#include "fuzz_common.h"
#include "ntlm/flags.h"
#include "ntlm/session_security.h"
#include "util/errors.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

using namespace gssneg;
namespace flag = ntlm::flag;

namespace {

class Cursor final {
public:
    Cursor(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    bool empty() const noexcept { return m_pos >= m_size; }
    uint8_t u8() noexcept { return m_pos < m_size ? m_data[m_pos++] : 0; }
    uint32_t u32() noexcept {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
        return v;
    }
    std::vector<uint8_t> take(size_t n) {
        n = std::min(n, m_size - m_pos);
        std::vector<uint8_t> out(m_data + m_pos, m_data + m_pos + n);
        m_pos += n;
        return out;
    }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
};

constexpr std::array<uint32_t, 7> selectable_flags = {
    flag::sign, flag::seal, flag::extended_session_security, flag::key_exch,
    flag::negotiate_128, flag::negotiate_56, flag::datagram,
};

uint32_t flags_from(uint8_t selector) {
    uint32_t f = flag::ntlm | flag::unicode;
    for (size_t i = 0; i < selectable_flags.size(); ++i)
        if (selector & (1u << i)) f |= selectable_flags[i];
    return f;
}

void one_record(ntlm::SessionSecurity& s, Cursor& in) {
    const uint8_t op = in.u8() % 8;
    const uint32_t seq = in.u32();
    const uint8_t sig_size_byte = in.u8();
    const size_t sig_size = sig_size_byte >= 0x80 ? 16 : sig_size_byte % 32;
    const size_t data_size = in.u8() | (static_cast<size_t>(in.u8()) << 8);
    const std::vector<uint8_t> signature = in.take(sig_size);
    std::vector<uint8_t> data = in.take(data_size);
    const ByteView sig(signature);
    const size_t half = data.size() / 2;
    const std::span<uint8_t> all(data);

    switch (op) {
    case 0: (void)s.verify(seq, {ByteView(data)}, sig); break;
    case 1: (void)s.unseal(seq, all, sig); break;
    case 2: {
        const std::array<ByteView, 2> parts = {ByteView(all.first(half)), ByteView(all.subspan(half))};
        (void)s.verify_parts(seq, parts, sig);
        break;
    }
    case 3: {
        const std::array<ntlm::SessionSecurity::Part, 2> parts = {
            ntlm::SessionSecurity::Part{all.first(half), false},
            ntlm::SessionSecurity::Part{all.subspan(half), true},
        };
        (void)s.unseal_parts(seq, parts, sig);
        break;
    }
    case 4: (void)s.incoming_sequence(sig, data.size()); break;
    case 5: (void)s.sign(seq, {ByteView(data)}); break;
    case 6: (void)s.seal(seq, all); break;
    case 7: s.reset_rc4(); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    Cursor in(data, size);
    const uint8_t selector = in.u8();
    // The RandomSessionKey of the MS-NLMP 4.2 examples, so that their sealed
    // messages and signatures (seeds) check.
    static const Key16 key = [] {
        std::array<uint8_t, 16> k{};
        for (size_t i = 0; i < k.size(); ++i) k[i] = 0x55;
        return Key16(k);
    }();
    try {
        ntlm::SessionSecurity s(flags_from(selector), key, (selector & 0x80) != 0);
        while (!in.empty()) {
            try {
                one_record(s, in);
            } catch (const GssError&) {
            }
        }
    } catch (const GssError&) {
    }
    return 0;
}
