#include "ntlm/ntlm_crypto.h"

#include "crypto/crypto.h"
#include "ntlm/flags.h"
#include "util/errors.h"
#include "util/utf16.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace gssneg::ntlm {

namespace {

constexpr size_t lm_password_max_chars = 14;

std::span<const uint8_t, 7> seven(const uint8_t* p) { return std::span<const uint8_t, 7>(p, 7); }

std::span<uint8_t, 8> half(Key16& key, size_t index) { return std::span<uint8_t, 8>(key.data() + 8 * index, 8); }

// OEM form of an upper-cased password for the LM hash: one Latin-1 byte per
// character, '?' for anything outside Latin-1.
SecureBytes latin1_upper(std::string_view password_utf8) {
    const SecureString upper = to_upper_utf8_secret(password_utf8);
    const SecureBytes utf16 = utf8_to_utf16le_secret(upper);
    SecureBytes out;
    out.reserve(utf16.size() / 2);
    for (size_t i = 0; i + 1 < utf16.size(); i += 2) {
        const auto unit = static_cast<uint16_t>(utf16[i] | utf16[i + 1] << 8);
        if (unit >= 0xdc00 && unit <= 0xdfff) continue;  // second half of a pair
        out.push_back(unit <= 0xff ? static_cast<uint8_t>(unit) : static_cast<uint8_t>('?'));
    }
    return out;
}

constexpr char client_sign_magic[] = "session key to client-to-server signing key magic constant";
constexpr char server_sign_magic[] = "session key to server-to-client signing key magic constant";
constexpr char client_seal_magic[] = "session key to client-to-server sealing key magic constant";
constexpr char server_seal_magic[] = "session key to server-to-client sealing key magic constant";

// The magic constants are hashed with their terminating NUL (MS-NLMP 3.4.5.2).
template <size_t N>
ByteView with_nul(const char (&s)[N]) {
    return {reinterpret_cast<const uint8_t*>(s), N};
}

void put_u32le(uint8_t* p, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

Key16 nt_owf_v1(std::string_view password_utf8) {
    const SecureBytes unicode = utf8_to_utf16le_secret(password_utf8);
    Key16 out;
    crypto::md4(unicode, out.span());
    return out;
}

bool lm_owf_possible(std::string_view password_utf8) noexcept {
    size_t characters = 0;
    for (const char c : password_utf8)
        if ((static_cast<uint8_t>(c) & 0xc0) != 0x80) ++characters;
    return characters <= lm_password_max_chars;
}

Key16 lm_owf_v1(std::string_view password_utf8) {
    // MS-NLMP 3.3.1: "DES(UpperCase(Passwd)[0..6], "KGS!@#$%") ||
    // DES(UpperCase(Passwd)[7..13], "KGS!@#$%")", the password null-padded
    // (or truncated) to 14 characters.
    SecureBytes oem = latin1_upper(password_utf8);
    oem.resize(lm_password_max_chars, 0);
    static constexpr uint8_t magic[8] = {'K', 'G', 'S', '!', '@', '#', '$', '%'};
    Key16 out;
    crypto::des_encrypt_block(seven(oem.data()), magic, half(out, 0));
    crypto::des_encrypt_block(seven(oem.data() + 7), magic, half(out, 1));
    return out;
}

Key16 nt_owf_v2(const Key16& nt_hash, std::string_view user, std::string_view domain) {
    // MS-NLMP 3.3.2: "HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(
    // Uppercase(User), UserDom)))" -- the domain keeps its case.
    std::string name = to_upper_utf8(user);
    name.append(domain);
    const Bytes unicode = utf8_to_utf16le(name);
    Key16 out;
    crypto::hmac_md5(nt_hash, {unicode}, out.span());
    return out;
}

std::array<uint8_t, 24> desl(const Key16& key, std::span<const uint8_t, 8> data) {
    // MS-NLMP 6: "DES(K[0..6], D) || DES(K[7..13], D) ||
    // DES(ConcatenationOf(K[14..15], Z(5)), D)".
    uint8_t last[7] = {key[14], key[15], 0, 0, 0, 0, 0};
    std::array<uint8_t, 24> out{};
    const auto a = crypto::des_encrypt_block(seven(key.data()), data);
    const auto b = crypto::des_encrypt_block(seven(key.data() + 7), data);
    const auto c = crypto::des_encrypt_block(seven(last), data);
    secure_wipe(last, sizeof(last));
    std::copy(a.begin(), a.end(), out.begin());
    std::copy(b.begin(), b.end(), out.begin() + 8);
    std::copy(c.begin(), c.end(), out.begin() + 16);
    return out;
}

ResponsesV1 compute_ntlmv1(uint32_t flags, const Key16& nt_hash, const std::optional<Key16>& lm_hash,
                           const Challenge8& server_challenge, const Challenge8& client_challenge) {
    ResponsesV1 r;
    if ((flags & flag::extended_session_security) != 0) {
        // MS-NLMP 3.3.1: "Set NtChallengeResponse to DESL(ResponseKeyNT,
        // MD5(ConcatenationOf(CHALLENGE_MESSAGE.ServerChallenge,
        // ClientChallenge))[0..7])", "Set LmChallengeResponse to
        // ConcatenationOf{ClientChallenge, Z(16)}".
        const auto hashed = crypto::md5({server_challenge, client_challenge});
        const auto nt = desl(nt_hash, std::span<const uint8_t, 8>(hashed.data(), 8));
        r.nt_response.assign(nt.begin(), nt.end());
        r.lm_response.assign(client_challenge.begin(), client_challenge.end());
        r.lm_response.resize(24, 0);
    } else {
        const auto nt = desl(nt_hash, server_challenge);
        r.nt_response.assign(nt.begin(), nt.end());
        if (lm_hash) {
            const auto lm = desl(*lm_hash, server_challenge);
            r.lm_response.assign(lm.begin(), lm.end());
        } else {
            // MS-NLMP 3.3.1 (NoLMResponseNTLMv1): "Set LmChallengeResponse to
            // NtChallengeResponse".
            r.lm_response = r.nt_response;
        }
    }
    crypto::md4(nt_hash, r.session_base_key.span());
    return r;
}

Bytes ntlmv2_client_blob(uint64_t filetime, const Challenge8& client_challenge, ByteView av_pairs) {
    // MS-NLMP 3.3.2: "temp to ConcatenationOf(Responserversion,
    // HiResponserversion, Z(6), Time, ClientChallenge, Z(4), ServerName, Z(4))".
    ByteWriter w(28 + av_pairs.size() + 4);
    w.u8(1);
    w.u8(1);
    w.zeros(6);
    w.u64le(filetime);
    w.bytes(client_challenge);
    w.zeros(4);
    w.bytes(av_pairs);
    w.zeros(4);
    return w.take();
}

std::array<uint8_t, 16> ntlmv2_proof(const Key16& ntowf_v2, const Challenge8& server_challenge, ByteView blob) {
    return crypto::hmac_md5(ntowf_v2, {server_challenge, blob});
}

Key16 ntlmv2_session_base_key(const Key16& ntowf_v2, std::span<const uint8_t, 16> nt_proof) {
    Key16 out;
    crypto::hmac_md5(ntowf_v2, {nt_proof}, out.span());
    return out;
}

std::array<uint8_t, 24> lmv2_response(const Key16& ntowf_v2, const Challenge8& server_challenge,
                                      const Challenge8& client_challenge) {
    const auto mac = crypto::hmac_md5(ntowf_v2, {server_challenge, client_challenge});
    std::array<uint8_t, 24> out{};
    std::copy(mac.begin(), mac.end(), out.begin());
    std::copy(client_challenge.begin(), client_challenge.end(), out.begin() + 16);
    return out;
}

ResponsesV2 compute_ntlmv2(const Key16& ntowf_v2, const Challenge8& server_challenge,
                           const Challenge8& client_challenge, uint64_t filetime, ByteView av_pairs) {
    const Bytes blob = ntlmv2_client_blob(filetime, client_challenge, av_pairs);
    const auto proof = ntlmv2_proof(ntowf_v2, server_challenge, blob);
    ResponsesV2 r;
    r.nt_response.reserve(proof.size() + blob.size());
    r.nt_response.assign(proof.begin(), proof.end());
    r.nt_response.insert(r.nt_response.end(), blob.begin(), blob.end());
    const auto lm = lmv2_response(ntowf_v2, server_challenge, client_challenge);
    r.lm_response.assign(lm.begin(), lm.end());
    r.session_base_key = ntlmv2_session_base_key(ntowf_v2, proof);
    return r;
}

Key16 kxkey(uint32_t flags, bool ntlmv2, const Key16& session_base_key, const Key16& lm_owf, ByteView lm_response,
            const Challenge8& server_challenge) {
    if (ntlmv2) return session_base_key;

    const bool needs_lm_response =
        (flags & (flag::extended_session_security | flag::lm_key)) != 0;
    if (needs_lm_response && lm_response.size() < 8) throw DecodeError(Minor::bad_response_length, "LM response");

    if ((flags & flag::extended_session_security) != 0) {
        // MS-NLMP 3.4.5.1: "KeyExchangeKey to HMAC_MD5(SessionBaseKey,
        // ConcatenationOf(ServerChallenge, LmChallengeResponse [0..7]))".
        Key16 out;
        crypto::hmac_md5(session_base_key, {server_challenge, lm_response.first(8)}, out.span());
        return out;
    }
    if ((flags & flag::lm_key) != 0) {
        // MS-NLMP 3.4.5.1: "ConcatenationOf(DES(LMOWF[0..6],
        // LmChallengeResponse[0..7]), DES(ConcatenationOf(LMOWF[7],
        // 0xBDBDBDBDBDBD), LmChallengeResponse[0..7]))".
        const std::span<const uint8_t, 8> block(lm_response.data(), 8);
        uint8_t second_key[7] = {lm_owf[7], 0xbd, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd};
        Key16 out;
        crypto::des_encrypt_block(seven(lm_owf.data()), block, half(out, 0));
        crypto::des_encrypt_block(seven(second_key), block, half(out, 1));
        secure_wipe(second_key, sizeof(second_key));
        return out;
    }
    if ((flags & flag::request_non_nt_session_key) != 0) {
        // MS-NLMP 3.4.5.1: "ConcatenationOf(LMOWF[0..7], Z(8))".
        Key16 out;
        std::copy(lm_owf.data(), lm_owf.data() + 8, out.data());
        return out;
    }
    return session_base_key;
}

Key16 sign_key(const Key16& exported_session_key, bool client) {
    Key16 out;
    crypto::md5({exported_session_key, client ? with_nul(client_sign_magic) : with_nul(server_sign_magic)},
                out.span());
    return out;
}

SecureBytes seal_key(uint32_t flags, const Key16& exported_session_key, bool client) {
    const ByteView key = exported_session_key;
    if ((flags & flag::extended_session_security) != 0) {
        // MS-NLMP 3.4.5.3: 128-bit uses the whole key, "Else If
        // (NTLMSSP_NEGOTIATE_56 flag is set in NegFlg) Set SealKey to
        // ExportedSessionKey[0..6] Else Set SealKey to
        // ExportedSessionKey[0..4]", then MD5 with the direction's constant.
        const ByteView weakened = (flags & flag::negotiate_128) != 0  ? key
                                  : (flags & flag::negotiate_56) != 0 ? key.first(7)
                                                                       : key.first(5);
        SecureBytes out(16);
        crypto::md5({weakened, client ? with_nul(client_seal_magic) : with_nul(server_seal_magic)},
                    std::span<uint8_t, 16>(out.data(), 16));
        return out;
    }
    if ((flags & (flag::lm_key | flag::datagram)) != 0) {
        // MS-NLMP 3.4.5.3: "ConcatenationOf(RandomSessionKey[0..6], 0xA0)" for
        // 56 bits, else "ConcatenationOf(RandomSessionKey[0..4], 0xE5, 0x38,
        // 0xB0)".
        SecureBytes out;
        if ((flags & flag::negotiate_56) != 0) {
            out.assign(key.begin(), key.begin() + 7);
            out.push_back(0xa0);
        } else {
            out.assign(key.begin(), key.begin() + 5);
            out.insert(out.end(), {0xe5, 0x38, 0xb0});
        }
        return out;
    }
    return SecureBytes(key.begin(), key.end());
}

Mic16 compute_mic(const Key16& exported_session_key, ByteView negotiate, ByteView challenge,
                  ByteView authenticate_zeroed_mic) {
    return crypto::hmac_md5(exported_session_key, {negotiate, challenge, authenticate_zeroed_mic});
}

std::array<uint8_t, 16> channel_bindings_hash(uint32_t initiator_addrtype, ByteView initiator_address,
                                              uint32_t acceptor_addrtype, ByteView acceptor_address,
                                              ByteView application_data) {
    const auto length = [](ByteView v) {
        if (v.size() > UINT32_MAX) throw GssError(GSS_S_BAD_BINDINGS, Minor::internal_error, "binding too long");
        return static_cast<uint32_t>(v.size());
    };
    uint8_t init_type[4], init_len[4], acc_type[4], acc_len[4], app_len[4];
    put_u32le(init_type, initiator_addrtype);
    put_u32le(init_len, length(initiator_address));
    put_u32le(acc_type, acceptor_addrtype);
    put_u32le(acc_len, length(acceptor_address));
    put_u32le(app_len, length(application_data));
    return crypto::md5({init_type, init_len, initiator_address, acc_type, acc_len, acceptor_address, app_len,
                        application_data});
}

uint64_t filetime_now() noexcept {
    // 100-nanosecond intervals between 1601-01-01 and 1970-01-01.
    constexpr uint64_t epoch_offset = 116444736000000000ull;
    const auto since_1970 = std::chrono::system_clock::now().time_since_epoch();
    const auto ticks = std::chrono::duration_cast<std::chrono::duration<int64_t, std::ratio<1, 10000000>>>(since_1970);
    return epoch_offset + static_cast<uint64_t>(ticks.count());
}

}  // namespace gssneg::ntlm
