// The VERSION structure (MS-NLMP 2.2.2.10).
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <string>

namespace gssneg::ntlm {

struct Version {
    uint8_t major = 6;
    uint8_t minor = 1;
    uint16_t build = 7601;
    // NTLMSSP_REVISION_W2K3
    uint8_t revision = 0x0f;

    static Version parse(ByteReader& r);  // reads 8 bytes
    void write(ByteWriter& w) const;      // writes 8 bytes
    std::string to_string() const;        // "6.1.7601 rev 15"
    bool operator==(const Version&) const = default;
};

}  // namespace gssneg::ntlm
