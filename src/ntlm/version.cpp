#include "ntlm/version.h"

namespace gssneg::ntlm {

// MS-NLMP 2.2.2.10: ProductMajorVersion, ProductMinorVersion,
// ProductBuild, 3 reserved bytes, NTLMRevisionCurrent.
Version Version::parse(ByteReader& r) {
    Version v;
    v.major = r.u8();
    v.minor = r.u8();
    v.build = r.u16le();
    r.skip(3);
    v.revision = r.u8();
    return v;
}

void Version::write(ByteWriter& w) const {
    w.u8(major);
    w.u8(minor);
    w.u16le(build);
    w.zeros(3);
    w.u8(revision);
}

std::string Version::to_string() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + " rev " +
           std::to_string(revision);
}

}  // namespace gssneg::ntlm
