// MS-NLMP 3.3 and 3.4.5: pure functions from passwords, challenges and
// messages to hashes, responses and keys. No state, no I/O.
#pragma once

#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "util/bytes.h"
#include "util/secure.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gssneg::ntlm {

// NTOWFv1 = MD4(UNICODE(Passwd)) (3.3.1).
Key16 nt_owf_v1(std::string_view password_utf8);
// LMOWFv1 = DES(UpperCase(Passwd)[0..6], "KGS!@#$%") || DES(...[7..13], ...) (3.3.1).
Key16 lm_owf_v1(std::string_view password_utf8);
// Whether a password has an LM hash: at most 14 characters (longer ones
// would be truncated, so Windows and Samba keep no LM hash for them).
bool lm_owf_possible(std::string_view password_utf8) noexcept;
// NTOWFv2 = HMAC_MD5(NT hash, UNICODE(ConcatenationOf(UpperCase(User), UserDom))) (3.3.2).
Key16 nt_owf_v2(const Key16& nt_hash, std::string_view user, std::string_view domain);
// DESL(K, D) (6): three DES encryptions with K split 7/7/2+zeros.
std::array<uint8_t, 24> desl(const Key16& key, std::span<const uint8_t, 8> data);

struct ResponsesV1 {
    Bytes lm_response;  // 24 bytes
    Bytes nt_response;  // 24 bytes
    Key16 session_base_key;
};
// NTLMv1 with or without extended session security (3.3.1), chosen by
// flags. Without an LM hash the LM response is a copy of the NT response.
ResponsesV1 compute_ntlmv1(uint32_t flags, const Key16& nt_hash, const std::optional<Key16>& lm_hash,
                           const Challenge8& server_challenge, const Challenge8& client_challenge);

// The NTLMv2 client blob ("temp" in 3.3.2): 01 01 0000 00000000 Time
// ClientChallenge 00000000 AvPairs 00000000.
Bytes ntlmv2_client_blob(uint64_t filetime, const Challenge8& client_challenge, ByteView av_pairs);

struct ResponsesV2 {
    Bytes lm_response;  // LMv2: 24 bytes
    Bytes nt_response;  // NTProofStr || blob
    Key16 session_base_key;
};
ResponsesV2 compute_ntlmv2(const Key16& ntowf_v2, const Challenge8& server_challenge,
                           const Challenge8& client_challenge, uint64_t filetime, ByteView av_pairs);
// NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge || blob), for the acceptor.
std::array<uint8_t, 16> ntlmv2_proof(const Key16& ntowf_v2, const Challenge8& server_challenge, ByteView blob);
// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr).
Key16 ntlmv2_session_base_key(const Key16& ntowf_v2, std::span<const uint8_t, 16> nt_proof);
// LMv2 = HMAC_MD5(LMOWFv2, ServerChallenge || ClientChallenge) || ClientChallenge.
std::array<uint8_t, 24> lmv2_response(const Key16& ntowf_v2, const Challenge8& server_challenge,
                                      const Challenge8& client_challenge);

// KXKEY (3.4.5.1). For NTLMv2 it is the SessionBaseKey; for NTLMv1 it
// depends on ESS, LM_KEY and REQUEST_NON_NT_SESSION_KEY.
Key16 kxkey(uint32_t flags, bool ntlmv2, const Key16& session_base_key, const Key16& lm_owf,
            ByteView lm_response, const Challenge8& server_challenge);

// SIGNKEY (3.4.5.2): only with extended session security.
Key16 sign_key(const Key16& exported_session_key, bool client);
// SEALKEY (3.4.5.3): 16 bytes with ESS (128/56/40-bit variants), 8 bytes
// for LM_KEY/DATAGRAM without ESS (56 or 40 bit), else the whole key.
SecureBytes seal_key(uint32_t flags, const Key16& exported_session_key, bool client);

// MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE)
// with the AUTHENTICATE's MIC field zeroed (3.1.5.1.2).
Mic16 compute_mic(const Key16& exported_session_key, ByteView negotiate, ByteView challenge,
                  ByteView authenticate_zeroed_mic);

// MD5 of the gss_channel_bindings_struct as the MsvAvChannelBindings value:
// each address type and length as 4-byte little-endian, then the bytes.
std::array<uint8_t, 16> channel_bindings_hash(uint32_t initiator_addrtype, ByteView initiator_address,
                                              uint32_t acceptor_addrtype, ByteView acceptor_address,
                                              ByteView application_data);

// Windows FILETIME (100 ns since 1601-01-01) for now.
uint64_t filetime_now() noexcept;

}  // namespace gssneg::ntlm
