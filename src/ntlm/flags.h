// NTLMSSP negotiate flags (MS-NLMP 2.2.2.5).
#pragma once

#include <cstdint>
#include <string>

namespace gssneg::ntlm {

namespace flag {
inline constexpr uint32_t unicode = 0x00000001;                 // NTLMSSP_NEGOTIATE_UNICODE
inline constexpr uint32_t oem = 0x00000002;                     // NTLM_NEGOTIATE_OEM
inline constexpr uint32_t request_target = 0x00000004;          // NTLMSSP_REQUEST_TARGET
inline constexpr uint32_t sign = 0x00000010;                    // NTLMSSP_NEGOTIATE_SIGN
inline constexpr uint32_t seal = 0x00000020;                    // NTLMSSP_NEGOTIATE_SEAL
inline constexpr uint32_t datagram = 0x00000040;                // NTLMSSP_NEGOTIATE_DATAGRAM
inline constexpr uint32_t lm_key = 0x00000080;                  // NTLMSSP_NEGOTIATE_LM_KEY
inline constexpr uint32_t ntlm = 0x00000200;                    // NTLMSSP_NEGOTIATE_NTLM
inline constexpr uint32_t anonymous = 0x00000800;               // NTLMSSP_ANONYMOUS
inline constexpr uint32_t oem_domain_supplied = 0x00001000;
inline constexpr uint32_t oem_workstation_supplied = 0x00002000;
inline constexpr uint32_t always_sign = 0x00008000;
inline constexpr uint32_t target_type_domain = 0x00010000;
inline constexpr uint32_t target_type_server = 0x00020000;
inline constexpr uint32_t extended_session_security = 0x00080000;  // ESS
inline constexpr uint32_t identify = 0x00100000;
inline constexpr uint32_t request_non_nt_session_key = 0x00400000;
inline constexpr uint32_t target_info = 0x00800000;
inline constexpr uint32_t version = 0x02000000;
inline constexpr uint32_t negotiate_128 = 0x20000000;
inline constexpr uint32_t key_exch = 0x40000000;
inline constexpr uint32_t negotiate_56 = 0x80000000;
}  // namespace flag

// "UNICODE|NTLM|SEAL|..." for traces and gssneg-inspect.
std::string flags_to_string(uint32_t flags);

}  // namespace gssneg::ntlm
