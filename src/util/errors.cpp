#include "util/errors.h"

namespace gssneg {

namespace {

std::string with_detail(const char* text, const std::string& detail) {
    std::string s = text != nullptr ? text : "gss-negotiate error";
    if (!detail.empty()) {
        s += ": ";
        s += detail;
    }
    return s;
}

}  // namespace

bool is_our_minor(OM_uint32 value) noexcept {
    return value > minor_value(Minor::base) && value < minor_value(Minor::last_);
}

const char* minor_text(OM_uint32 value) noexcept {
    if (!is_our_minor(value)) return nullptr;
    switch (static_cast<Minor>(value)) {
    case Minor::token_truncated: return "Token is truncated: a field runs past its end";
    case Minor::token_too_large: return "Token is larger than any valid message";
    case Minor::bad_ntlm_signature: return "Token does not start with the NTLMSSP signature";
    case Minor::wrong_message_type: return "NTLM message type is not the one expected at this leg";
    case Minor::payload_out_of_bounds: return "NTLM payload field points outside the message";
    case Minor::trailing_data: return "Token has unexpected data after its end";
    case Minor::av_pair_malformed: return "NTLM AV pair list is malformed";
    case Minor::av_pair_missing_eol: return "NTLM AV pair list has no MsvAvEOL terminator";
    case Minor::av_pair_duplicate: return "NTLM AV pair list repeats an attribute";
    case Minor::bad_string_encoding: return "String in the token is not valid UTF-16 or UTF-8";
    case Minor::unexpected_token: return "Token received at the wrong leg of the exchange";
    case Minor::der_truncated: return "DER element is cut short: its tag or length octets run past the end";
    case Minor::der_indefinite_length: return "DER element has an indefinite length, which DER forbids";
    case Minor::der_non_minimal_length: return "DER length is not in its shortest form";
    case Minor::der_length_past_end: return "DER element's contents run past the end of what encloses it";
    case Minor::der_length_over_limit: return "DER element is longer than this module accepts";
    case Minor::der_high_tag_number: return "DER tag uses the high-tag-number form, which no SPNEGO field needs";
    case Minor::der_unexpected_tag: return "DER element has a tag other than the one expected here";
    case Minor::der_trailing_data: return "DER element has unexpected data after its last field";
    case Minor::der_bad_integer: return "DER INTEGER or ENUMERATED is empty, not minimal, or out of range";
    case Minor::der_bad_boolean: return "DER BOOLEAN is not one octet 0x00 or 0xff";
    case Minor::der_bad_bit_string: return "DER BIT STRING has an invalid unused-bits count or non-zero padding";
    case Minor::der_bad_oid: return "OBJECT IDENTIFIER is empty or not valid base-128";
    case Minor::der_bad_size: return "DER field is shorter or longer than the field allows";
    case Minor::spnego_wrong_framing_oid: return "Initial context token is not framed with the SPNEGO OID";
    case Minor::spnego_no_mech_types: return "SPNEGO NegTokenInit offers no mechanism";
    case Minor::spnego_bad_neg_state: return "SPNEGO negState is not one of the four defined values";
    case Minor::der_field_order: return "DER SEQUENCE repeats a field or has its fields out of order";
    case Minor::unknown_user: return "Authentication failed: the user is not known";
    case Minor::wrong_password: return "Authentication failed: the response does not match the user's password";
    case Minor::ntlmv1_not_allowed:
        return "NTLMv1 response refused: LM_COMPAT_LEVEL 5 (the default) requires NTLMv2";
    case Minor::lm_not_allowed: return "LM response refused: LM_COMPAT_LEVEL 4 and above do not allow LM";
    case Minor::anonymous_not_allowed: return "Anonymous authentication is not allowed";
    case Minor::mic_missing: return "AUTHENTICATE message has no MIC although MsvAvFlags promises one";
    case Minor::mic_mismatch: return "AUTHENTICATE message MIC does not verify";
    case Minor::channel_bindings_mismatch: return "Channel bindings of the client do not match the server's";
    case Minor::channel_bindings_missing: return "Server requires channel bindings, the client sent none";
    case Minor::target_name_mismatch:
        return "The client's MsvAvTargetName names another service than this acceptor's";
    case Minor::no_common_flags: return "Client and server have no acceptable NTLM flags in common";
    case Minor::server_challenge_reflected:
        return "The CHALLENGE carries a server challenge that an acceptor of this process issued: it was "
               "reflected back to its own host";
    case Minor::bad_response_length: return "NTLM response has an invalid length";
    case Minor::timestamp_out_of_range:
        return "The AUTHENTICATE answers a CHALLENGE older than challenge_lifetime allows";
    case Minor::no_credentials: return "No NTLM credentials are available for this user";
    case Minor::no_password: return "Credential has no password or NT hash";
    case Minor::user_file_not_set: return "No user database: set NTLM_USER_FILE or the user_file option";
    case Minor::user_file_unreadable: return "The NTLM user database file cannot be read";
    case Minor::user_file_malformed: return "The NTLM user database file has no valid entry";
    case Minor::bad_name: return "Name cannot be parsed (NTLM takes DOMAIN\\user, user@domain or service@host)";
    case Minor::unsupported_name_type:
        return "Name type is not supported by NTLM (it takes user names and host-based service names)";
    case Minor::no_local_account: return "No local account matches this name";
    case Minor::cred_usage_mismatch:
        return "Credential cannot be used in this role (it was acquired to initiate only, or to accept only)";
    case Minor::unsupported_cred_store_key: return "Unknown credential store key";
    case Minor::bad_context_handle: return "Context handle is not a valid NTLM context";
    case Minor::bad_cred_handle: return "Credential handle is not a valid NTLM credential";
    case Minor::bad_name_handle: return "Name handle is not a valid NTLM name";
    case Minor::context_incomplete: return "Security context is not yet established";
    case Minor::context_already_established: return "Security context is already established";
    case Minor::context_failed: return "Security context failed earlier and cannot continue";
    case Minor::context_expired: return "Security context has expired";
    case Minor::unsupported_option: return "Option or OID is not supported by NTLM";
    case Minor::bad_config: return "Invalid gss-negotiate configuration";
    case Minor::crypto_failure: return "Cryptographic operation failed";
    case Minor::out_of_memory: return "Out of memory";
    case Minor::internal_error: return "Internal error in gss-negotiate";
    case Minor::bad_signature: return "Message signature does not verify";
    case Minor::sequence_duplicate: return "Message is a duplicate of one already received";
    case Minor::sequence_old: return "Message is older than the replay window";
    case Minor::sequence_unseq: return "Message arrived out of sequence";
    case Minor::sequence_gap: return "Messages were skipped in the sequence";
    case Minor::sealing_not_negotiated: return "Confidentiality was not negotiated for this context";
    case Minor::signing_not_negotiated: return "Integrity was not negotiated for this context";
    case Minor::bad_iov: return "IOV buffer layout is invalid";
    case Minor::bad_export_token: return "Exported context or credential token is malformed or from another mechanism";
    case Minor::export_stream_too_long: return "Context has protected too much data to be exported";
    case Minor::spnego_rejected: return "The peer rejected the Negotiate exchange";
    case Minor::spnego_no_common_mech:
        return "No mechanism offered by the initiator is acceptable here (see negotiate_mechs, and the acceptor's "
               "keytab and user file)";
    case Minor::spnego_no_usable_mech: return "Negotiate has no mechanism with usable credentials";
    case Minor::spnego_unexpected_mech: return "The peer selected a mechanism that was not offered";
    case Minor::spnego_mech_list_mic_missing: return "The peer did not send the required mechListMIC";
    case Minor::spnego_mech_list_mic_mismatch: return "The mechListMIC does not verify: the mechanism list was altered";
    case Minor::spnego_unexpected_token: return "Negotiate token does not fit the state of the exchange";
    case Minor::kerberos_unavailable: return "Kerberos is not available (the mechglue library is not loaded)";
    case Minor::bad_cred_store_value: return "A credential store value is malformed";
    case Minor::no_name_attribute: return "The name has no such attribute";
    case Minor::domain_account_disabled: return "Authentication failed: the domain account is disabled";
    case Minor::domain_account_locked: return "Authentication failed: the domain account is locked out";
    case Minor::domain_account_expired: return "Authentication failed: the domain account has expired";
    case Minor::domain_account_restricted:
        return "Authentication failed: the domain account may not log on now or from this workstation";
    case Minor::domain_password_expired: return "Authentication failed: the domain account's password has expired";
    case Minor::domain_password_must_change:
        return "Authentication failed: the domain account's password must be changed before logging on";
    case Minor::domain_controller_unreachable: return "No domain controller could be reached to check the logon";
    case Minor::domain_logon_error: return "The domain refused the logon";
    case Minor::winbind_unavailable: return "winbindd cannot be reached (is winbind running?)";
    case Minor::winbind_permission_denied:
        return "winbindd answers, but this process may not use its privileged pipe (it must run as root or "
               "in the group that owns winbindd_privileged)";
    case Minor::winbind_library_missing: return "The domain logon backend needs libwbclient.so.0 (package libwbclient0)";
    case Minor::lm_key_unavailable:
        return "LM_KEY or NON_NT_SESSION_KEY was negotiated, but the account's LM key is not available";
    case Minor::target_info_missing:
        return "The AUTHENTICATE leaves out an AV pair of the CHALLENGE's TargetInfo: the CHALLENGE was altered "
               "in transit";
    case Minor::target_info_altered:
        return "The AUTHENTICATE carries an AV pair of the CHALLENGE's TargetInfo with another value: the "
               "CHALLENGE was altered in transit";
    case Minor::protection_downgraded:
        return "The CHALLENGE drops a protection the application asked for (it may have been altered in transit)";
    case Minor::winbind_no_cached_credentials:
        return "winbindd holds no credentials of this user for this process (pam_winbind keeps them after a logon "
               "with krb5_auth; wbinfo --ccache-save stores them by hand)";
    case Minor::winbind_cached_credentials_unbound:
        return "The application gave channel bindings, which winbindd's cached credentials cannot sign: give a "
               "password or use Kerberos on this channel";
    case Minor::winbind_cached_answer_refused:
        return "winbindd's cached credentials gave no AUTHENTICATE that this initiator can send";
    case Minor::none:
    case Minor::base:
    case Minor::last_: break;
    }
    return "gss-negotiate error";
}

GssError::GssError(OM_uint32 major, Minor minor, const std::string& detail)
    : std::runtime_error(with_detail(minor_text(minor_value(minor)), detail)),
      m_major(major),
      m_minor(minor_value(minor)) {}

GssError::GssError(OM_uint32 major, OM_uint32 raw_minor, const std::string& detail)
    : std::runtime_error(detail), m_major(major), m_minor(raw_minor) {}

}  // namespace gssneg
