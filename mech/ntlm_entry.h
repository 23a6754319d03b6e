// Entry points of this module's NTLM mechanism that MIT's public headers
// do not declare, for the Negotiate code that calls them in-process.
#pragma once

#include "mech/gssapi_exports.h"

extern "C" {
OM_uint32 gss_internal_release_oid(OM_uint32* minor_status, gss_OID* oid_ptr);
OM_uint32 gssspi_acquire_cred_with_password(OM_uint32* minor_status, const gss_name_t desired_name,
                                            const gss_buffer_t password, OM_uint32 time_req,
                                            const gss_OID_set desired_mechs, int cred_usage,
                                            gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
                                            OM_uint32* time_rec);
OM_uint32 gssspi_set_cred_option(OM_uint32* minor_status, gss_cred_id_t* cred_handle, const gss_OID desired_object,
                                 const gss_buffer_t value);
OM_uint32 gssspi_authorize_localname(OM_uint32* minor_status, const gss_name_t name, gss_const_buffer_t local_user,
                                     gss_const_OID user_name_type);
}
