#include "ntlm/flags.h"

#include <array>
#include <cstdio>

namespace gssneg::ntlm {

namespace {

struct FlagName {
    uint32_t bit;
    const char* name;
};

constexpr std::array<FlagName, 22> flag_names = {{
    {flag::unicode, "UNICODE"},
    {flag::oem, "OEM"},
    {flag::request_target, "REQUEST_TARGET"},
    {flag::sign, "SIGN"},
    {flag::seal, "SEAL"},
    {flag::datagram, "DATAGRAM"},
    {flag::lm_key, "LM_KEY"},
    {flag::ntlm, "NTLM"},
    {flag::anonymous, "ANONYMOUS"},
    {flag::oem_domain_supplied, "OEM_DOMAIN_SUPPLIED"},
    {flag::oem_workstation_supplied, "OEM_WORKSTATION_SUPPLIED"},
    {flag::always_sign, "ALWAYS_SIGN"},
    {flag::target_type_domain, "TARGET_TYPE_DOMAIN"},
    {flag::target_type_server, "TARGET_TYPE_SERVER"},
    {flag::extended_session_security, "EXTENDED_SESSIONSECURITY"},
    {flag::identify, "IDENTIFY"},
    {flag::request_non_nt_session_key, "REQUEST_NON_NT_SESSION_KEY"},
    {flag::target_info, "TARGET_INFO"},
    {flag::version, "VERSION"},
    {flag::negotiate_128, "128"},
    {flag::key_exch, "KEY_EXCH"},
    {flag::negotiate_56, "56"},
}};

const char* flag_name(uint32_t bit) noexcept {
    for (const FlagName& f : flag_names)
        if (f.bit == bit) return f.name;
    return nullptr;
}

}  // namespace

std::string flags_to_string(uint32_t flags) {
    std::string out;
    for (int i = 0; i < 32; ++i) {
        const uint32_t bit = uint32_t{1} << i;
        if ((flags & bit) == 0) continue;
        if (!out.empty()) out += '|';
        if (const char* name = flag_name(bit)) {
            out += name;
        } else {
            char hex[11];
            std::snprintf(hex, sizeof hex, "0x%08x", bit);
            out += hex;
        }
    }
    return out;
}

}  // namespace gssneg::ntlm
