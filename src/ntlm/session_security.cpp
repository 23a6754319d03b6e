#include "ntlm/session_security.h"

#include "ntlm/flags.h"
#include "ntlm/ntlm_crypto.h"
#include "util/ct.h"
#include "util/errors.h"

#include <algorithm>
#include <vector>

namespace gssneg::ntlm {

namespace {

constexpr uint32_t signature_version = 1;

void put_u32le(uint8_t* p, uint32_t v) noexcept {
    for (size_t i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

SessionSecurity::Signature dummy_signature() noexcept {
    // MS-NLMP 3.4.4: without a negotiated key the signature is the version
    // followed by zeros.
    SessionSecurity::Signature s{};
    put_u32le(s.data(), signature_version);
    return s;
}

std::vector<ByteView> views_of(std::span<const SessionSecurity::Part> parts) {
    std::vector<ByteView> views;
    views.reserve(parts.size());
    for (const auto& p : parts) views.emplace_back(p.data);
    return views;
}

void skip_keystream(crypto::Rc4& rc4, size_t n) {
    if (n == 0) return;
    std::array<uint8_t, 16384> scratch{};
    while (n > 0) {
        const size_t step = std::min(n, scratch.size());
        rc4.process_inplace(std::span<uint8_t>(scratch).first(step));
        n -= step;
    }
    secure_wipe(scratch.data(), scratch.size());
}

}  // namespace

SessionSecurity::SessionSecurity(uint32_t negotiated_flags, const Key16& exported_session_key, bool is_initiator)
    : m_flags(negotiated_flags),
      m_ess((negotiated_flags & flag::extended_session_security) != 0),
      m_key_exch((negotiated_flags & flag::key_exch) != 0),
      m_dummy((negotiated_flags & (flag::sign | flag::seal)) == 0),
      m_can_seal(!m_dummy && (negotiated_flags & flag::seal) != 0) {
    if (m_dummy) return;
    if (m_ess) {
        m_out.mac.emplace(sign_key(exported_session_key, is_initiator));
        m_in.mac.emplace(sign_key(exported_session_key, !is_initiator));
        m_out.seal_key = seal_key(negotiated_flags, exported_session_key, is_initiator);
        m_in.seal_key = seal_key(negotiated_flags, exported_session_key, !is_initiator);
        rekey(m_in, 0);
    } else {
        m_out.seal_key = seal_key(negotiated_flags, exported_session_key, is_initiator);
    }
    rekey(m_out, 0);
}

SessionSecurity::~SessionSecurity() = default;
SessionSecurity::SessionSecurity(SessionSecurity&&) noexcept = default;
SessionSecurity& SessionSecurity::operator=(SessionSecurity&&) noexcept = default;

void SessionSecurity::CountedRc4::run(std::span<uint8_t> data) const {
    if (rc4 == nullptr) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    rc4->process_inplace(data);
    *position += data.size();
}

void SessionSecurity::CountedRc4::seal(crypto::HmacMd5Run& mac, std::span<uint8_t> data) const {
    if (rc4 == nullptr) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    mac.update_then_rc4(data, data, *rc4);
    *position += data.size();
}

void SessionSecurity::CountedRc4::unseal(crypto::HmacMd5Run& mac, std::span<uint8_t> data) const {
    if (rc4 == nullptr) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    mac.rc4_then_update(data, data, *rc4);
    *position += data.size();
}

crypto::Rc4& SessionSecurity::outgoing_rc4() {
    if (!m_out.rc4) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    return *m_out.rc4;
}

const crypto::Rc4& SessionSecurity::incoming_rc4() const {
    const auto& h = incoming_direction().rc4;
    if (!h) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    return *h;
}

void SessionSecurity::require_seal() const {
    if (!m_can_seal) throw GssError(GSS_S_UNAVAILABLE, Minor::sealing_not_negotiated);
}

// The signature before its encryption: version, checksum and sequence
// number over the plaintext.
SessionSecurity::Signature SessionSecurity::plain_signature(uint32_t seq, std::span<const ByteView> data,
                                                            const std::optional<crypto::HmacMd5>& mac) const {
    Signature s{};
    put_u32le(s.data(), signature_version);
    put_u32le(s.data() + 12, seq);
    if (m_ess) {
        // MS-NLMP 3.4.4.2: "Set NTLMSSP_MESSAGE_SIGNATURE.Checksum to
        // HMAC_MD5(SigningKey, ConcatenationOf(SeqNum, Message))[0..7]".
        std::vector<ByteView> parts;
        parts.reserve(data.size() + 1);
        parts.emplace_back(s.data() + 12, 4);
        parts.insert(parts.end(), data.begin(), data.end());
        const auto hmac = mac->mac(std::span<const ByteView>(parts));
        std::copy_n(hmac.begin(), 8, s.begin() + 4);
    } else {
        // MS-NLMP 3.4.4.1: "Set NTLMSSP_MESSAGE_SIGNATURE.Checksum to
        // CRC32(Message)", RandomPad 0.
        uint32_t crc = 0;
        for (const ByteView d : data) crc = crypto::crc32(d, crc);
        put_u32le(s.data() + 8, crc);
    }
    return s;
}

// The plain signature of a message whose confidential parts go through rc4
// on the way: sealing hashes the plaintext and then encrypts it, unsealing
// decrypts and then hashes (MS-NLMP 3.4.3: "Set SealedMessage to
// RC4(Handle, Message)"; the checksum is over the plaintext). With ESS the
// two run in one pass over each confidential part (crypto::HmacMd5Run).
SessionSecurity::Signature SessionSecurity::crypt_and_sign(uint32_t seq, std::span<const Part> parts,
                                                           const std::optional<crypto::HmacMd5>& mac,
                                                           CountedRc4 rc4, Pass pass) const {
    const bool any_confidential =
        std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.confidential; });
    if (!m_ess || !any_confidential) {
        if (pass == Pass::unseal)
            for (const auto& p : parts)
                if (p.confidential) rc4.run(p.data);
        const Signature s = plain_signature(seq, views_of(parts), mac);
        if (pass == Pass::seal)
            for (const auto& p : parts)
                if (p.confidential) rc4.run(p.data);
        return s;
    }
    Signature s{};
    put_u32le(s.data(), signature_version);
    put_u32le(s.data() + 12, seq);
    // MS-NLMP 3.4.4.2: "Set NTLMSSP_MESSAGE_SIGNATURE.Checksum to
    // HMAC_MD5(SigningKey, ConcatenationOf(SeqNum, Message))[0..7]".
    crypto::HmacMd5Run hmac(*mac);
    hmac.update(ByteView(s.data() + 12, 4));
    for (const auto& p : parts) {
        if (!p.confidential)
            hmac.update(p.data);
        else if (pass == Pass::seal)
            rc4.seal(hmac, p.data);
        else
            rc4.unseal(hmac, p.data);
    }
    auto checksum = hmac.finish();
    std::copy_n(checksum.begin(), 8, s.begin() + 4);
    secure_wipe(checksum.data(), checksum.size());
    return s;
}

// Encrypts the signature fields with the direction's RC4 handle, after the
// message itself has been (un)sealed with the same handle.
void SessionSecurity::encrypt_signature(Signature& s, CountedRc4 rc4) const {
    if (m_ess) {
        // MS-NLMP 3.4.4.2: "If NTLMSSP_NEGOTIATE_KEY_EXCH ... Set
        // NTLMSSP_MESSAGE_SIGNATURE.Checksum to RC4(Handle,
        // NTLMSSP_MESSAGE_SIGNATURE.Checksum)".
        if (m_key_exch) rc4.run(std::span<uint8_t>(s).subspan(4, 8));
        return;
    }
    // MS-NLMP 3.4.4.1: RandomPad, Checksum and SeqNum each go through
    // RC4(Handle, ...); for connection-oriented contexts "SeqNum =
    // SeqNum XOR" the sequence number, which is the same as encrypting it.
    rc4.run(std::span<uint8_t>(s).subspan(4, 12));
    // The RandomPad is sent as zeros while its keystream is still consumed:
    // Windows, Samba and gss-ntlmssp all do so (see the 4.2.2.4 vectors).
    std::fill_n(s.begin() + 4, 4, uint8_t{0});
}

SessionSecurity::Signature SessionSecurity::sign(uint32_t seq, std::initializer_list<ByteView> data) {
    return sign_parts(seq, std::span<const ByteView>(data.begin(), data.size()));
}

SessionSecurity::Signature SessionSecurity::sign_parts(uint32_t seq, std::span<const ByteView> data) {
    if (m_dummy) return dummy_signature();
    Signature s = plain_signature(seq, data, m_out.mac);
    encrypt_signature(s, CountedRc4{&outgoing_rc4(), &m_out.position});
    return s;
}

SessionSecurity::Signature SessionSecurity::seal(uint32_t seq, std::span<uint8_t> data) {
    const Part part{data, true};
    return seal_parts(seq, std::span<const Part>(&part, 1));
}

SessionSecurity::Signature SessionSecurity::seal_parts(uint32_t seq, std::span<const Part> parts) {
    require_seal();
    // MS-NLMP 3.4.3: "Set SealedMessage to RC4(Handle, Message)" and then
    // "Set Signature to MAC(Handle, SigningKey, SeqNum, Message)": the
    // checksum is over the plaintext, and its encryption continues the
    // keystream after the message.
    const CountedRc4 rc4{&outgoing_rc4(), &m_out.position};
    Signature s = crypt_and_sign(seq, parts, m_out.mac, rc4, Pass::seal);
    encrypt_signature(s, rc4);
    return s;
}

bool SessionSecurity::verify(uint32_t seq, std::initializer_list<ByteView> data, ByteView signature) {
    return verify_parts(seq, std::span<const ByteView>(data.begin(), data.size()), signature);
}

bool SessionSecurity::verify_parts(uint32_t seq, std::span<const ByteView> data, ByteView signature, bool in_step) {
    if (signature.size() != signature_size) return false;
    if (m_dummy) return ct_equal(signature, dummy_signature());
    std::vector<Part> parts;
    parts.reserve(data.size());
    // Read-only parts: check_incoming never writes a non-confidential part.
    for (const ByteView d : data) parts.push_back(Part{{const_cast<uint8_t*>(d.data()), d.size()}, false});
    return check_incoming(seq, parts, signature, in_step);
}

bool SessionSecurity::unseal(uint32_t seq, std::span<uint8_t> data, ByteView signature) {
    const Part part{data, true};
    return unseal_parts(seq, std::span<const Part>(&part, 1), signature);
}

bool SessionSecurity::unseal_parts(uint32_t seq, std::span<const Part> parts, ByteView signature, bool in_step) {
    require_seal();
    if (signature.size() != signature_size) return false;
    return check_incoming(seq, parts, signature, in_step);
}

// Runs the check on a copy of the incoming handle and keeps the copy when
// the check passed or the token was made at this stream position.
bool SessionSecurity::check_incoming(uint32_t seq, std::span<const Part> parts, ByteView signature, bool in_step) {
    const bool uses_rc4 = !m_ess || m_key_exch ||
                          std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.confidential; });
    if (!uses_rc4) {
        // ESS without KEY_EXCH: a bare HMAC, independent of any stream.
        bool unused = false;
        return check_signature(seq, parts, signature, CountedRc4{}, unused);
    }
    Direction& d = incoming_direction();
    if (!d.rc4) throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 handle");
    if (m_ess && in_step) {
        // The token carries the expected sequence number in clear, so the
        // stream advances whatever the outcome: run the live handle, with no
        // copy (the common case, and the hot path of every unwrap).
        const CountedRc4 live{&*d.rc4, &d.position};
        bool unused = true;
        return check_signature(seq, parts, signature, live, unused);
    }
    crypto::Rc4 trial = d.rc4->clone();
    uint64_t position = d.position;
    const CountedRc4 rc4{&trial, &position};
    bool made_here = in_step;
    const bool ok = check_signature(seq, parts, signature, rc4, made_here);
    if (ok || made_here) {
        *d.rc4 = std::move(trial);
        d.position = position;
    }
    return ok;
}

// Unseals the confidential parts and checks the signature.
bool SessionSecurity::check_signature(uint32_t seq, std::span<const Part> parts, ByteView signature,
                                      CountedRc4 rc4, bool& made_here) const {
    Signature expected = crypt_and_sign(seq, parts, m_in.mac, rc4, Pass::unseal);
    if (m_ess) {
        encrypt_signature(expected, rc4);
        return ct_equal(expected, signature);
    }
    // NTLMv1: decrypt what was received and compare version, checksum and
    // sequence number; the RandomPad field is not checked (peers zero it).
    Signature received{};
    std::copy(signature.begin(), signature.end(), received.begin());
    rc4.run(std::span<uint8_t>(received).subspan(4, 12));
    std::fill_n(received.begin() + 4, 4, uint8_t{0});
    // A token made at another stream position decrypts to a random SeqNum.
    made_here = std::equal(received.begin() + 12, received.end(), expected.begin() + 12);
    return ct_equal(received, expected);
}

uint32_t SessionSecurity::clear_sequence(ByteView signature) {
    ByteReader r(signature, Minor::bad_signature);
    r.skip(12);
    const uint32_t seq = r.u32le();
    r.assert_done();
    return seq;
}

uint32_t SessionSecurity::incoming_sequence(ByteView signature, size_t sealed_length) const {
    if (m_ess || m_dummy) return clear_sequence(signature);
    if (signature.size() != signature_size) throw DecodeError(Minor::bad_signature, "signature size");
    crypto::Rc4 peek = incoming_rc4().clone();
    skip_keystream(peek, sealed_length + 8);
    std::array<uint8_t, 4> seq{};
    peek.process(signature.subspan(12, 4), seq);
    return static_cast<uint32_t>(seq[0]) | static_cast<uint32_t>(seq[1]) << 8 | static_cast<uint32_t>(seq[2]) << 16 |
           static_cast<uint32_t>(seq[3]) << 24;
}

void SessionSecurity::rekey(Direction& d, uint64_t position) {
    d.rc4.emplace(d.seal_key, m_ess ? crypto::Rc4::Engine::in_tree : crypto::Rc4::Engine::openssl);
    d.position = 0;
    skip_keystream(*d.rc4, position);
    d.position = position;
}

void SessionSecurity::reset_rc4() {
    if (m_dummy) return;
    rekey(m_out, 0);
    if (m_ess) rekey(m_in, 0);
}

void SessionSecurity::reset_rc4(Stream which) {
    if (m_dummy) return;
    rekey(which == Stream::incoming ? incoming_direction() : m_out, 0);
}

SessionSecurity::StreamPositions SessionSecurity::stream_positions() const noexcept {
    return StreamPositions{m_out.position, incoming_direction().position};
}

void SessionSecurity::restore_stream_positions(const StreamPositions& positions) {
    if (m_dummy) {
        if (positions.outgoing != 0 || positions.incoming != 0)
            throw GssError(GSS_S_FAILURE, Minor::internal_error, "no RC4 streams without SIGN or SEAL");
        return;
    }
    if (!m_ess && positions.incoming != positions.outgoing)
        throw GssError(GSS_S_FAILURE, Minor::internal_error, "one shared stream without ESS");
    rekey(m_out, positions.outgoing);
    if (m_ess) rekey(m_in, positions.incoming);
}

}  // namespace gssneg::ntlm
