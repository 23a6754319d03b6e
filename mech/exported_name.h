// RFC 2743 3.2 exported mechanism names: 04 01, a 2-byte length of the DER
// OID, the DER OID of the mechanism, a 4-byte length of the name and the
// name. NTLM exports its names in this form under its OID, and Negotiate
// exports a name that no mechanism has made its own under the SPNEGO OID,
// byte for byte as MIT's mechglue exports a name of MIT's SPNEGO (the
// display form as the name), so that either side imports the other's.
#pragma once

#include "util/bytes.h"
#include "util/gss_headers.h"

namespace gssneg::mech {

Bytes exported_name_token(const gss_OID_desc& mech, ByteView name);

// The name inside an exported name token of `mech`. Throws
// GssError(GSS_S_BAD_NAME) for a token that is not one, and
// GssError(GSS_S_BAD_MECH) for one of another mechanism.
ByteView exported_name_of(ByteView token, const gss_OID_desc& mech);

}  // namespace gssneg::mech
