// OIDs the module uses. The module does not link the mechglue, so the
// GSS_C_NT_* and GSS_C_MA_* objects are defined here by value.
#pragma once

#include "mech/gssapi_exports.h"

namespace gssneg::mech::oid {

extern gss_OID_desc ntlm;
extern gss_OID_desc spnego;
extern gss_OID_desc krb5;
extern gss_OID_desc nt_user_name;
extern gss_OID_desc nt_machine_uid_name;
extern gss_OID_desc nt_string_uid_name;
extern gss_OID_desc nt_hostbased_service;
extern gss_OID_desc nt_hostbased_service_x;
extern gss_OID_desc nt_anonymous;
extern gss_OID_desc nt_export_name;
extern gss_OID_desc nt_composite_export;
extern gss_OID_desc krb5_nt_principal_name;
extern gss_OID_desc krb5_nt_enterprise_name;
extern gss_OID_desc inq_sspi_session_key;
extern gss_OID_desc spnego_req_mechlist_mic;
extern gss_OID_desc ntlm_reset_crypto;
extern gss_OID_desc sasl_ssf;
extern gss_OID_desc krb5_cred_no_ci_flags;

// RFC 5587 mechanism attributes, 1.3.6.1.5.5.13.N.
namespace ma {
extern gss_OID_desc mech_concrete;
extern gss_OID_desc auth_init;
extern gss_OID_desc auth_init_anon;
extern gss_OID_desc integ_prot;
extern gss_OID_desc conf_prot;
extern gss_OID_desc mic;
extern gss_OID_desc wrap;
extern gss_OID_desc replay_det;
extern gss_OID_desc oos_det;
extern gss_OID_desc cbindings;
extern gss_OID_desc ctx_trans;
extern gss_OID_desc not_dflt_mech;
extern gss_OID_desc deprecated;
extern gss_OID_desc mech_nego;
extern gss_OID_desc itok_framed;
}  // namespace ma

// The mechglue keeps whatever OID a mechanism returns as a name type and
// later hands it to gss_release_oid, which frees every OID that no
// mechanism's gss_internal_release_oid claims. So every OID this module
// returns on its own (not inside an OID set, whose elements are copies) is
// one of its static OIDs, and is_static tells them apart.
//
// This module's static OID for a name type, by value, or GSS_C_NO_OID for
// a type it does not know (never a pointer into another object).
gss_OID static_name_type(gss_const_OID type) noexcept;
// Whether oid is one of the static OIDs this module returns.
bool is_static(gss_const_OID oid) noexcept;

}  // namespace gssneg::mech::oid
