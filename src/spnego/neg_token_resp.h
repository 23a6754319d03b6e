// NegTokenResp (RFC 4178 4.2.2), every token after the first:
//   a1 len 30 len { [0] negState, [1] supportedMech, [2] responseToken,
//                   [3] mechListMIC }, each field OPTIONAL.
#pragma once

#include "spnego/der.h"
#include "spnego/oid.h"
#include "util/bytes.h"

#include <cstdint>
#include <optional>

namespace gssneg::spnego {

// RFC 4178 4.2.2 negState ENUMERATED.
enum class NegState : uint8_t {
    accept_completed = 0,
    accept_incomplete = 1,
    reject = 2,
    request_mic = 3,
};

// "accept-completed", "accept-incomplete", "reject", "request-mic".
const char* neg_state_name(NegState state) noexcept;

class NegTokenResp final {
public:
    // Parses; a negState outside the four values is spnego_bad_neg_state.
    explicit NegTokenResp(ByteView token, size_t max_length = default_max_length);
    // Builds.
    NegTokenResp(std::optional<NegState> neg_state, std::optional<Oid> supported_mech,
                 std::optional<Bytes> response_token, std::optional<Bytes> mech_list_mic = std::nullopt);

    Bytes serialize() const;

    const std::optional<NegState>& neg_state() const noexcept { return m_neg_state; }
    const std::optional<Oid>& supported_mech() const noexcept { return m_supported_mech; }
    const std::optional<Bytes>& response_token() const noexcept { return m_response_token; }
    const std::optional<Bytes>& mech_list_mic() const noexcept { return m_mech_list_mic; }

private:
    std::optional<NegState> m_neg_state;
    std::optional<Oid> m_supported_mech;
    std::optional<Bytes> m_response_token;
    std::optional<Bytes> m_mech_list_mic;
};

}  // namespace gssneg::spnego
