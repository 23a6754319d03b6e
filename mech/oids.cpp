#include "mech/oids.h"

#include "gss-negotiate/gss_negotiate.h"

#include <cstring>

namespace gssneg::mech::oid {

namespace {
constexpr void* bytes(const char* s) { return const_cast<char*>(s); }
}  // namespace

gss_OID_desc ntlm = {GSSNEG_NTLM_OID_LENGTH, bytes(GSSNEG_NTLM_OID_BYTES)};
gss_OID_desc spnego = {GSSNEG_SPNEGO_OID_LENGTH, bytes(GSSNEG_SPNEGO_OID_BYTES)};
// 1.2.840.113554.1.2.2 (RFC 1964)
gss_OID_desc krb5 = {9, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")};
// RFC 2744 4: 1.2.840.113554.1.2.1.{1,2,3,4}
gss_OID_desc nt_user_name = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x01")};
gss_OID_desc nt_machine_uid_name = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x02")};
gss_OID_desc nt_string_uid_name = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x03")};
gss_OID_desc nt_hostbased_service = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04")};
// 1.3.6.1.5.6.2, 1.3.6.1.5.6.3, 1.3.6.1.5.6.4
gss_OID_desc nt_hostbased_service_x = {6, bytes("\x2b\x06\x01\x05\x06\x02")};
gss_OID_desc nt_anonymous = {6, bytes("\x2b\x06\x01\x05\x06\x03")};
gss_OID_desc nt_export_name = {6, bytes("\x2b\x06\x01\x05\x06\x04")};
// RFC 6680 6: 1.3.6.1.5.6.6
gss_OID_desc nt_composite_export = {6, bytes("\x2b\x06\x01\x05\x06\x06")};
// 1.2.840.113554.1.2.2.1 (RFC 1964 2.1.1); 1.2.840.113554.1.2.2.6, MIT's
// enterprise principal name (an AD user principal name)
gss_OID_desc krb5_nt_principal_name = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01")};
gss_OID_desc krb5_nt_enterprise_name = {10, bytes("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x06")};
gss_OID_desc inq_sspi_session_key = {GSSNEG_INQ_SSPI_SESSION_KEY_OID_LENGTH,
                                     bytes(GSSNEG_INQ_SSPI_SESSION_KEY_OID_BYTES)};
gss_OID_desc spnego_req_mechlist_mic = {GSSNEG_SPNEGO_REQ_MECHLIST_MIC_OID_LENGTH,
                                        bytes(GSSNEG_SPNEGO_REQ_MECHLIST_MIC_OID_BYTES)};
gss_OID_desc ntlm_reset_crypto = {GSSNEG_NTLM_RESET_CRYPTO_OID_LENGTH, bytes(GSSNEG_NTLM_RESET_CRYPTO_OID_BYTES)};
gss_OID_desc sasl_ssf = {GSSNEG_SEC_CONTEXT_SASL_SSF_OID_LENGTH, bytes(GSSNEG_SEC_CONTEXT_SASL_SSF_OID_BYTES)};
// 1.2.752.43.13.29, MIT's GSS_KRB5_CRED_NO_CI_FLAGS_X: an initiator
// credential whose contexts assert confidentiality and integrity only when
// the application asks for them (Cyrus SASL sets it for maxssf=0).
gss_OID_desc krb5_cred_no_ci_flags = {6, bytes("\x2a\x85\x70\x2b\x0d\x1d")};

namespace ma {
gss_OID_desc mech_concrete = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x01")};
gss_OID_desc mech_nego = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x04")};
gss_OID_desc itok_framed = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x09")};
gss_OID_desc deprecated = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x07")};
gss_OID_desc not_dflt_mech = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x08")};
gss_OID_desc auth_init = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x0a")};
gss_OID_desc auth_init_anon = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x0e")};
gss_OID_desc integ_prot = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x11")};
gss_OID_desc conf_prot = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x12")};
gss_OID_desc mic = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x13")};
gss_OID_desc wrap = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x14")};
gss_OID_desc replay_det = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x16")};
gss_OID_desc oos_det = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x17")};
gss_OID_desc cbindings = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x18")};
gss_OID_desc ctx_trans = {7, bytes("\x2b\x06\x01\x05\x05\x0d\x1b")};
}  // namespace ma

namespace {

bool same(gss_const_OID a, const gss_OID_desc& b) noexcept {
    return a->length == b.length && std::memcmp(a->elements, b.elements, b.length) == 0;
}

// Every name type a name of this module can report.
gss_OID_desc* const name_types[] = {
    &nt_user_name,   &nt_machine_uid_name, &nt_string_uid_name,  &nt_hostbased_service,   &nt_hostbased_service_x,
    &nt_anonymous,   &nt_export_name,      &nt_composite_export, &krb5_nt_principal_name, &krb5_nt_enterprise_name,
};

// The mechanism OIDs returned by gss_inquire_context, gss_init_sec_context,
// gss_accept_sec_context, gss_inquire_name and gss_inquire_mech_for_saslname.
gss_OID_desc* const mech_oids[] = {&ntlm, &spnego, &krb5};

}  // namespace

gss_OID static_name_type(gss_const_OID type) noexcept {
    if (type == GSS_C_NO_OID) return GSS_C_NO_OID;
    for (gss_OID_desc* const ours : name_types)
        if (same(type, *ours)) return ours;
    return GSS_C_NO_OID;
}

bool is_static(gss_const_OID oid) noexcept {
    for (gss_OID_desc* const ours : name_types)
        if (oid == ours) return true;
    for (gss_OID_desc* const ours : mech_oids)
        if (oid == ours) return true;
    return false;
}

}  // namespace gssneg::mech::oid
