// Context inquiries about message protection, for
// gss_inquire_sec_context_by_oid (mech/ntlm_context.cpp).
#pragma once

#include "mech/handles.h"

namespace gssneg::mech {

// Answers GSS_C_SEC_CONTEXT_SASL_SSF (a 4-byte big-endian value, see
// ntlm::sasl_ssf) and returns true; false for any other OID. Throws
// GssError(GSS_S_NO_CONTEXT) for an incomplete context.
bool inquire_protection_by_oid(const ContextHandle& ctx, gss_const_OID desired_object, gss_buffer_set_t* data_set);

}  // namespace gssneg::mech
