// NegTokenInit (RFC 4178 4.2.1) and NegTokenInit2 (MS-SPNG 2.2.1), inside
// the initial context token framing of RFC 2743 3.1:
//   60 len  06 len 1.3.6.1.5.5.2  a0 len  30 len { fields }
#pragma once

#include "spnego/der.h"
#include "spnego/oid.h"
#include "util/bytes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gssneg::spnego {

// RFC 4178 4.2.1 ContextFlags: bit numbers in the reqFlags BIT STRING.
namespace context_flag {
constexpr size_t deleg = 0;
constexpr size_t mutual = 1;
constexpr size_t replay = 2;
constexpr size_t sequence = 3;
constexpr size_t anon = 4;
constexpr size_t conf = 5;
constexpr size_t integ = 6;
}  // namespace context_flag

// "deleg|mutual|integ"; bits past integ as "bitN"; "none" when no bit is set.
std::string context_flags_to_string(const BitString& flags);

// MS-SPNG 2.2.1 NegHints.
struct NegHints {
    std::optional<std::string> hint_name;    // [0] GeneralString
    std::optional<Bytes> hint_address;       // [1] OCTET STRING

    friend bool operator==(const NegHints&, const NegHints&) = default;
};

// MS-SPNG 2.2.1: hintName "SHOULD contain the string" below; Windows,
// Samba and MIT send it. hintAddress is "Never present" from a conforming
// sender, but is read if it comes.
inline constexpr const char* ignored_hint_name = "not_defined_in_RFC4178@please_ignore";

class NegTokenInit final {
public:
    // RFC 4178 puts mechListMIC at [3]. MS-SPNG's NegTokenInit2 puts negHints
    // at [3] and mechListMIC at [4].
    enum class Form { rfc4178, ms_spng_init2 };

    // Parses a whole initial context token. Either form is accepted: a [3]
    // holding a SEQUENCE is negHints, a [3] holding an OCTET STRING is the
    // RFC 4178 mechListMIC. reqFlags is kept for display only; nothing acts
    // on it (MS-SPNG 2.2.1: it "SHOULD be omitted by the sender").
    explicit NegTokenInit(ByteView token, size_t max_length = default_max_length);
    // Builds. mech_types must not be empty (std::invalid_argument); the form
    // is ms_spng_init2 when neg_hints is given, rfc4178 otherwise.
    NegTokenInit(std::vector<Oid> mech_types, std::optional<Bytes> mech_token,
                 std::optional<Bytes> mech_list_mic = std::nullopt, std::optional<NegHints> neg_hints = std::nullopt,
                 std::optional<BitString> req_flags = std::nullopt);

    // The framed initial context token.
    Bytes serialize() const;
    // The NegotiationToken alone: a0 len 30 len { fields }.
    Bytes serialize_unframed() const;

    Form form() const noexcept { return m_form; }
    const std::vector<Oid>& mech_types() const noexcept { return m_mech_types; }
    // The mechTypes SEQUENCE (tag and length included) exactly as received,
    // or as built: RFC 4178 5 computes the mechListMIC over the DER encoding
    // of this MechTypeList.
    ByteView mech_types_der() const noexcept { return m_mech_types_der; }
    const std::optional<BitString>& req_flags() const noexcept { return m_req_flags; }
    const std::optional<Bytes>& mech_token() const noexcept { return m_mech_token; }
    const std::optional<Bytes>& mech_list_mic() const noexcept { return m_mech_list_mic; }
    const std::optional<NegHints>& neg_hints() const noexcept { return m_neg_hints; }

private:
    void parse_body(DerReader sequence_contents, size_t max_length);
    // The NegTokenInit SEQUENCE.
    void write_body(DerWriter& w) const;
    // Octets enough for the whole framed token.
    size_t size_hint() const noexcept;

    Form m_form = Form::rfc4178;
    std::vector<Oid> m_mech_types;
    Bytes m_mech_types_der;
    std::optional<BitString> m_req_flags;
    std::optional<Bytes> m_mech_token;
    std::optional<Bytes> m_mech_list_mic;
    std::optional<NegHints> m_neg_hints;
};

}  // namespace gssneg::spnego
