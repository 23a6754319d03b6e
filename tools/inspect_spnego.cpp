#include "inspect_spnego.h"

#include "inspect_ntlm.h"
#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/token_kind.h"
#include "util/errors.h"

#include <algorithm>
#include <string>

namespace gssneg::inspect {

using namespace gssneg::spnego;

namespace {

// Kerberos tickets with a PAC can be large; the tool should show them.
constexpr size_t max_token_length = 1024 * 1024;
// How much of a token of unknown kind is shown.
constexpr size_t unknown_hex_octets = 32;

bool is_kerberos_kind(TokenKind kind) noexcept {
    return kind == TokenKind::krb5_ap_req || kind == TokenKind::krb5_ap_rep || kind == TokenKind::krb5_error ||
           kind == TokenKind::krb5_other;
}

Value kerberos_value(ByteView token, const TokenClass& c) {
    Value out = Value::object();
    out.add("token", Value::token("Kerberos"));
    out.add("size", Value::number(token.size()));
    out.add("message", Value::token(token_kind_name(c.kind)));
    out.add("framing", Value::token(c.framing_mech ? describe(*c.framing_mech) : "none (raw, DCE style)"));
    out.add("krb_message_size", Value::number(c.inner.size()));
    return out;
}

std::string error_text(const GssError& e) {
    const char* text = minor_text(e.minor());
    return text != nullptr ? text : e.what();
}

// A token carried inside SPNEGO, decoded by its own kind. A bad inner token
// does not make the SPNEGO token invalid: its error is shown in place.
Value inner_value(ByteView token) {
    const TokenClass c = classify(token);
    if (c.kind == TokenKind::ntlmssp) {
        try {
            return decode_ntlm(token);
        } catch (const GssError& e) {
            Value out = Value::object();
            out.add("token", Value::token("NTLMSSP"));
            out.add("size", Value::number(token.size()));
            out.add("error", Value::token(error_text(e)));
            return out;
        }
    }
    if (is_kerberos_kind(c.kind)) return kerberos_value(token, c);
    Value out = Value::object();
    out.add("token", Value::token(token_kind_name(c.kind)));
    out.add("size", Value::number(token.size()));
    if (!token.empty()) {
        const ByteView head = token.first(std::min(token.size(), unknown_hex_octets));
        out.add("hex", Value::token(to_hex(head) + (head.size() < token.size() ? "..." : "")));
    }
    return out;
}

void add_mech_list_mic(Value& out, const std::optional<Bytes>& mic) {
    out.add("mech_list_mic_present", Value::boolean(mic.has_value()));
    if (!mic) return;
    Value& v = out.add("mech_list_mic", Value::object());
    v.add("length", Value::number(mic->size()));
    v.add("hex", Value::token(to_hex(*mic)));
}

void decode_init(ByteView token, Value& out) {
    const NegTokenInit init(token, max_token_length);
    const bool init2 = init.form() == NegTokenInit::Form::ms_spng_init2;
    out.add("message", Value::token(init2 ? "NegTokenInit2" : "NegTokenInit"));
    Value& mechs = out.add("mech_types", Value::array());
    for (const Oid& mech : init.mech_types()) mechs.push(Value::token(describe(mech)));
    if (init.req_flags()) out.add("req_flags", Value::token(context_flags_to_string(*init.req_flags())));
    if (init.neg_hints()) {
        Value& hints = out.add("neg_hints", Value::object());
        if (init.neg_hints()->hint_name) hints.add("hint_name", Value::text(*init.neg_hints()->hint_name));
        if (init.neg_hints()->hint_address)
            hints.add("hint_address", Value::token(to_hex(*init.neg_hints()->hint_address)));
    }
    if (init.mech_token()) out.add("mech_token", inner_value(*init.mech_token()));
    add_mech_list_mic(out, init.mech_list_mic());
}

void decode_resp(ByteView token, Value& out) {
    const NegTokenResp resp(token, max_token_length);
    out.add("message", Value::token("NegTokenResp"));
    if (resp.neg_state()) {
        const NegState state = *resp.neg_state();
        out.add("neg_state", Value::token(std::string(neg_state_name(state)) + " (" +
                                          std::to_string(static_cast<unsigned>(state)) + ")"));
    }
    if (resp.supported_mech()) out.add("supported_mech", Value::token(describe(*resp.supported_mech())));
    if (resp.response_token()) out.add("response_token", inner_value(*resp.response_token()));
    add_mech_list_mic(out, resp.mech_list_mic());
}

TokenKind kind_of(ByteView token) noexcept {
    try {
        return classify(token).kind;
    } catch (...) {
        return TokenKind::unknown;
    }
}

}  // namespace

bool looks_like_spnego(ByteView token) noexcept {
    const TokenKind kind = kind_of(token);
    return kind == TokenKind::spnego_init || kind == TokenKind::spnego_resp;
}

Value decode_spnego(ByteView token) {
    Value out = Value::object();
    out.add("token", Value::token("SPNEGO"));
    out.add("size", Value::number(token.size()));
    if (classify(token).kind == TokenKind::spnego_init) {
        decode_init(token, out);
    } else {
        decode_resp(token, out);
    }
    return out;
}

bool looks_like_kerberos(ByteView token) noexcept {
    return is_kerberos_kind(kind_of(token));
}

Value decode_kerberos(ByteView token) {
    return kerberos_value(token, classify(token));
}

}  // namespace gssneg::inspect
