#include "mech/exported_name.h"

#include "mech/guard.h"
#include "util/errors.h"

namespace gssneg::mech {

Bytes exported_name_token(const gss_OID_desc& mech, ByteView name) {
    // Both mechanism OIDs are short: a one-byte DER length.
    if (mech.length > 0x7f) throw GssError(GSS_S_FAILURE, Minor::bad_name, "mechanism OID too long to export");
    if (name.size() > 0xffffffffU) throw GssError(GSS_S_FAILURE, Minor::bad_name, "name too long to export");
    ByteWriter w;
    w.u8(0x04);
    w.u8(0x01);
    w.u16be(static_cast<uint16_t>(mech.length + 2));
    w.u8(0x06);
    w.u8(static_cast<uint8_t>(mech.length));
    w.bytes({static_cast<const uint8_t*>(mech.elements), mech.length});
    w.u32be(static_cast<uint32_t>(name.size()));
    w.bytes(name);
    return w.take();
}

ByteView exported_name_of(ByteView token, const gss_OID_desc& mech) {
    ByteReader r(token, Minor::bad_name);
    if (r.u8() != 0x04 || r.u8() != 0x01) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "not an exported name");
    const uint16_t oid_len = r.u16be();
    ByteReader oid_r(r.take(oid_len), Minor::bad_name);
    if (oid_r.u8() != 0x06) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "exported name OID");
    const uint8_t len = oid_r.u8();
    if (len > 0x7f) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "exported name OID length");
    const ByteView oid_bytes = oid_r.take(len);
    oid_r.assert_done();
    const gss_OID_desc got{len, const_cast<uint8_t*>(oid_bytes.data())};
    if (!oid_equal(&got, &mech)) throw GssError(GSS_S_BAD_MECH, Minor::bad_name, "exported name of another mechanism");
    const uint32_t name_len = r.u32be();
    const ByteView name = r.take(name_len);
    r.assert_done();
    return name;
}

}  // namespace gssneg::mech
