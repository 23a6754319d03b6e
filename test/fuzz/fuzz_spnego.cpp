// SPNEGO tokens as the negotiator receives them: classify(), then the
// NegTokenInit (RFC 4178 4.2.1, MS-SPNG 2.2.1) and NegTokenResp (RFC 4178
// 4.2.2) parsers, then a walk of the whole input with DerReader.
//
// Checked on every input (abort() when one fails):
//   - classify() never throws; the Kerberos message it points at lies inside
//     the token; a token that parses as NegTokenInit is classified
//     spnego_init, one that parses as NegTokenResp spnego_resp;
//   - a parsed token, serialized, parses to the same fields. The readers
//     accept DER only (minimal lengths, no indefinite form, fields in
//     order), and DER has one encoding per value, so the serialization is
//     also the input octet for octet; building a token from the parsed
//     fields gives it too (NegTokenInit: unless it is the NegTokenInit2
//     form without negHints, which the building constructor does not make);
//   - every element DerReader returns, written back with DerWriter, is the
//     octets it was read from, and so is every universal value it decodes;
//     a decoded OBJECT IDENTIFIER survives to_string() / from_string().
// Only GssError (DecodeError is one) is an expected failure, and only from
// reading the input: once a token has parsed, re-serializing and reading it
// again must not throw.

#include "fuzz_common.h"
#include "spnego/der.h"
#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/oid.h"
#include "spnego/token_kind.h"
#include "util/errors.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

using namespace gssneg;
using namespace gssneg::spnego;

namespace {

// Nesting the DER walk follows; deeper elements are still re-encoded as
// whole elements by their parent's check.
constexpr int max_depth = 32;

void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_spnego: %s\n", what);
    std::abort();
}

bool same(ByteView a, ByteView b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

bool inside(ByteView part, ByteView whole) {
    if (part.empty()) return true;
    const auto begin = reinterpret_cast<uintptr_t>(whole.data());
    const auto p = reinterpret_cast<uintptr_t>(part.data());
    return p >= begin && p - begin <= whole.size() && part.size() <= whole.size() - (p - begin);
}

void check_classify(ByteView token, const TokenClass& c) {
    require(token_kind_name(c.kind) != nullptr, "token_kind_name");
    require(inside(c.inner, token), "classify: inner outside the token");
    if (c.kind == TokenKind::spnego_init)
        require(c.framing_mech && *c.framing_mech == oids::spnego(), "classify: spnego_init without the SPNEGO OID");
    if (c.framing_mech) require(valid_oid_contents(c.framing_mech->bytes()), "classify: invalid framing OID");
    if (c.kind == TokenKind::empty) require(token.empty(), "classify: empty for a non-empty token");
}

// The parse of the input may fail; nothing after it may.
template <typename Token>
std::optional<Token> parse(ByteView token) {
    try {
        return Token(token);
    } catch (const GssError&) {
        return std::nullopt;
    }
}

void check_init(ByteView token, TokenKind kind) {
    const std::optional<NegTokenInit> maybe = parse<NegTokenInit>(token);
    if (!maybe) return;
    const NegTokenInit& parsed = *maybe;
    require(kind == TokenKind::spnego_init, "NegTokenInit parsed, classify() disagrees");
    for (const Oid& mech : parsed.mech_types()) (void)describe(mech);
    if (parsed.req_flags()) (void)context_flags_to_string(*parsed.req_flags());

    const Bytes again_bytes = parsed.serialize();
    require(same(again_bytes, token), "NegTokenInit: serialize() is not the input");
    const Bytes unframed = parsed.serialize_unframed();
    require(again_bytes.size() >= unframed.size() &&
                std::equal(unframed.begin(), unframed.end(), again_bytes.end() - static_cast<ptrdiff_t>(unframed.size())),
            "NegTokenInit: the framed token does not end with the unframed one");
    const NegTokenInit again(again_bytes);
    require(again.form() == parsed.form() && again.mech_types() == parsed.mech_types() &&
                same(again.mech_types_der(), parsed.mech_types_der()) &&
                again.req_flags().has_value() == parsed.req_flags().has_value() &&
                (!parsed.req_flags() || (again.req_flags()->bytes == parsed.req_flags()->bytes &&
                                         again.req_flags()->unused_bits == parsed.req_flags()->unused_bits)) &&
                again.mech_token() == parsed.mech_token() && again.mech_list_mic() == parsed.mech_list_mic() &&
                again.neg_hints() == parsed.neg_hints(),
            "NegTokenInit: fields differ after a round trip");

    if (parsed.form() == NegTokenInit::Form::rfc4178 || parsed.neg_hints()) {
        const NegTokenInit built(parsed.mech_types(), parsed.mech_token(), parsed.mech_list_mic(), parsed.neg_hints(),
                                 parsed.req_flags());
        require(same(built.mech_types_der(), parsed.mech_types_der()), "NegTokenInit: built mechTypes differ");
        require(same(built.serialize(), token), "NegTokenInit: built from the fields is not the input");
    }
}

void check_resp(ByteView token, TokenKind kind) {
    const std::optional<NegTokenResp> maybe = parse<NegTokenResp>(token);
    if (!maybe) return;
    const NegTokenResp& parsed = *maybe;
    require(kind == TokenKind::spnego_resp, "NegTokenResp parsed, classify() disagrees");
    if (parsed.neg_state()) (void)neg_state_name(*parsed.neg_state());
    if (parsed.supported_mech()) (void)describe(*parsed.supported_mech());

    const Bytes again_bytes = parsed.serialize();
    require(same(again_bytes, token), "NegTokenResp: serialize() is not the input");
    const NegTokenResp again(again_bytes);
    require(again.neg_state() == parsed.neg_state() && again.supported_mech() == parsed.supported_mech() &&
                again.response_token() == parsed.response_token() && again.mech_list_mic() == parsed.mech_list_mic(),
            "NegTokenResp: fields differ after a round trip");
    const NegTokenResp built(parsed.neg_state(), parsed.supported_mech(), parsed.response_token(),
                             parsed.mech_list_mic());
    require(same(built.serialize(), token), "NegTokenResp: built from the fields is not the input");
}

// Decodes one primitive universal element by its tag and writes the value
// back; the octets must be those read.
void check_universal(const DerReader::Element& e) {
    DerReader r(e.encoding);
    DerWriter w;
    switch (e.tag) {
    case tag::boolean: w.boolean(r.boolean()); break;
    case tag::integer: w.integer(r.integer()); break;
    case tag::enumerated: w.enumerated(r.enumerated()); break;
    case tag::bit_string: w.bit_string(r.bit_string()); break;
    case tag::octet_string: w.octet_string(r.octet_string()); break;
    case tag::general_string: w.general_string(r.general_string()); break;
    case tag::object_identifier: {
        const Oid oid = r.oid();
        require(Oid::from_string(oid.to_string()) == oid, "OID: to_string / from_string round trip");
        (void)describe(oid);
        w.oid(oid);
        break;
    }
    default: return;
    }
    r.assert_done();
    require(same(w.data(), e.encoding), "DER: a decoded value re-encodes differently");
}

void walk(DerReader r, int depth) {
    while (!r.empty()) {
        const std::optional<uint8_t> peeked = r.peek_tag();
        const DerReader::Element e = r.next();
        require(peeked == e.tag, "DER: peek_tag() and next() disagree");
        require(e.encoding.size() > e.contents.size() && same(e.encoding.last(e.contents.size()), e.contents),
                "DER: contents are not the end of the encoding");
        DerWriter w;
        w.element(e.tag, e.contents);
        require(same(w.data(), e.encoding), "DER: an element re-encodes differently");
        try {
            check_universal(e);
        } catch (const GssError&) {
        }
        if ((e.tag & 0x20) != 0 && depth < max_depth) walk(DerReader(e.contents), depth + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteView token = fuzz::input(data, size);
    const TokenClass c = classify(token);
    check_classify(token, c);
    check_init(token, c.kind);
    check_resp(token, c.kind);
    try {
        walk(DerReader(token), 0);
    } catch (const GssError&) {
    }
    return 0;
}
