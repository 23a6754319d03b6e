// Mechanism-level calls: status texts, mechanism attributes, SASL names,
// OID release.

#include "gss-negotiate/gss_negotiate.h"
#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/oids.h"

#include <string>

using namespace gssneg;
using namespace gssneg::mech;

GSSNEG_EXPORT OM_uint32 gss_display_status(OM_uint32* minor_status, OM_uint32 status_value, int status_type,
                                           gss_OID, OM_uint32* message_context, gss_buffer_t status_string) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (status_string == GSS_C_NO_BUFFER || message_context == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(status_string);
        *message_context = 0;
        // The mechglue renders major codes itself.
        if (status_type != GSS_C_MECH_CODE) return GSS_S_BAD_STATUS;
        std::string text;
        if (const char* t = minor_text(status_value)) {
            const std::string detail = recall_detail(status_value);
            text = detail.empty() ? std::string(t) : detail;
        } else if (status_value == 0) {
            text = "No NTLM error";
        } else {
            text = "Unknown NTLM minor status " + std::to_string(status_value);
        }
        set_buffer(status_string, std::string_view(text));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_indicate_mechs(OM_uint32* minor_status, gss_OID_set* mech_set) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (mech_set == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *mech_set = make_oid_set({&oid::ntlm});
        return GSS_S_COMPLETE;
    });
}

// RFC 5587 attributes, only those NTLM really has: it authenticates the
// initiator (possibly anonymously) but never the target; it binds channel
// bindings through MsvAvChannelBindings; it signs and seals per message
// (MIC and wrap tokens) with sequence numbers that detect replayed and
// out-of-order tokens; established contexts can be exported.
GSSNEG_EXPORT OM_uint32 gss_inquire_attrs_for_mech(OM_uint32* minor_status, gss_const_OID, gss_OID_set* mech_attrs,
                                                   gss_OID_set* known_mech_attrs) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (mech_attrs != nullptr) *mech_attrs = GSS_C_NO_OID_SET;
        if (known_mech_attrs != nullptr) *known_mech_attrs = GSS_C_NO_OID_SET;
        if (mech_attrs != nullptr)
            *mech_attrs = make_oid_set({&oid::ma::mech_concrete, &oid::ma::auth_init, &oid::ma::auth_init_anon,
                                        &oid::ma::cbindings, &oid::ma::integ_prot, &oid::ma::conf_prot,
                                        &oid::ma::mic, &oid::ma::wrap, &oid::ma::replay_det, &oid::ma::oos_det,
                                        &oid::ma::ctx_trans});
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_inquire_saslname_for_mech(OM_uint32* minor_status, const gss_OID desired_mech,
                                                      gss_buffer_t sasl_mech_name, gss_buffer_t mech_name,
                                                      gss_buffer_t mech_description) {
    return guard(minor_status, [&]() -> OM_uint32 {
        clear_buffer(sasl_mech_name);
        clear_buffer(mech_name);
        clear_buffer(mech_description);
        if (!oid_equal(desired_mech, &oid::ntlm)) return GSS_S_BAD_MECH;
        set_buffer(sasl_mech_name, std::string_view(GSSNEG_NTLM_SASL_NAME));
        set_buffer(mech_name, std::string_view("NTLM"));
        set_buffer(mech_description, std::string_view("NTLMSSP (MS-NLMP) from gss-negotiate"));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_inquire_mech_for_saslname(OM_uint32* minor_status, const gss_buffer_t sasl_mech_name,
                                                      gss_OID* mech_type) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (mech_type == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *mech_type = GSS_C_NO_OID;
        if (text_of(sasl_mech_name) != GSSNEG_NTLM_SASL_NAME) return GSS_S_BAD_MECH;
        *mech_type = &oid::ntlm;
        return GSS_S_COMPLETE;
    });
}

// The mechglue offers every OID it releases to each mechanism: claim only
// the static OIDs this module hands out (oids.h), so that gss_release_oid
// never frees one of them.
GSSNEG_EXPORT OM_uint32 gss_internal_release_oid(OM_uint32* minor_status, gss_OID* oid_ptr) {
    if (minor_status != nullptr) *minor_status = 0;
    if (oid_ptr == nullptr || *oid_ptr == GSS_C_NO_OID || !oid::is_static(*oid_ptr)) return GSS_S_CONTINUE_NEEDED;
    *oid_ptr = GSS_C_NO_OID;
    return GSS_S_COMPLETE;
}
