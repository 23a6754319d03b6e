// The interposer's registration and its mechanism-wide calls.

#include "mech/guard.h"
#include "mech/nego.h"
#include "mech/ntlm_entry.h"
#include "mech/oids.h"

using namespace gssneg;
using namespace gssneg::mech;

// The mechglue calls this while it holds its mechanism-list lock (once,
// when it reads the interposer line): it must not call back into the
// mechglue. The set is released by the mechglue with free().
GSSNEG_EXPORT gss_OID_set gss_mech_interposer(gss_OID) {
    OM_uint32 minor = 0;
    gss_OID_set set = GSS_C_NO_OID_SET;
    guard(&minor, [&]() -> OM_uint32 {
        set = make_oid_set({&oid::spnego});
        return GSS_S_COMPLETE;
    });
    return set;
}

namespace {
// The mechglue hands a status it cannot place back to the mechanism that
// produced it; a Kerberos minor is the mechglue's again. One level only:
// the mechglue's lookup may come back here.
thread_local bool t_in_display = false;
}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_display_status(OM_uint32* minor_status, OM_uint32 status_value, int status_type,
                                            gss_OID mech_type, OM_uint32* message_context,
                                            gss_buffer_t status_string) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (status_string == GSS_C_NO_BUFFER || message_context == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(status_string);
        if (status_type != GSS_C_MECH_CODE) return GSS_S_BAD_STATUS;
        if (is_our_minor(status_value) || status_value == 0 || t_in_display)
            return gss_display_status(minor_status, status_value, status_type, mech_type, message_context,
                                      status_string);
        const krb5::MechglueTable* t = krb5::mechglue();
        if (t == nullptr)
            return gss_display_status(minor_status, status_value, status_type, mech_type, message_context,
                                      status_string);
        t_in_display = true;
        struct Reset {
            ~Reset() { t_in_display = false; }
        } reset;
        krb5::MechBuffer text;
        const OM_uint32 major = t->display_status(minor_status, status_value, GSS_C_MECH_CODE, &oid::krb5,
                                                  message_context, text.get());
        if (GSS_ERROR(major)) return major;
        set_buffer(status_string, ByteView(static_cast<const uint8_t*>(text.desc().value), text.desc().length));
        return GSS_S_COMPLETE;
    });
}

// RFC 5587: a negotiating mechanism whose initial tokens are framed.
GSSNEG_EXPORT OM_uint32 gssi_inquire_attrs_for_mech(OM_uint32* minor_status, gss_const_OID, gss_OID_set* mech_attrs,
                                                    gss_OID_set* known_mech_attrs) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (mech_attrs != nullptr) *mech_attrs = GSS_C_NO_OID_SET;
        if (known_mech_attrs != nullptr) *known_mech_attrs = GSS_C_NO_OID_SET;
        if (mech_attrs != nullptr) *mech_attrs = make_oid_set({&oid::ma::mech_nego, &oid::ma::itok_framed});
        return GSS_S_COMPLETE;
    });
}

// The name types MIT's SPNEGO lists, so that gss_inquire_mechs_for_name
// finds Negotiate for the same names as it finds MIT's SPNEGO (not for a
// Kerberos principal name, which Negotiate imports all the same).
GSSNEG_EXPORT OM_uint32 gssi_inquire_names_for_mech(OM_uint32* minor_status, gss_OID, gss_OID_set* name_types) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name_types == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *name_types = make_oid_set(
            {&oid::nt_user_name, &oid::nt_machine_uid_name, &oid::nt_string_uid_name, &oid::nt_hostbased_service});
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_internal_release_oid(OM_uint32* minor_status, gss_OID* oid_ptr) {
    return gss_internal_release_oid(minor_status, oid_ptr);
}

