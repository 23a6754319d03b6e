// MS-NLMP 3.4: message integrity and confidentiality for one established,
// connection-oriented NTLM context. Used by gss_get_mic / gss_verify_mic,
// gss_wrap / gss_unwrap and their IOV forms.
//
// The caller keeps one sequence number per direction and passes it in; this
// class only derives the keys and runs the RC4 streams, which advance with
// every signature and every sealed byte, so messages must be processed in
// the order they are sent.
//
// Without extended session security (NTLMv1 signatures: CRC-32, RC4 over
// RandomPad/Checksum/SeqNum), both directions use the same seal key. Samba
// and gss-ntlmssp then run a single RC4 stream and a single sequence counter
// for both directions; this class does the same (shared_stream() is true),
// so the caller should use one counter for outgoing and incoming messages.
//
// Signatures are dummies (MS-NLMP 3.4.4: version 1 followed by twelve zero
// bytes) when neither SIGN nor SEAL was negotiated: ALWAYS_SIGN alone,
// anonymous and identify-only contexts. Sealing is then unavailable.
//
// Connectionless re-keying (DATAGRAM with ESS) is not done.
#pragma once

#include "crypto/crypto.h"
#include "util/bytes.h"
#include "util/secure.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

namespace gssneg::ntlm {

class SessionSecurity final {
public:
    static constexpr size_t signature_size = 16;
    using Signature = std::array<uint8_t, signature_size>;

    // One buffer of a scatter/gather message: every part is signed, only the
    // confidential ones are encrypted (GSS_IOV_BUFFER_TYPE_DATA versus
    // SIGN_ONLY).
    struct Part {
        std::span<uint8_t> data;
        bool confidential = true;
    };

    // Derives the sign and seal keys of both directions (3.4.5.2, 3.4.5.3)
    // from the ExportedSessionKey; the initiator sends with the client keys.
    SessionSecurity(uint32_t negotiated_flags, const Key16& exported_session_key, bool is_initiator);
    ~SessionSecurity();
    SessionSecurity(const SessionSecurity&) = delete;
    SessionSecurity& operator=(const SessionSecurity&) = delete;
    SessionSecurity(SessionSecurity&&) noexcept;
    SessionSecurity& operator=(SessionSecurity&&) noexcept;

    // Outgoing MIC over the concatenation of the parts (3.4.4).
    Signature sign(uint32_t seq, std::initializer_list<ByteView> data);
    Signature sign_parts(uint32_t seq, std::span<const ByteView> data);

    // Encrypts in place and returns the signature of the plaintext (3.4.3).
    // Throws GssError(sealing_not_negotiated) without SEAL.
    Signature seal(uint32_t seq, std::span<uint8_t> data);
    Signature seal_parts(uint32_t seq, std::span<const Part> parts);

    // Incoming. False on a wrong signature (compared in constant time).
    // unseal decrypts in place before checking: on false the data is
    // garbage and must be discarded.
    bool verify(uint32_t seq, std::initializer_list<ByteView> data, ByteView signature);
    bool verify_parts(uint32_t seq, std::span<const ByteView> data, ByteView signature);
    bool unseal(uint32_t seq, std::span<uint8_t> data, ByteView signature);
    bool unseal_parts(uint32_t seq, std::span<const Part> parts, ByteView signature);

    // The sequence number an incoming signature carries, without advancing
    // any state. With ESS it is in clear; without, it is RC4-encrypted and
    // is read at the keystream position the signature will be checked at:
    // sealed_length is the number of bytes unseal will decrypt first (0 for
    // verify). Throws DecodeError if the signature is not 16 bytes.
    uint32_t incoming_sequence(ByteView signature, size_t sealed_length = 0) const;
    // With ESS only: bytes 12..15 of a signature, little-endian.
    static uint32_t clear_sequence(ByteView signature);

    // MS-SPNG 3.3.5.1: re-initialises the RC4 handles from the seal keys
    // after the mechListMIC has been produced or checked.
    void reset_rc4();

    uint32_t flags() const noexcept { return m_flags; }
    bool extended_session_security() const noexcept { return m_ess; }
    bool dummy_signatures() const noexcept { return m_dummy; }
    bool can_seal() const noexcept { return m_can_seal; }
    bool shared_stream() const noexcept { return !m_ess; }

private:
    struct Direction {
        std::optional<crypto::HmacMd5> mac;
        SecureBytes seal_key;
        std::optional<crypto::Rc4> rc4;
    };

    crypto::Rc4& outgoing_rc4();
    crypto::Rc4& incoming_rc4();
    const crypto::Rc4& incoming_rc4() const;
    Signature plain_signature(uint32_t seq, std::span<const ByteView> data,
                              const std::optional<crypto::HmacMd5>& mac) const;
    void encrypt_signature(Signature& s, crypto::Rc4& rc4) const;
    bool check_signature(uint32_t seq, std::span<const ByteView> data, ByteView signature);
    void require_seal() const;

    uint32_t m_flags;
    bool m_ess;
    bool m_key_exch;
    bool m_dummy;
    bool m_can_seal;
    Direction m_out;
    Direction m_in;
};

}  // namespace gssneg::ntlm
