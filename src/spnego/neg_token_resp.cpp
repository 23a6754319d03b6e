#include "spnego/neg_token_resp.h"

namespace gssneg::spnego {

namespace {

Bytes to_bytes(ByteView v) {
    return {v.begin(), v.end()};
}

NegState to_neg_state(int64_t value) {
    if (value < 0 || value > static_cast<int64_t>(NegState::request_mic))
        throw DecodeError(Minor::spnego_bad_neg_state, "negState " + std::to_string(value));
    return static_cast<NegState>(value);
}

}  // namespace

const char* neg_state_name(NegState state) noexcept {
    switch (state) {
    case NegState::accept_completed: return "accept-completed";
    case NegState::accept_incomplete: return "accept-incomplete";
    case NegState::reject: return "reject";
    case NegState::request_mic: return "request-mic";
    }
    return "unknown";
}

NegTokenResp::NegTokenResp(ByteView token, size_t max_length) {
    DerReader outer(token, max_length);
    // RFC 4178 4.2: NegotiationToken ::= CHOICE { ..., negTokenResp [1] }.
    DerReader choice = outer.expect(tag::context(1));
    outer.assert_done();
    ContextFields fields(choice.expect(tag::sequence), 3);
    choice.assert_done();
    while (std::optional<ContextFields::Field> f = fields.next()) {
        DerReader& field = f->contents;
        switch (f->number) {
        case 0: m_neg_state = to_neg_state(field.enumerated()); break;
        case 1: m_supported_mech = field.oid(); break;
        case 2: m_response_token = to_bytes(field.octet_string()); break;
        default: m_mech_list_mic = to_bytes(field.octet_string()); break;
        }
        field.assert_done();
    }
}

NegTokenResp::NegTokenResp(std::optional<NegState> neg_state, std::optional<Oid> supported_mech,
                           std::optional<Bytes> response_token, std::optional<Bytes> mech_list_mic)
    : m_neg_state(neg_state),
      m_supported_mech(std::move(supported_mech)),
      m_response_token(std::move(response_token)),
      m_mech_list_mic(std::move(mech_list_mic)) {}

Bytes NegTokenResp::serialize() const {
    constexpr size_t framing = 48;  // tags and lengths, negState, supportedMech
    DerWriter w(framing + (m_supported_mech ? m_supported_mech->bytes().size() : 0) +
                (m_response_token ? m_response_token->size() : 0) + (m_mech_list_mic ? m_mech_list_mic->size() : 0));
    w.nested(tag::context(1), [&](DerWriter& choice) {
        choice.nested(tag::sequence, [&](DerWriter& seq) {
            if (m_neg_state)
                seq.nested(tag::context(0), [&](DerWriter& f) { f.enumerated(static_cast<int64_t>(*m_neg_state)); });
            if (m_supported_mech) seq.nested(tag::context(1), [&](DerWriter& f) { f.oid(*m_supported_mech); });
            if (m_response_token)
                seq.nested(tag::context(2), [&](DerWriter& f) { f.octet_string(*m_response_token); });
            if (m_mech_list_mic) seq.nested(tag::context(3), [&](DerWriter& f) { f.octet_string(*m_mech_list_mic); });
        });
    });
    return w.take();
}

}  // namespace gssneg::spnego
