// MD5_CTX is used for HMAC-MD5 (see HmacMd5::State); OpenSSL 3 marks the
// low-level MD5 calls deprecated, so this file alone opts out of the warning.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/crypto.h"

#include "crypto/fallback.h"
#include "util/errors.h"

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <optional>

namespace gssneg::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
    throw GssError(GSS_S_FAILURE, Minor::crypto_failure, what);
}

constexpr size_t max_chunk = static_cast<size_t>(INT_MAX) & ~static_cast<size_t>(0xffff);

// The private library context and the algorithms fetched from it. It is
// created on first use and lives as long as the process: digest and cipher
// contexts created from it may be destroyed by other static destructors, so
// it is deliberately never freed. Construction never throws; a missing
// algorithm is reported when it is used.
class Library final {
public:
    Library() noexcept {
        m_ctx = OSSL_LIB_CTX_new();
        if (m_ctx == nullptr) return;
        m_default = OSSL_PROVIDER_load(m_ctx, "default");
        m_legacy = OSSL_PROVIDER_load(m_ctx, "legacy");
        m_md5 = EVP_MD_fetch(m_ctx, "MD5", nullptr);
        if (m_legacy != nullptr) {
            m_md4 = EVP_MD_fetch(m_ctx, "MD4", nullptr);
            m_rc4 = EVP_CIPHER_fetch(m_ctx, "RC4", nullptr);
            m_des_ecb = EVP_CIPHER_fetch(m_ctx, "DES-ECB", nullptr);
        }
    }

    OSSL_LIB_CTX* ctx() const {
        if (m_ctx == nullptr || m_default == nullptr) fail("no OpenSSL library context");
        return m_ctx;
    }
    bool legacy() const noexcept { return m_legacy != nullptr; }
    const EVP_MD* md5() const {
        if (m_md5 == nullptr) fail("MD5 unavailable");
        return m_md5;
    }
    const EVP_MD* md4_or_null() const noexcept { return m_md4; }
    const EVP_CIPHER* rc4_or_null() const noexcept { return m_rc4; }
    const EVP_CIPHER* des_ecb_or_null() const noexcept { return m_des_ecb; }

private:
    OSSL_LIB_CTX* m_ctx = nullptr;
    OSSL_PROVIDER* m_default = nullptr;
    OSSL_PROVIDER* m_legacy = nullptr;
    EVP_MD* m_md4 = nullptr;
    EVP_MD* m_md5 = nullptr;
    EVP_CIPHER* m_rc4 = nullptr;
    EVP_CIPHER* m_des_ecb = nullptr;
};

const Library& library() noexcept {
    static const Library lib;
    return lib;
}

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

MdCtx new_md_ctx() {
    MdCtx c(EVP_MD_CTX_new());
    if (!c) fail("EVP_MD_CTX_new");
    return c;
}

CipherCtx new_cipher_ctx() {
    CipherCtx c(EVP_CIPHER_CTX_new());
    if (!c) fail("EVP_CIPHER_CTX_new");
    return c;
}

void digest_update(EVP_MD_CTX* c, ByteView data) {
    if (!data.empty() && EVP_DigestUpdate(c, data.data(), data.size()) != 1) fail("EVP_DigestUpdate");
}

void evp_digest(const EVP_MD* md, std::initializer_list<ByteView> parts, std::span<uint8_t, 16> out) {
    const MdCtx c = new_md_ctx();
    if (EVP_DigestInit_ex2(c.get(), md, nullptr) != 1) fail("EVP_DigestInit_ex2");
    for (const ByteView p : parts) digest_update(c.get(), p);
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(c.get(), out.data(), &len) != 1 || len != out.size()) fail("EVP_DigestFinal_ex");
}

void cipher_update(EVP_CIPHER_CTX* c, ByteView in, std::span<uint8_t> out) {
    if (in.size() != out.size()) fail("cipher buffer sizes differ");
    size_t done = 0;
    while (done < in.size()) {
        const size_t n = std::min(max_chunk, in.size() - done);
        int written = 0;
        if (EVP_EncryptUpdate(c, out.data() + done, &written, in.data() + done, static_cast<int>(n)) != 1 ||
            static_cast<size_t>(written) != n)
            fail("EVP_EncryptUpdate");
        done += n;
    }
}

constexpr std::array<uint32_t, 256> make_crc_table() noexcept {
    std::array<uint32_t, 256> table{};
    for (uint32_t n = 0; n < 256; ++n) {
        uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    return table;
}

constexpr std::array<uint32_t, 256> crc_table = make_crc_table();

}  // namespace

bool legacy_provider_loaded() noexcept { return library().legacy(); }

bool des_available() noexcept { return library().des_ecb_or_null() != nullptr; }

void md4(ByteView data, std::span<uint8_t, 16> out) {
    const EVP_MD* md = library().md4_or_null();
    if (md != nullptr) {
        evp_digest(md, {data}, out);
        return;
    }
    Digest16 d = fallback::md4(data);
    std::copy(d.begin(), d.end(), out.begin());
    secure_wipe(d.data(), d.size());
}

void md5(std::initializer_list<ByteView> parts, std::span<uint8_t, 16> out) { evp_digest(library().md5(), parts, out); }

void hmac_md5(ByteView key, std::initializer_list<ByteView> parts, std::span<uint8_t, 16> out) {
    HmacMd5(key).mac(std::span<const ByteView>(parts.begin(), parts.size()), out);
}

Digest16 md4(ByteView data) {
    Digest16 out{};
    md4(data, out);
    return out;
}

Digest16 md5(std::initializer_list<ByteView> parts) {
    Digest16 out{};
    md5(parts, out);
    return out;
}

Digest16 hmac_md5(ByteView key, std::initializer_list<ByteView> parts) { return HmacMd5(key).mac(parts); }

// RFC 2104: H(K ^ opad, H(K ^ ipad, text)). The two keyed MD5 states are
// absorbed once here; mac() copies them.
// HMAC-MD5 keeps the two keyed MD5 states as plain MD5_CTX structures:
// copying one is a memcpy, where an EVP_MD_CTX copy allocates a new provider
// context per message. MD5 has no provider-specific behaviour to lose here
// (the default provider runs the same code), so the hot path of every MIC is
// one struct copy plus the update, as DESIGN.md asks.
struct HmacMd5::State {
    MD5_CTX inner;
    MD5_CTX outer;
    ~State() { secure_wipe(this, sizeof *this); }
};

HmacMd5::HmacMd5(ByteView key) : m_state(std::make_unique<State>()) {
    constexpr size_t block = 64;
    std::array<uint8_t, block> pad{};
    if (key.size() > block) {
        Digest16 hashed = md5({key});
        std::copy(hashed.begin(), hashed.end(), pad.begin());
        secure_wipe(hashed.data(), hashed.size());
    } else {
        std::copy(key.begin(), key.end(), pad.begin());
    }
    for (auto& b : pad) b ^= 0x36;
    const bool inner_ok = MD5_Init(&m_state->inner) == 1 && MD5_Update(&m_state->inner, pad.data(), pad.size()) == 1;
    for (auto& b : pad) b ^= 0x36 ^ 0x5c;
    const bool outer_ok = MD5_Init(&m_state->outer) == 1 && MD5_Update(&m_state->outer, pad.data(), pad.size()) == 1;
    secure_wipe(pad.data(), pad.size());
    if (!inner_ok || !outer_ok) fail("HMAC-MD5 key setup");
}

HmacMd5::~HmacMd5() = default;
HmacMd5::HmacMd5(HmacMd5&&) noexcept = default;
HmacMd5& HmacMd5::operator=(HmacMd5&&) noexcept = default;

Digest16 HmacMd5::mac(std::initializer_list<ByteView> parts) const {
    return mac(std::span<const ByteView>(parts.begin(), parts.size()));
}

Digest16 HmacMd5::mac(std::span<const ByteView> parts) const {
    Digest16 out{};
    mac(parts, out);
    return out;
}

void HmacMd5::mac(std::span<const ByteView> parts, std::span<uint8_t, 16> out) const {
    if (!m_state) fail("HMAC-MD5 used after move");
    MD5_CTX work = m_state->inner;
    bool ok = true;
    for (const ByteView p : parts) {
        if (!p.empty() && MD5_Update(&work, p.data(), p.size()) != 1) ok = false;
    }
    Digest16 inner{};
    ok = ok && MD5_Final(inner.data(), &work) == 1;
    work = m_state->outer;
    ok = ok && MD5_Update(&work, inner.data(), inner.size()) == 1 && MD5_Final(out.data(), &work) == 1;
    secure_wipe(inner.data(), inner.size());
    secure_wipe(&work, sizeof work);
    if (!ok) fail("HMAC-MD5");
}

struct Rc4::State {
    CipherCtx evp;
    std::optional<fallback::Rc4State> soft;
};

Rc4::Rc4() noexcept = default;

Rc4::Rc4(ByteView key, Engine engine) : m_state(std::make_unique<State>()) {
    if (key.empty() || key.size() > 256) fail("RC4 key size");
    const EVP_CIPHER* cipher = engine == Engine::openssl ? library().rc4_or_null() : nullptr;
    if (cipher == nullptr) {
        m_state->soft.emplace(key);
        return;
    }
    m_state->evp = new_cipher_ctx();
    EVP_CIPHER_CTX* c = m_state->evp.get();
    if (EVP_EncryptInit_ex2(c, cipher, nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_key_length(c, static_cast<int>(key.size())) != 1 ||
        EVP_EncryptInit_ex2(c, nullptr, key.data(), nullptr, nullptr) != 1)
        fail("RC4 key setup");
}

Rc4::~Rc4() = default;
Rc4::Rc4(Rc4&&) noexcept = default;
Rc4& Rc4::operator=(Rc4&&) noexcept = default;

void Rc4::process(ByteView in, std::span<uint8_t> out) {
    if (!m_state) fail("RC4 used after move");
    if (m_state->soft) {
        m_state->soft->process(in, out);
        return;
    }
    cipher_update(m_state->evp.get(), in, out);
}

Rc4 Rc4::clone() const {
    if (!m_state) fail("RC4 used after move");
    Rc4 copy;
    copy.m_state = std::make_unique<State>();
    if (m_state->soft) {
        copy.m_state->soft.emplace(*m_state->soft);
        return copy;
    }
    copy.m_state->evp = new_cipher_ctx();
    if (EVP_CIPHER_CTX_copy(copy.m_state->evp.get(), m_state->evp.get()) != 1) fail("EVP_CIPHER_CTX_copy");
    return copy;
}

HmacMd5Run::HmacMd5Run(const HmacMd5& key) {
    if (!key.m_state) fail("HMAC-MD5 used after move");
    // The keyed states have absorbed exactly the one 64-byte pad block, so
    // their chaining values are where this run starts.
    const auto chain_of = [](const MD5_CTX& c) {
        if (c.num != 0 || c.Nl != 64 * 8 || c.Nh != 0) fail("HMAC-MD5 keyed state");
        return std::array<uint32_t, 4>{c.A, c.B, c.C, c.D};
    };
    m_inner = chain_of(key.m_state->inner);
    m_outer = chain_of(key.m_state->outer);
    m_length = m_block.size();
}

HmacMd5Run::~HmacMd5Run() {
    secure_wipe(m_inner.data(), sizeof m_inner);
    secure_wipe(m_outer.data(), sizeof m_outer);
    secure_wipe(m_block.data(), m_block.size());
}

void HmacMd5Run::check_usable() const {
    if (m_finished) fail("HMAC-MD5 run used after finish");
}

void HmacMd5Run::update(ByteView data) {
    check_usable();
    m_length += data.size();
    if (m_fill != 0) {
        const size_t take = std::min(data.size(), to_block_boundary());
        std::copy_n(data.begin(), take, m_block.begin() + static_cast<std::ptrdiff_t>(m_fill));
        m_fill += take;
        data = data.subspan(take);
        if (m_fill < m_block.size()) return;
        fallback::md5_compress(m_inner, m_block.data(), 1);
        m_fill = 0;
    }
    const size_t blocks = data.size() / m_block.size();
    fallback::md5_compress(m_inner, data.data(), blocks);
    data = data.subspan(blocks * m_block.size());
    std::copy(data.begin(), data.end(), m_block.begin());
    m_fill = data.size();
}

// The stitched loop hashes a 64-byte block at a block boundary of the MAC
// while RC4 runs a 64-byte chunk from a chunk boundary of the stream
// (Rc4State::bytes_to_chunk); the two boundaries fall at different places
// in the data, so the loop pairs block k with chunk k, each from its own
// start, and the bytes before and after go through the separate passes.
// Sealing: the chunk never lies after the block, so in place no byte is
// encrypted before it has been hashed.
void HmacMd5Run::update_then_rc4(ByteView in, std::span<uint8_t> out, Rc4& rc4) {
    check_usable();
    if (in.size() != out.size()) fail("cipher buffer sizes differ");
    if (!rc4.m_state) fail("RC4 used after move");
    if (!rc4.m_state->soft) {
        update(in);
        rc4.process(in, out);
        return;
    }
    fallback::Rc4State& soft = *rc4.m_state->soft;
    const size_t n = in.size();
    size_t md5_pos = std::min(n, to_block_boundary());
    size_t rc4_pos = std::min(n, soft.bytes_to_chunk());
    update(in.first(md5_pos));
    if (rc4_pos > md5_pos) {
        const size_t step = std::min(m_block.size(), n - md5_pos);
        update(in.subspan(md5_pos, step));
        md5_pos += step;
    }
    soft.process(in.first(rc4_pos), out.first(rc4_pos));
    const size_t chunks = m_fill == 0 ? (n - md5_pos) / m_block.size() : 0;
    if (chunks > 0) {
        soft.process_with_md5(m_inner, in.data() + md5_pos, in.data() + rc4_pos, out.data() + rc4_pos, chunks);
        m_length += chunks * m_block.size();
        md5_pos += chunks * m_block.size();
        rc4_pos += chunks * m_block.size();
    }
    update(in.subspan(md5_pos));
    soft.process(in.subspan(rc4_pos), out.subspan(rc4_pos));
}

// Unsealing: the chunk runs at least a block ahead, so every block is
// plaintext when it is hashed.
void HmacMd5Run::rc4_then_update(ByteView in, std::span<uint8_t> out, Rc4& rc4) {
    check_usable();
    if (in.size() != out.size()) fail("cipher buffer sizes differ");
    if (!rc4.m_state) fail("RC4 used after move");
    if (!rc4.m_state->soft) {
        rc4.process(in, out);
        update(out);
        return;
    }
    fallback::Rc4State& soft = *rc4.m_state->soft;
    const size_t n = in.size();
    size_t md5_pos = std::min(n, to_block_boundary());
    size_t rc4_pos = soft.bytes_to_chunk();
    while (rc4_pos < md5_pos + m_block.size()) rc4_pos += m_block.size();
    rc4_pos = std::min(n, rc4_pos);
    soft.process(in.first(rc4_pos), out.first(rc4_pos));
    update(ByteView(out).first(md5_pos));
    const size_t chunks = m_fill == 0 ? (n - rc4_pos) / m_block.size() : 0;
    if (chunks > 0) {
        soft.process_with_md5(m_inner, out.data() + md5_pos, in.data() + rc4_pos, out.data() + rc4_pos, chunks);
        m_length += chunks * m_block.size();
        md5_pos += chunks * m_block.size();
        rc4_pos += chunks * m_block.size();
    }
    soft.process(in.subspan(rc4_pos), out.subspan(rc4_pos));
    update(ByteView(out).subspan(md5_pos));
}

Digest16 HmacMd5Run::finish() {
    check_usable();
    m_finished = true;
    // RFC 1321 3.1-3.2: a single 1 bit, zeros to 56 bytes mod 64, then the
    // length in bits as a little-endian 64-bit number.
    const auto pad_and_compress = [this](std::array<uint32_t, 4>& chain) {
        const uint64_t bits = m_length * 8;
        m_block[m_fill++] = 0x80;
        if (m_fill > 56) {
            std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_fill), m_block.end(), uint8_t{0});
            fallback::md5_compress(chain, m_block.data(), 1);
            m_fill = 0;
        }
        std::fill(m_block.begin() + static_cast<std::ptrdiff_t>(m_fill), m_block.begin() + 56, uint8_t{0});
        for (size_t k = 0; k < 8; ++k) m_block[56 + k] = static_cast<uint8_t>(bits >> (8 * k));
        fallback::md5_compress(chain, m_block.data(), 1);
    };
    const auto digest_of = [](const std::array<uint32_t, 4>& chain) {
        Digest16 d{};
        for (size_t w = 0; w < chain.size(); ++w)
            for (size_t k = 0; k < 4; ++k) d[4 * w + k] = static_cast<uint8_t>(chain[w] >> (8 * k));
        return d;
    };
    pad_and_compress(m_inner);
    Digest16 inner = digest_of(m_inner);
    // RFC 2104: the outer hash over the inner digest, after the opad block.
    std::copy(inner.begin(), inner.end(), m_block.begin());
    m_fill = inner.size();
    m_length = m_block.size() + inner.size();
    pad_and_compress(m_outer);
    secure_wipe(inner.data(), inner.size());
    return digest_of(m_outer);
}

Bytes rc4_once(ByteView key, ByteView data) {
    // In-tree: a one-shot stream is mostly key setup, and an OpenSSL cipher
    // context would add an allocation and two updates of the shared cipher
    // object's reference count, a cache line every thread writes.
    Rc4 rc4(key, Rc4::Engine::in_tree);
    Bytes out(data.size());
    rc4.process(data, out);
    return out;
}

std::array<uint8_t, 8> des_encrypt_block(std::span<const uint8_t, 7> key56, std::span<const uint8_t, 8> block) {
    std::array<uint8_t, 8> out{};
    des_encrypt_block(key56, block, out);
    return out;
}

void des_encrypt_block(std::span<const uint8_t, 7> key56, std::span<const uint8_t, 8> block,
                       std::span<uint8_t, 8> out) {
    const EVP_CIPHER* cipher = library().des_ecb_or_null();
    if (cipher == nullptr) fail("DES unavailable (no legacy provider)");

    // MS-NLMP 6: the 56 key bits are spread over eight bytes, seven bits in
    // the high part of each, and the low bit of each byte is set for odd
    // parity.
    uint64_t bits = 0;
    for (const uint8_t b : key56) bits = bits << 8 | b;
    std::array<uint8_t, 8> key64{};
    for (size_t i = 0; i < 8; ++i) {
        const auto seven = static_cast<uint8_t>((bits >> (49 - 7 * i)) & 0x7f);
        key64[i] = static_cast<uint8_t>(seven << 1 | (std::popcount(seven) % 2 == 0 ? 1 : 0));
    }
    secure_wipe(&bits, sizeof(bits));

    const CipherCtx c = new_cipher_ctx();
    int written = 0;
    const bool ok = EVP_EncryptInit_ex2(c.get(), cipher, key64.data(), nullptr, nullptr) == 1 &&
                    EVP_CIPHER_CTX_set_padding(c.get(), 0) == 1 &&
                    EVP_EncryptUpdate(c.get(), out.data(), &written, block.data(), 8) == 1 && written == 8;
    secure_wipe(key64.data(), key64.size());
    if (!ok) fail("DES-ECB");
}

uint32_t crc32(ByteView data, uint32_t previous) {
    uint32_t c = previous ^ 0xffffffffu;
    for (const uint8_t b : data) c = crc_table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

namespace {

// Random bytes are drawn from the calling thread's private DRBG a pool at a
// time: one generate call serves several handshakes, and RAND_get0_private
// (a read lock on the library context) runs once per pool rather than once
// per challenge or key. Each byte is handed out once and wiped as it leaves.
//
// A fork copies the pool, so the child would repeat the parent's bytes. The
// child handler moves a generation counter on, and a pool filled under an
// earlier generation is discarded unused. glibc drops the handler if the
// module is unloaded. A child made by a raw clone() or _Fork(), which run no
// fork handlers, is not covered.
std::atomic<unsigned> fork_generation{0};

void count_fork_in_child() noexcept {
    fork_generation.fetch_add(1, std::memory_order_relaxed);
}

void drbg_generate(std::span<uint8_t> out) {
    EVP_RAND_CTX* drbg = RAND_get0_private(library().ctx());
    if (drbg == nullptr) fail("RAND_get0_private");
    constexpr size_t max_request = 1 << 16;  // OpenSSL DRBGs serve 2^19 bits a request (SP 800-90A)
    size_t done = 0;
    while (done < out.size()) {
        const size_t n = std::min(max_request, out.size() - done);
        if (EVP_RAND_generate(drbg, out.data() + done, n, 0, 0, nullptr, 0) != 1) fail("EVP_RAND_generate");
        done += n;
    }
}

class RandomPool final {
public:
    RandomPool() = default;
    RandomPool(const RandomPool&) = delete;
    RandomPool& operator=(const RandomPool&) = delete;
    ~RandomPool() { secure_wipe(m_bytes.data(), m_bytes.size()); }

    void take(std::span<uint8_t> out) {
        const unsigned generation = fork_generation.load(std::memory_order_relaxed);
        if (generation != m_generation) {
            secure_wipe(m_bytes.data(), m_bytes.size());
            m_left = 0;
            m_generation = generation;
        }
        if (out.size() > m_bytes.size() / 4) {
            drbg_generate(out);
            return;
        }
        if (out.size() > m_left) {
            drbg_generate(m_bytes);
            m_left = m_bytes.size();
        }
        uint8_t* from = m_bytes.data() + (m_bytes.size() - m_left);
        std::copy_n(from, out.size(), out.data());
        secure_wipe(from, out.size());
        m_left -= out.size();
    }

private:
    std::array<uint8_t, 256> m_bytes{};
    size_t m_left = 0;
    unsigned m_generation = 0;
};

}  // namespace

void random_bytes(std::span<uint8_t> out) {
    static const bool fork_handler = [] {
        if (pthread_atfork(nullptr, nullptr, count_fork_in_child) != 0) fail("pthread_atfork");
        return true;
    }();
    (void)fork_handler;
    thread_local RandomPool pool;
    pool.take(out);
}

}  // namespace gssneg::crypto
