#include "spnego/neg_token_init.h"

#include <stdexcept>

namespace gssneg::spnego {

namespace {

Bytes to_bytes(ByteView v) {
    return {v.begin(), v.end()};
}

NegHints parse_neg_hints(DerReader& field) {
    NegHints hints;
    ContextFields fields(field.expect(tag::sequence), 1);
    field.assert_done();
    while (std::optional<ContextFields::Field> f = fields.next()) {
        if (f->number == 0) {
            hints.hint_name = f->contents.general_string();
        } else {
            hints.hint_address = to_bytes(f->contents.octet_string());
        }
        f->contents.assert_done();
    }
    return hints;
}

void write_neg_hints(DerWriter& w, const NegHints& hints) {
    w.nested(tag::sequence, [&](DerWriter& seq) {
        if (hints.hint_name)
            seq.nested(tag::context(0), [&](DerWriter& f) { f.general_string(*hints.hint_name); });
        if (hints.hint_address)
            seq.nested(tag::context(1), [&](DerWriter& f) { f.octet_string(*hints.hint_address); });
    });
}

}  // namespace

std::string context_flags_to_string(const BitString& flags) {
    static constexpr const char* names[] = {"deleg", "mutual", "replay", "sequence", "anon", "conf", "integ"};
    std::string out;
    for (size_t n = 0; n < flags.size_in_bits(); ++n) {
        if (!flags.bit(n)) continue;
        if (!out.empty()) out += '|';
        out += n < std::size(names) ? std::string(names[n]) : "bit" + std::to_string(n);
    }
    return out.empty() ? "none" : out;
}

NegTokenInit::NegTokenInit(ByteView token, size_t max_length) {
    DerReader outer(token, max_length);
    DerReader framed = outer.expect(tag::application_0);
    outer.assert_done();
    // RFC 2743 3.1: thisMech, then the mechanism's innerContextToken.
    if (framed.oid() != oids::spnego()) throw DecodeError(Minor::spnego_wrong_framing_oid);
    // RFC 4178 4.2: NegotiationToken ::= CHOICE { negTokenInit [0], ... }.
    DerReader choice = framed.expect(tag::context(0));
    framed.assert_done();
    parse_body(choice.expect(tag::sequence), max_length);
    choice.assert_done();
}

NegTokenInit::NegTokenInit(std::vector<Oid> mech_types, std::optional<Bytes> mech_token,
                           std::optional<Bytes> mech_list_mic, std::optional<NegHints> neg_hints,
                           std::optional<BitString> req_flags)
    : m_form(neg_hints ? Form::ms_spng_init2 : Form::rfc4178),
      m_mech_types(std::move(mech_types)),
      m_req_flags(std::move(req_flags)),
      m_mech_token(std::move(mech_token)),
      m_mech_list_mic(std::move(mech_list_mic)),
      m_neg_hints(std::move(neg_hints)) {
    if (m_mech_types.empty()) throw std::invalid_argument("NegTokenInit needs at least one mechanism");
    DerWriter w;
    w.nested(tag::sequence, [&](DerWriter& list) {
        for (const Oid& mech : m_mech_types) list.oid(mech);
    });
    m_mech_types_der = w.take();
}

void NegTokenInit::parse_body(DerReader sequence_contents, size_t max_length) {
    ContextFields fields(sequence_contents, 4);
    while (std::optional<ContextFields::Field> f = fields.next()) {
        DerReader& field = f->contents;
        switch (f->number) {
        case 0: {
            const DerReader::Element list = field.expect_element(tag::sequence);
            m_mech_types_der = to_bytes(list.encoding);
            DerReader mechs(list.contents, max_length);
            while (!mechs.empty()) m_mech_types.push_back(mechs.oid());
            break;
        }
        case 1: m_req_flags = field.bit_string(); break;
        case 2: m_mech_token = to_bytes(field.octet_string()); break;
        case 3:
            if (field.peek_tag() == tag::sequence) {
                m_neg_hints = parse_neg_hints(field);
                m_form = Form::ms_spng_init2;
            } else {
                m_mech_list_mic = to_bytes(field.octet_string());
            }
            break;
        default:
            // MS-SPNG 2.2.1: NegTokenInit2's mechListMIC [4]. An RFC 4178
            // mechListMIC already read at [3] makes this one a repeat.
            if (m_mech_list_mic) throw DecodeError(Minor::der_field_order, "mechListMIC at [3] and [4]");
            m_mech_list_mic = to_bytes(field.octet_string());
            m_form = Form::ms_spng_init2;
            break;
        }
        field.assert_done();
    }
    // RFC 4178 4.2.1 makes mechTypes mandatory, and a list with no mechanism
    // offers nothing to choose from. (MS-SPNG 2.2.1 marks it OPTIONAL in
    // NegTokenInit2; no known peer leaves it out.)
    if (m_mech_types.empty()) throw DecodeError(Minor::spnego_no_mech_types);
}

void NegTokenInit::write_body(DerWriter& w) const {
    w.nested(tag::sequence, [&](DerWriter& seq) {
        seq.nested(tag::context(0), [&](DerWriter& f) { f.raw(m_mech_types_der); });
        if (m_req_flags) seq.nested(tag::context(1), [&](DerWriter& f) { f.bit_string(*m_req_flags); });
        if (m_mech_token) seq.nested(tag::context(2), [&](DerWriter& f) { f.octet_string(*m_mech_token); });
        if (m_form == Form::ms_spng_init2) {
            if (m_neg_hints) seq.nested(tag::context(3), [&](DerWriter& f) { write_neg_hints(f, *m_neg_hints); });
            if (m_mech_list_mic)
                seq.nested(tag::context(4), [&](DerWriter& f) { f.octet_string(*m_mech_list_mic); });
        } else if (m_mech_list_mic) {
            seq.nested(tag::context(3), [&](DerWriter& f) { f.octet_string(*m_mech_list_mic); });
        }
    });
}

size_t NegTokenInit::size_hint() const noexcept {
    constexpr size_t framing = 64;  // tags and lengths, the SPNEGO OID, req_flags
    size_t n = framing + m_mech_types_der.size();
    if (m_mech_token) n += m_mech_token->size();
    if (m_mech_list_mic) n += m_mech_list_mic->size();
    if (m_neg_hints) n += framing + (m_neg_hints->hint_name ? m_neg_hints->hint_name->size() : 0) +
                          (m_neg_hints->hint_address ? m_neg_hints->hint_address->size() : 0);
    return n;
}

Bytes NegTokenInit::serialize_unframed() const {
    DerWriter w(size_hint());
    w.nested(tag::context(0), [&](DerWriter& choice) { write_body(choice); });
    return w.take();
}

Bytes NegTokenInit::serialize() const {
    DerWriter w(size_hint());
    w.nested(tag::application_0, [&](DerWriter& token) {
        token.oid(oids::spnego());
        token.nested(tag::context(0), [&](DerWriter& choice) { write_body(choice); });
    });
    return w.take();
}

}  // namespace gssneg::spnego
