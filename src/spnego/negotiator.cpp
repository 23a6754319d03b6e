#include "spnego/negotiator.h"

#include "spnego/token_kind.h"
#include "util/errors.h"
#include "util/trace.h"

#include <algorithm>

namespace gssneg::spnego {

namespace {

constexpr std::string_view trace_component = "spnego";

std::string describe_mech_token(const std::optional<Bytes>& token) {
    if (!token) return "none";
    return std::string(token_kind_name(classify(*token).kind)) + " (" + std::to_string(token->size()) + " bytes)";
}

std::string describe_mic(const std::optional<Bytes>& mic) {
    return mic ? std::to_string(mic->size()) + " bytes" : "none";
}

std::string describe_init(const NegTokenInit& init) {
    std::string mechs;
    for (const Oid& oid : init.mech_types()) {
        if (!mechs.empty()) mechs += ", ";
        mechs += describe(oid);
    }
    return std::string(init.neg_hints() ? "NegTokenInit2" : "NegTokenInit") + " mechTypes [" + mechs +
           "] mechToken " + describe_mech_token(init.mech_token()) + " mechListMIC " +
           describe_mic(init.mech_list_mic());
}

std::string describe_resp(const NegTokenResp& resp) {
    return std::string("NegTokenResp negState ") + (resp.neg_state() ? neg_state_name(*resp.neg_state()) : "absent") +
           " supportedMech " + (resp.supported_mech() ? describe(*resp.supported_mech()) : std::string("absent")) +
           " responseToken " + describe_mech_token(resp.response_token()) + " mechListMIC " +
           describe_mic(resp.mech_list_mic());
}

std::vector<Oid> announced_oids(const std::vector<Mech>& mechs) {
    std::vector<Oid> oids;
    for (const Mech m : mechs) {
        // Windows lists Microsoft's Kerberos OID first, then the standard
        // one; acceptors answer with either.
        if (m == Mech::kerberos) oids.push_back(oids::ms_kerberos());
        oids.push_back(mech_oid(m));
    }
    return oids;
}

}  // namespace

const char* mech_name(Mech mech) noexcept {
    return mech == Mech::kerberos ? "Kerberos" : "NTLM";
}

const Oid& mech_oid(Mech mech) noexcept {
    return mech == Mech::kerberos ? oids::kerberos() : oids::ntlm();
}

std::optional<Mech> mech_of(const Oid& oid) noexcept {
    if (is_kerberos(oid)) return Mech::kerberos;
    if (oid == oids::ntlm()) return Mech::ntlm;
    return std::nullopt;
}

Negotiator::Negotiator(Role role, SubMechanismFactory& factory) : m_role(role), m_factory(factory) {}

NegoStep Negotiator::step(ByteView input) {
    // Fail closed: any error below, thrown or returned, leaves the
    // negotiator failed; only a successful leg moves it on.
    const State state = m_state;
    m_state = State::failed;
    if (state == State::failed || state == State::done)
        throw GssError(GSS_S_FAILURE, state == State::done ? Minor::context_already_established : Minor::context_failed);

    NegoStep out;
    if (m_role == Role::initiator)
        out = state == State::start ? initiator_first() : initiator_next(input);
    else
        out = state == State::start ? acceptor_first(input) : acceptor_next(input);

    if (out.major == GSS_S_COMPLETE) m_state = State::done;
    else if (out.major == GSS_S_CONTINUE_NEEDED) m_state = m_state == State::failed ? State::negotiating : m_state;
    if (!out.token.empty() && trace_enabled()) trace_sent(out.token);
    if (GSS_ERROR(out.major) && trace_enabled()) trace(trace_component, "failed: " + out.detail);
    return out;
}

void Negotiator::trace_leg(const char* direction, const std::string& description) const {
    trace(trace_component,
          std::string(m_role == Role::initiator ? "initiator " : "acceptor ") + direction + " " + description);
}

void Negotiator::trace_sent(ByteView token) const {
    // Our own tokens: they parse.
    if (classify(token).kind == TokenKind::spnego_init)
        trace_leg("->", describe_init(NegTokenInit(token)));
    else
        trace_leg("->", describe_resp(NegTokenResp(token)));
}

void Negotiator::trace_received(const NegTokenInit& init) const {
    if (trace_enabled()) trace_leg("<-", describe_init(init));
}

void Negotiator::trace_received(const NegTokenResp& resp) const {
    if (trace_enabled()) trace_leg("<-", describe_resp(resp));
}

NegoStep Negotiator::fail(OM_uint32 major, OM_uint32 minor, std::string detail, Bytes token) {
    m_state = State::failed;
    NegoStep out;
    out.major = major;
    out.minor = minor;
    out.detail = std::move(detail);
    out.token = std::move(token);
    return out;
}

NegoStep Negotiator::acceptor_reject(OM_uint32 major, OM_uint32 minor, std::string detail, Bytes mech_token) {
    std::optional<Bytes> response;
    if (!mech_token.empty()) response = std::move(mech_token);
    return fail(major, minor, std::move(detail), NegTokenResp(NegState::reject, std::nullopt, std::move(response)).serialize());
}

SubResult Negotiator::run_sub(ByteView input, bool& completed) {
    SubResult r = m_sub->step(input);
    completed = r.major == GSS_S_COMPLETE;
    if (completed) {
        m_sub_complete = true;
        if (m_sub->wants_mech_list_mic()) m_mic_required = true;
    }
    return r;
}

std::optional<Bytes> Negotiator::exchange_mic(const std::optional<Bytes>& mic_in, bool sending_mech_token) {
    if (mic_in) {
        if (m_mic_received)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::spnego_unexpected_token, "a second mechListMIC");
        // RFC 4178 5: the MIC covers the DER of the initiator's
        // MechTypeList; a list altered in transit fails here.
        m_sub->verify_mic(m_mech_types_der, *mic_in);
        m_sub->mech_list_mic_done(true);
        m_mic_received = true;
        // "If we got a MIC, we must send a MIC" (MIT and Windows alike).
        m_mic_required = true;
        if (trace_enabled()) trace(trace_component, "mechListMIC from the peer verifies");
    } else if (m_mic_required && !m_mic_received && !sending_mech_token) {
        // The peer sent the last mechanism token, or answered our MIC: RFC
        // 4178 5 has it send its mechListMIC with that token whenever the
        // exchange requires one. A removed MIC ends here.
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::spnego_mech_list_mic_missing);
    }
    if (m_mic_required && !m_mic_sent) {
        Bytes mic = m_sub->get_mic(m_mech_types_der);
        m_sub->mech_list_mic_done(false);
        m_mic_sent = true;
        return mic;
    }
    return std::nullopt;
}

bool Negotiator::mic_exchange_finished() const noexcept {
    if (!(m_sub->flags() & GSS_C_INTEG_FLAG)) return !m_downgraded;
    return !m_mic_required || (m_mic_sent && m_mic_received);
}

// RFC 4178 5: when the mechanism is not the initiator's first choice, the
// mechListMIC is what proves that the mechanism list was not rewritten
// on its way. A mechanism without integrity cannot make one, so neither
// side may complete over it (MIT's SPNEGO completes there without a MIC).
std::optional<NegoStep> Negotiator::unprotected_downgrade() {
    if (!m_downgraded || (m_sub->flags() & GSS_C_INTEG_FLAG)) return std::nullopt;
    const std::string detail = std::string(mech_name(*m_chosen)) +
                               " is not the initiator's first choice and has no integrity to protect the "
                               "mechanism list with";
    if (m_role == Role::acceptor)
        return acceptor_reject(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_mech_list_mic_missing), detail);
    return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_mech_list_mic_missing), detail);
}

// ---- initiator ----

NegoStep Negotiator::initiator_first() {
    std::vector<std::string> left_out;
    const std::vector<Mech> usable = m_factory.usable(left_out);
    for (const std::string& why : left_out)
        if (trace_enabled()) trace(trace_component, "initiator leaves out " + why);
    if (usable.empty()) {
        // Each mechanism's own reason, "Kerberos: ...; NTLM: ...".
        std::string why;
        for (const std::string& reason : left_out) why += (why.empty() ? "" : "; ") + reason;
        return fail(GSS_S_NO_CRED, minor_value(Minor::spnego_no_usable_mech),
                    why.empty() ? std::string("no mechanism enabled") : why);
    }

    // RFC 4178 3: the initiator's first token carries an optimistic token
    // of its preferred mechanism. A mechanism whose first step fails with a
    // failure that fallback_reason() names is dropped and the next tried;
    // nothing has gone on the wire yet, so the acceptor never sees it.
    for (size_t i = 0; i < usable.size(); ++i) {
        m_sub = m_factory.create(usable[i]);
        m_sub_complete = false;
        bool completed = false;
        SubResult r = run_sub({}, completed);
        if (GSS_ERROR(r.major)) {
            const char* reason = m_sub->fallback_reason(r);
            if (reason == nullptr || i + 1 == usable.size())
                return fail(r.major, r.minor, std::string(mech_name(usable[i])) + ": " + r.detail);
            if (trace_enabled())
                trace(trace_component, std::string("falling back from ") + mech_name(usable[i]) + " to " +
                                           mech_name(usable[i + 1]) + ": " + reason + " (" + r.detail + ")");
            continue;
        }
        m_offered.assign(usable.begin() + static_cast<std::ptrdiff_t>(i), usable.end());
        m_chosen = usable[i];
        std::optional<Bytes> mech_token;
        if (!r.token.empty()) mech_token = std::move(r.token);
        const NegTokenInit init(announced_oids(m_offered), std::move(mech_token));
        m_mech_types_der.assign(init.mech_types_der().begin(), init.mech_types_der().end());
        NegoStep out;
        out.major = GSS_S_CONTINUE_NEEDED;
        out.token = init.serialize();
        m_state = State::negotiating;
        return out;
    }
    return fail(GSS_S_NO_CRED, minor_value(Minor::spnego_no_usable_mech), "no mechanism could start");
}

NegoStep Negotiator::initiator_next(ByteView input) {
    const NegTokenResp resp(input);
    trace_received(resp);
    const std::optional<NegState> neg_state = resp.neg_state();

    if (neg_state == NegState::reject) {
        // A Kerberos acceptor sends its KRB-ERROR inside the reject: let
        // the mechanism read it, for the reason.
        std::string detail = "the acceptor sent reject";
        if (resp.response_token() && !m_sub_complete) {
            bool completed = false;
            const SubResult r = run_sub(*resp.response_token(), completed);
            if (GSS_ERROR(r.major)) return fail(r.major, r.minor, detail + ": " + r.detail);
        }
        return fail(GSS_S_FAILURE, minor_value(Minor::spnego_rejected), detail);
    }

    const bool first_answer = !m_confirmed;
    if (first_answer) {
        // RFC 4178 4.2.2: supportedMech is in the acceptor's first reply.
        // Some acceptors (Java) leave it out when they take the optimistic
        // mechanism.
        const std::optional<Mech> selected =
            resp.supported_mech() ? mech_of(*resp.supported_mech()) : m_chosen;
        if (!selected || std::find(m_offered.begin(), m_offered.end(), *selected) == m_offered.end())
            return fail(GSS_S_BAD_MECH, minor_value(Minor::spnego_unexpected_mech),
                        resp.supported_mech() ? describe(*resp.supported_mech()) : std::string("none"));
        m_confirmed = true;
        if (*selected != m_offered.front()) {
            // RFC 4178 5: an acceptor that picks another mechanism than the
            // first MUST answer request-mic; Windows Server 2003 answers
            // accept-incomplete when it picks NTLM, tolerated as MIT does.
            if (neg_state != NegState::request_mic &&
                !(neg_state == NegState::accept_incomplete && *selected == Mech::ntlm))
                return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                            "acceptor chose another mechanism without request-mic");
            if (trace_enabled())
                trace(trace_component, std::string("acceptor chose ") + mech_name(*selected) + " over " +
                                           mech_name(m_offered.front()) + "; mechListMIC required");
            m_chosen = *selected;
            m_sub = m_factory.create(*selected);
            m_sub_complete = false;
            m_mic_required = true;
            m_downgraded = true;
            bool completed = false;
            SubResult r = run_sub({}, completed);
            if (GSS_ERROR(r.major)) return fail(r.major, r.minor, std::string(mech_name(*selected)) + ": " + r.detail);
            NegoStep out;
            out.token = NegTokenResp(std::nullopt, std::nullopt, std::move(r.token)).serialize();
            m_state = State::negotiating;
            return out;
        }
        if (neg_state == NegState::request_mic) m_mic_required = true;
    }

    Bytes out_token;
    if (!m_sub_complete) {
        if (!resp.response_token()) {
            if (neg_state == NegState::accept_completed)
                return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                            "accept-completed before the mechanism finished");
            return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token), "no responseToken");
        }
        bool completed = false;
        SubResult r = run_sub(*resp.response_token(), completed);
        if (GSS_ERROR(r.major)) return fail(r.major, r.minor, std::string(mech_name(*m_chosen)) + ": " + r.detail);
        out_token = std::move(r.token);
        // RFC 4178 4.2.2: accept-completed says the acceptor has what it
        // needs; a mechanism that still has a token for it says otherwise.
        if (neg_state == NegState::accept_completed && !out_token.empty())
            return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                        "accept-completed, but the mechanism still has a token for the acceptor");
    } else if (resp.response_token() && !resp.response_token()->empty()) {
        return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                    "responseToken after the mechanism finished");
    }

    std::optional<Bytes> mic_out;
    if (m_sub_complete) {
        if (auto refused = unprotected_downgrade()) return std::move(*refused);
        if (m_sub->flags() & GSS_C_INTEG_FLAG) mic_out = exchange_mic(resp.mech_list_mic(), !out_token.empty());
    }

    NegoStep out;
    if (!out_token.empty() || mic_out) {
        // MIT and Windows answer a final mechanism token or a MIC with
        // accept-completed: wait for it.
        std::optional<Bytes> response;
        if (!out_token.empty()) response = std::move(out_token);
        out.token = NegTokenResp(std::nullopt, std::nullopt, std::move(response), std::move(mic_out)).serialize();
        out.major = GSS_S_CONTINUE_NEEDED;
        m_state = State::negotiating;
        return out;
    }
    if (!m_sub_complete)
        return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token), "the mechanism had nothing to send");
    if (!mic_exchange_finished())
        return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_mech_list_mic_missing), "exchange ended without it");
    if (neg_state != NegState::accept_completed)
        return fail(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                    "the acceptor did not complete the exchange");
    out.major = GSS_S_COMPLETE;
    return out;
}

// ---- acceptor ----

NegoStep Negotiator::acceptor_first(ByteView input) {
    std::vector<std::string> left_out;
    if (input.empty()) {
        // MS-SPNG 3.2.5.2: an empty first token asks the acceptor to start
        // with NegTokenInit2, listing what it accepts.
        if (m_hints_sent)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::spnego_unexpected_token, "a second empty token");
        const std::vector<Mech> usable = m_factory.usable(left_out);
        if (usable.empty()) throw GssError(GSS_S_NO_CRED, Minor::spnego_no_usable_mech);
        NegoStep out;
        out.token = NegTokenInit(announced_oids(usable), std::nullopt, std::nullopt, NegHints{ignored_hint_name, {}})
                        .serialize();
        m_hints_sent = true;
        m_state = State::start;
        return out;
    }

    const NegTokenInit init(input);
    trace_received(init);
    m_mech_types_der.assign(init.mech_types_der().begin(), init.mech_types_der().end());
    const std::vector<Mech> usable = m_factory.usable(left_out);
    for (const std::string& why : left_out)
        if (trace_enabled()) trace(trace_component, "acceptor leaves out " + why);

    // The acceptor's own preference decides among what the initiator
    // offers (Windows does; RFC 4178 3 leaves the choice to the acceptor).
    for (const Mech m : usable) {
        const auto it = std::find_if(init.mech_types().begin(), init.mech_types().end(),
                                     [m](const Oid& oid) { return mech_of(oid) == m; });
        if (it == init.mech_types().end()) continue;
        m_chosen = m;
        m_chosen_oid = *it;
        break;
    }
    if (!m_chosen)
        return acceptor_reject(GSS_S_BAD_MECH, minor_value(Minor::spnego_no_common_mech),
                               usable.empty() ? std::string("no mechanism with credentials")
                                              : std::string("none of the offered mechanisms"));

    m_sub = m_factory.create(*m_chosen);
    const bool optimistic = mech_of(init.mech_types().front()) == m_chosen;
    if (trace_enabled())
        trace(trace_component, std::string("acceptor chooses ") + mech_name(*m_chosen) +
                                   (optimistic ? "" : " (not the initiator's first: mechListMIC required)"));
    if (!optimistic || !init.mech_token()) {
        // RFC 4178 5: "request-mic" when the chosen mechanism is not the
        // initiator's first; the optimistic token, made for another
        // mechanism, is dropped.
        m_mic_required = !optimistic;
        m_downgraded = !optimistic;
        NegoStep out;
        out.token = NegTokenResp(optimistic ? NegState::accept_incomplete : NegState::request_mic, m_chosen_oid,
                                 std::nullopt)
                        .serialize();
        m_state = State::negotiating;
        return out;
    }
    return acceptor_process(*init.mech_token(), init.mech_list_mic(), m_chosen_oid);
}

NegoStep Negotiator::acceptor_next(ByteView input) {
    const NegTokenResp resp(input);
    trace_received(resp);
    if (resp.neg_state() == NegState::reject)
        return fail(GSS_S_FAILURE, minor_value(Minor::spnego_rejected), "the initiator sent reject");
    if (!m_sub_complete) {
        if (!resp.response_token())
            return acceptor_reject(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                                   "no responseToken");
        return acceptor_process(*resp.response_token(), resp.mech_list_mic(), std::nullopt);
    }
    if (resp.response_token() && !resp.response_token()->empty())
        return acceptor_reject(GSS_S_DEFECTIVE_TOKEN, minor_value(Minor::spnego_unexpected_token),
                               "responseToken after the mechanism finished");
    return acceptor_process({}, resp.mech_list_mic(), std::nullopt);
}

NegoStep Negotiator::acceptor_process(ByteView mech_token, const std::optional<Bytes>& mic_in,
                                      const std::optional<Oid>& supported) {
    Bytes out_token;
    if (!m_sub_complete) {
        bool completed = false;
        SubResult r = run_sub(mech_token, completed);
        if (GSS_ERROR(r.major))
            return acceptor_reject(r.major, r.minor, std::string(mech_name(*m_chosen)) + ": " + r.detail,
                                   std::move(r.token));
        out_token = std::move(r.token);
    }
    std::optional<Bytes> mic_out;
    if (m_sub_complete) {
        if (auto refused = unprotected_downgrade()) return std::move(*refused);
        if (m_sub->flags() & GSS_C_INTEG_FLAG) mic_out = exchange_mic(mic_in, !out_token.empty());
    }

    const bool done = m_sub_complete && mic_exchange_finished();
    std::optional<Bytes> response;
    if (!out_token.empty()) response = std::move(out_token);
    NegoStep out;
    out.major = done ? GSS_S_COMPLETE : GSS_S_CONTINUE_NEEDED;
    out.token = NegTokenResp(done ? NegState::accept_completed : NegState::accept_incomplete, supported,
                             std::move(response), std::move(mic_out))
                    .serialize();
    m_state = done ? State::done : State::negotiating;
    return out;
}

}  // namespace gssneg::spnego
