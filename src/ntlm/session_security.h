// MS-NLMP 3.4: message integrity and confidentiality for one established,
// connection-oriented NTLM context. Used by gss_get_mic / gss_verify_mic,
// gss_wrap / gss_unwrap and their IOV forms.
//
// The caller keeps one sequence number per direction and passes it in; this
// class only derives the keys and runs the RC4 streams, which advance with
// every signature and every sealed byte, so messages must be processed in
// the order they are sent.
//
// Incoming checks are transactional: they run on a copy of the incoming RC4
// handle, which replaces the handle on success. On failure the stream
// advances only when the token was made at this stream position (the
// sender's stream moved past it, as for a message damaged in transit):
// without ESS when its decrypted SeqNum is the one expected, with ESS when
// the caller says so (in_step: the clear SeqNum is the next one expected).
// A replayed, reordered or injected token leaves the stream where it was,
// so the next genuine message still verifies.
//
// The keystream position of each RC4 handle is counted in bytes; context
// export carries these counts and import re-derives the handles by
// re-keying and discarding that many keystream bytes (OpenSSL 3 does not
// expose the RC4 S-box of a provider cipher).
//
// With extended session security each direction's RC4 handle is the in-tree
// one (crypto::Rc4::Engine::in_tree): sealing and unsealing then run RC4
// stitched with the HMAC-MD5 of the message (crypto::HmacMd5Run), one pass
// over the data instead of two. Everything else that uses the stream (MICs'
// checksums under KEY_EXCH, trial copies, resets, re-keying on import) goes
// through the same handle, so each direction keeps a single keystream.
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
    // in_step (ESS only): on failure, advance the stream as if the token had
    // been processed; see the comment at the top.
    bool verify(uint32_t seq, std::initializer_list<ByteView> data, ByteView signature);
    bool verify_parts(uint32_t seq, std::span<const ByteView> data, ByteView signature, bool in_step = true);
    bool unseal(uint32_t seq, std::span<uint8_t> data, ByteView signature);
    bool unseal_parts(uint32_t seq, std::span<const Part> parts, ByteView signature, bool in_step = true);

    // The sequence number an incoming signature carries, without advancing
    // any state. With ESS it is in clear; without, it is RC4-encrypted and
    // is read at the keystream position the signature will be checked at:
    // sealed_length is the number of bytes unseal will decrypt first (0 for
    // verify). Throws DecodeError if the signature is not 16 bytes.
    uint32_t incoming_sequence(ByteView signature, size_t sealed_length = 0) const;
    // With ESS only: bytes 12..15 of a signature, little-endian.
    static uint32_t clear_sequence(ByteView signature);

    // MS-SPNG 3.3.5.1: re-initialises the RC4 handles from the seal keys
    // after the mechListMIC has been produced or checked. Without ESS there
    // is one handle and either call resets it. Sequence numbers are the
    // caller's and are not touched.
    enum class Stream { outgoing, incoming };
    void reset_rc4();
    void reset_rc4(Stream which);

    // Keystream bytes consumed by each RC4 handle since it was keyed (or
    // reset). Without ESS both are the one shared handle's count.
    struct StreamPositions {
        uint64_t outgoing = 0;
        uint64_t incoming = 0;
    };
    StreamPositions stream_positions() const noexcept;
    // Re-keys the handles and discards keystream up to the given positions
    // (context import). Costs time linear in the positions.
    void restore_stream_positions(const StreamPositions& positions);

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
        uint64_t position = 0;
    };

    // An RC4 handle that counts the keystream it uses (none: no stream).
    struct CountedRc4 {
        crypto::Rc4* rc4 = nullptr;
        uint64_t* position = nullptr;
        void run(std::span<uint8_t> data) const;
        // The same, hashing the plaintext into mac on the way.
        void seal(crypto::HmacMd5Run& mac, std::span<uint8_t> data) const;
        void unseal(crypto::HmacMd5Run& mac, std::span<uint8_t> data) const;
    };
    enum class Pass { seal, unseal };

    Direction& incoming_direction() noexcept { return m_ess ? m_in : m_out; }
    const Direction& incoming_direction() const noexcept { return m_ess ? m_in : m_out; }
    crypto::Rc4& outgoing_rc4();
    const crypto::Rc4& incoming_rc4() const;
    Signature plain_signature(uint32_t seq, std::span<const ByteView> data,
                              const std::optional<crypto::HmacMd5>& mac) const;
    Signature crypt_and_sign(uint32_t seq, std::span<const Part> parts, const std::optional<crypto::HmacMd5>& mac,
                             CountedRc4 rc4, Pass pass) const;
    void encrypt_signature(Signature& s, CountedRc4 rc4) const;
    bool check_signature(uint32_t seq, std::span<const Part> parts, ByteView signature, CountedRc4 rc4,
                         bool& made_here) const;
    bool check_incoming(uint32_t seq, std::span<const Part> parts, ByteView signature, bool in_step);
    void rekey(Direction& d, uint64_t position);
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
