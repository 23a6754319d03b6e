// What a completed NTLM handshake leaves behind, on either side.
#pragma once

#include "ntlm/name.h"
#include "util/secure.h"

#include <cstdint>
#include <optional>

namespace gssneg::ntlm {

enum class ResponseKind { anonymous, ntlmv1, ntlmv1_ess, ntlmv2 };

const char* response_kind_name(ResponseKind kind) noexcept;

struct SessionInfo {
    uint32_t flags = 0;            // the negotiated NegotiateFlags
    Key16 exported_session_key;    // MS-NLMP 3.1.5.1.2 / 3.2.5.1.2
    bool mic_present = false;      // the AUTHENTICATE carried a verified MIC
    bool channel_bound = false;    // acceptor: the client's channel bindings matched its own
    ResponseKind response = ResponseKind::ntlmv2;
    std::optional<Name> initiator;  // the authenticated user
};

}  // namespace gssneg::ntlm
