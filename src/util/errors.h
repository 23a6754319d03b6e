// Errors carry their GSS major and minor codes from where they are thrown.
#pragma once

#include "util/gss_headers.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gssneg {

// Minor status codes of this module. The values live in a private range so
// that gss_display_status can tell ours from codes handed up by other layers.
// Every code has a text in errors.cpp (minor_text); keep the two in step.
enum class Minor : OM_uint32 {
    none = 0,
    base = 0x6e650000,

    // decoding peer data
    token_truncated,
    token_too_large,
    bad_ntlm_signature,
    wrong_message_type,
    payload_out_of_bounds,
    trailing_data,
    av_pair_malformed,
    av_pair_missing_eol,
    av_pair_duplicate,
    bad_string_encoding,
    unexpected_token,
    der_truncated,
    der_indefinite_length,
    der_non_minimal_length,
    der_length_past_end,
    der_length_over_limit,
    der_high_tag_number,
    der_unexpected_tag,
    der_trailing_data,
    der_bad_integer,
    der_bad_boolean,
    der_bad_bit_string,
    der_bad_oid,
    der_bad_size,
    spnego_wrong_framing_oid,
    spnego_no_mech_types,
    spnego_bad_neg_state,
    der_field_order,

    // authentication outcome
    unknown_user,
    wrong_password,
    ntlmv1_not_allowed,
    lm_not_allowed,
    anonymous_not_allowed,
    mic_missing,
    mic_mismatch,
    channel_bindings_mismatch,
    channel_bindings_missing,
    target_name_mismatch,
    no_common_flags,
    server_challenge_reflected,
    bad_response_length,
    timestamp_out_of_range,

    // credentials and names
    no_credentials,
    no_password,
    user_file_not_set,
    user_file_unreadable,
    user_file_malformed,
    bad_name,
    unsupported_name_type,
    no_local_account,
    cred_usage_mismatch,
    unsupported_cred_store_key,

    // contexts and handles
    bad_context_handle,
    bad_cred_handle,
    bad_name_handle,
    context_incomplete,
    context_already_established,
    context_failed,
    context_expired,
    unsupported_option,

    // configuration and internals
    bad_config,
    crypto_failure,
    out_of_memory,
    internal_error,

    // message protection
    bad_signature,
    sequence_duplicate,
    sequence_old,
    sequence_unseq,
    sequence_gap,
    sealing_not_negotiated,
    signing_not_negotiated,
    bad_iov,
    bad_export_token,
    export_stream_too_long,

    // Negotiate
    spnego_rejected,
    spnego_no_common_mech,
    spnego_no_usable_mech,
    spnego_unexpected_mech,
    spnego_mech_list_mic_missing,
    spnego_mech_list_mic_mismatch,
    spnego_unexpected_token,
    kerberos_unavailable,

    // Later additions
    bad_cred_store_value,
    no_name_attribute,

    // the domain (winbind) logon backend
    domain_account_disabled,
    domain_account_locked,
    domain_account_expired,
    domain_account_restricted,
    domain_password_expired,
    domain_password_must_change,
    domain_controller_unreachable,
    domain_logon_error,
    winbind_unavailable,
    winbind_permission_denied,
    winbind_library_missing,
    lm_key_unavailable,

    // a CHALLENGE or AUTHENTICATE altered in transit
    target_info_missing,
    target_info_altered,
    protection_downgraded,

    // the logged-on user's credentials that winbindd caches
    winbind_no_cached_credentials,
    winbind_cached_credentials_unbound,
    winbind_cached_answer_refused,

    last_
};

constexpr OM_uint32 minor_value(Minor m) noexcept { return static_cast<OM_uint32>(m); }
bool is_our_minor(OM_uint32 value) noexcept;
// Text for one of our minor codes, or nullptr if the value is not ours.
const char* minor_text(OM_uint32 value) noexcept;

class GssError : public std::runtime_error {
public:
    GssError(OM_uint32 major, Minor minor, const std::string& detail = {});
    GssError(OM_uint32 major, OM_uint32 raw_minor, const std::string& detail);

    OM_uint32 major() const noexcept { return m_major; }
    OM_uint32 minor() const noexcept { return m_minor; }

private:
    OM_uint32 m_major;
    OM_uint32 m_minor;
};

// A token from the peer that does not parse: always GSS_S_DEFECTIVE_TOKEN.
class DecodeError final : public GssError {
public:
    explicit DecodeError(Minor minor, const std::string& detail = {})
        : GssError(GSS_S_DEFECTIVE_TOKEN, minor, detail) {}
};

}  // namespace gssneg
