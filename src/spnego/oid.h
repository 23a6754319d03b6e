// OBJECT IDENTIFIER values as the DER contents octets (X.690 8.19), and the
// mechanism OIDs that SPNEGO negotiates.
#pragma once

#include "util/bytes.h"

#include <string>
#include <string_view>

namespace gssneg::spnego {

class Oid final {
public:
    Oid() = default;
    // The contents octets of a DER OBJECT IDENTIFIER (no tag, no length).
    // Throws DecodeError(der_bad_oid) unless they are valid base-128 arcs.
    explicit Oid(ByteView der_contents);
    // "1.2.840.113554.1.2.2"; throws std::invalid_argument.
    static Oid from_string(std::string_view dotted);

    std::string to_string() const;
    ByteView bytes() const noexcept { return m_bytes; }
    bool empty() const noexcept { return m_bytes.empty(); }

    friend bool operator==(const Oid&, const Oid&) = default;

private:
    Bytes m_bytes;
};

// Throws DecodeError(der_bad_oid) unless the octets are at least one arc,
// each arc in minimal base-128 (no leading 0x80 octet), the last octet with
// its high bit clear, and every arc within 64 bits.
void validate_oid_contents(ByteView der_contents);
// The same check as a predicate.
bool valid_oid_contents(ByteView der_contents) noexcept;

namespace oids {

const Oid& spnego();       // 1.3.6.1.5.5.2 (RFC 4178)
const Oid& kerberos();     // 1.2.840.113554.1.2.2 (RFC 1964)
const Oid& ms_kerberos();  // 1.2.840.48018.1.2.2, what Windows sends first
const Oid& ntlm();         // 1.3.6.1.4.1.311.2.2.10
const Oid& negoex();       // 1.3.6.1.4.1.311.2.2.30
const Oid& iakerb();       // 1.3.6.1.5.2.5

}  // namespace oids

// A short name for display ("Kerberos 5", "NTLMSSP" ...) or nullptr.
const char* oid_name(const Oid& oid) noexcept;
// "NTLMSSP (1.3.6.1.4.1.311.2.2.10)", or the dotted form alone.
std::string describe(const Oid& oid);
// Either Kerberos OID (the standard one or Microsoft's).
bool is_kerberos(const Oid& oid) noexcept;

}  // namespace gssneg::spnego
