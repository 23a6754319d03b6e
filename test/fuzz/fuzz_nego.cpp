#include "fuzz_nego.h"

#include "fuzz_common.h"
#include "fuzz_context_pair.h"
#include "gss-negotiate/gss_negotiate.h"
#include "mech/guard.h"
#include "mech/oids.h"
#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/negotiator.h"
#include "spnego/token_kind.h"
#include "util/errors.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

namespace gssneg::fuzz {

namespace {

constexpr int lm_levels[4] = {3, 1, 2, 5};
// Legs of one exchange at most: NTLM beneath Negotiate takes four.
constexpr size_t max_legs = 8;
// Fuzzed legs the receiver takes after its peer has nothing more to say.
constexpr size_t max_extra_legs = 4;

[[noreturn]] void fail_on(Side side, const std::string& what) {
    fail(((side == Side::initiator ? "initiator: " : "acceptor: ") + what).c_str());
}

struct NegoOptions {
    int lm_compat_level = 3;
    bool initiator_bindings = false;
    bool acceptor_bindings = false;
    bool default_acceptor_cred = false;
    OM_uint32 req_flags = GSS_C_MUTUAL_FLAG;
};

NegoOptions options_of(uint8_t selector) {
    NegoOptions o;
    o.lm_compat_level = lm_levels[(selector >> nego_selector::level_shift) & 3];
    o.initiator_bindings = (selector & nego_selector::initiator_bindings) != 0;
    o.acceptor_bindings = (selector & nego_selector::acceptor_bindings) != 0;
    o.default_acceptor_cred = (selector & nego_selector::default_acceptor_cred) != 0;
    o.req_flags = GSS_C_MUTUAL_FLAG | ((selector & nego_selector::protect) != 0 ? protect_flags : 0);
    return o;
}

struct Credentials {
    gss_cred_id_t initiator = GSS_C_NO_CREDENTIAL;
    gss_cred_id_t acceptor = GSS_C_NO_CREDENTIAL;
    gss_name_t target = GSS_C_NO_NAME;
};

gss_name_t import_name(const std::string& text, gss_OID type) {
    OM_uint32 minor = 0;
    gss_buffer_desc buffer = buffer_of(as_bytes(text));
    gss_name_t name = GSS_C_NO_NAME;
    if (gssi_import_name(&minor, &buffer, type, &name) != GSS_S_COMPLETE) fail("gssi_import_name");
    return name;
}

// Made once, kept for the life of the process.
const Credentials& credentials() {
    static const Credentials c = [] {
        Credentials out;
        OM_uint32 minor = 0;
        gss_name_t user_name = import_name(std::string(domain) + "\\" + user, &mech::oid::nt_user_name);
        gss_key_value_element_desc element{GSSNEG_CRED_STORE_PASSWORD, password};
        gss_key_value_set_desc store{1, &element};
        if (gssi_acquire_cred_from(&minor, user_name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_INITIATE, &store,
                                   &out.initiator, nullptr, nullptr) != GSS_S_COMPLETE)
            fail("gssi_acquire_cred_from (initiator)");
        gssi_release_name(&minor, &user_name);
        if (gssi_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT, &out.acceptor,
                              nullptr, nullptr) != GSS_S_COMPLETE)
            fail("gssi_acquire_cred (acceptor)");
        out.target = import_name(target, &mech::oid::nt_hostbased_service);
        return out;
    }();
    return c;
}

gss_channel_bindings_t bindings() {
    static const std::string app_data(binding_data);
    static gss_channel_bindings_struct cb = [] {
        gss_channel_bindings_struct b{};
        b.initiator_addrtype = GSS_C_AF_UNSPEC;
        b.acceptor_addrtype = GSS_C_AF_UNSPEC;
        b.application_data = {app_data.size(), const_cast<char*>(app_data.data())};
        return b;
    }();
    return &cb;
}

// The fields of an input, in turn.
class Fields final {
public:
    Fields(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    bool more() const noexcept { return m_pos < m_size; }
    Bytes next() {
        size_t n = byte();
        n |= static_cast<size_t>(byte()) << 8;
        n = std::min(n, m_size - m_pos);
        Bytes out(m_data + m_pos, m_data + m_pos + n);
        m_pos += n;
        return out;
    }

private:
    uint8_t byte() noexcept { return m_pos < m_size ? m_data[m_pos++] : 0; }

    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
};

// A failed call: a routine error and no calling error, and a minor code of
// ours that has a text.
void check_failure(Side side, const char* call, OM_uint32 major, OM_uint32 minor) {
    const OM_uint32 routine = GSS_ROUTINE_ERROR(major) >> GSS_C_ROUTINE_ERROR_OFFSET;
    if (GSS_CALLING_ERROR(major) != 0 || routine == 0 || routine > (GSS_S_BAD_MECH_ATTR >> GSS_C_ROUTINE_ERROR_OFFSET))
        fail_on(side, std::string(call) + " failed with major " + std::to_string(major));
    if (!is_our_minor(minor) || minor == minor_value(Minor::internal_error) || minor_text(minor) == nullptr)
        fail_on(side, std::string(call) + " failed with minor " + std::to_string(minor));
    OM_uint32 display_minor = 0;
    OM_uint32 context = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (gssi_display_status(&display_minor, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &context, &text) != GSS_S_COMPLETE)
        fail_on(side, "gssi_display_status");
    if (take(text).empty()) fail_on(side, "no text for minor " + std::to_string(minor));
}

// A call that must succeed (strict), or may fail with a proper status.
bool succeeded(Side side, const char* call, OM_uint32 major, OM_uint32 minor, bool strict) {
    if (major == GSS_S_COMPLETE) return true;
    if (strict) fail_on(side, std::string(call) + " returned major " + std::to_string(major));
    if (GSS_ERROR(major)) check_failure(side, call, major, minor);
    return false;
}

bool ntlm_only(const std::vector<spnego::Oid>& mech_types) {
    return !mech_types.empty() && std::all_of(mech_types.begin(), mech_types.end(), [](const spnego::Oid& oid) {
        return spnego::mech_of(oid) == spnego::Mech::ntlm;
    });
}

// The token a call returned, by who sent it and what the call returned.
void check_sent(Side side, bool first_call, bool empty_input, OM_uint32 major, ByteView token) {
    try {
        if (GSS_ERROR(major)) {
            if (!token.empty() && spnego::NegTokenResp(token).neg_state() != spnego::NegState::reject)
                fail_on(side, "a failure sent a token other than reject");
            return;
        }
        if (side == Side::initiator && first_call) {
            // Kerberos is out of reach: only NTLM is offered.
            const spnego::NegTokenInit init(token);
            if (!ntlm_only(init.mech_types()) || !init.mech_token())
                fail_on(side, "the first token does not offer NTLM alone, with its NEGOTIATE");
            return;
        }
        if (side == Side::initiator) {
            if (major == GSS_S_COMPLETE) {
                if (!token.empty()) fail_on(side, "a token with GSS_S_COMPLETE");
                return;
            }
            if (spnego::NegTokenResp(token).neg_state()) fail_on(side, "a negState from the initiator");
            return;
        }
        if (major == GSS_S_CONTINUE_NEEDED && spnego::classify(token).kind == spnego::TokenKind::spnego_init) {
            // MS-SPNG 3.2.5.2: the answer to an empty first token.
            const spnego::NegTokenInit init(token);
            if (!first_call || !empty_input || !init.neg_hints() || !ntlm_only(init.mech_types()))
                fail_on(side, "an unexpected NegTokenInit2");
            return;
        }
        const spnego::NegTokenResp resp(token);
        const auto state = resp.neg_state();
        const bool right = major == GSS_S_COMPLETE
                               ? state == spnego::NegState::accept_completed
                               : state == spnego::NegState::accept_incomplete || state == spnego::NegState::request_mic;
        if (!right) fail_on(side, "the negState does not match the major status");
    } catch (const GssError& e) {
        fail_on(side, std::string("a token it sent does not parse: ") + e.what());
    }
}

void release_name(gss_name_t& name) {
    OM_uint32 minor = 0;
    if (name != GSS_C_NO_NAME) gssi_release_name(&minor, &name);
}

std::string display(Side side, gss_name_t name) {
    OM_uint32 minor = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    if (gssi_display_name(&minor, name, &text, nullptr) != GSS_S_COMPLETE) fail_on(side, "gssi_display_name");
    const Bytes b = take(text);
    if (b.empty()) fail_on(side, "an empty name");
    return std::string(b.begin(), b.end());
}

// One end of the exchange, over the module's gssi_* entry points.
class NegoSide final {
public:
    NegoSide(Side side, const NegoOptions& options) : m_side(side), m_options(options) {}
    ~NegoSide() {
        OM_uint32 minor = 0;
        gssi_delete_sec_context(&minor, &m_ctx, GSS_C_NO_BUFFER);
        release_name(m_src_name);
    }
    NegoSide(const NegoSide&) = delete;
    NegoSide& operator=(const NegoSide&) = delete;

    Side side() const noexcept { return m_side; }
    bool waiting() const noexcept { return m_major == GSS_S_CONTINUE_NEEDED; }
    bool complete() const noexcept { return m_major == GSS_S_COMPLETE; }
    OM_uint32 major() const noexcept { return m_major; }
    OM_uint32 flags() const noexcept { return m_flags; }
    gss_ctx_id_t handle() const noexcept { return m_ctx; }
    gss_name_t src_name() const noexcept { return m_src_name; }

    // One gssi_init_sec_context / gssi_accept_sec_context; returns the
    // token for the peer.
    Bytes step(ByteView input) {
        const bool fresh = m_ctx == GSS_C_NO_CONTEXT;
        OM_uint32 minor = 0;
        OM_uint32 flags = 0;
        OM_uint32 time_rec = 0;
        gss_OID mech_type = GSS_C_NO_OID;
        const OM_uint32 major = call(input, minor, flags, time_rec, mech_type);
        const Bytes token = take(m_out);
        m_major = major;
        if (GSS_ERROR(major)) {
            check_failure(m_side, m_side == Side::initiator ? "gssi_init_sec_context" : "gssi_accept_sec_context",
                          major, minor);
            // DESIGN.md: the mechglue frees its context after a failed
            // first call without asking us.
            if (fresh && m_ctx != GSS_C_NO_CONTEXT) fail_on(m_side, "a failed first call left a context");
        } else if (major == GSS_S_COMPLETE) {
            m_flags = flags;
            if (!mech::oid_equal(mech_type, &mech::oid::ntlm)) fail_on(m_side, "completed over another mechanism");
            if (time_rec == 0) fail_on(m_side, "completed with no lifetime");
        } else if (major != GSS_S_CONTINUE_NEEDED) {
            fail_on(m_side, "major " + std::to_string(major));
        }
        check_sent(m_side, fresh, input.empty(), major, token);
        return token;
    }

    // A call after the exchange ended must be refused, and must leave the
    // context as it was.
    void step_after_end(ByteView input) {
        if (m_ctx == GSS_C_NO_CONTEXT) return;
        OM_uint32 minor = 0;
        OM_uint32 flags = 0;
        OM_uint32 time_rec = 0;
        gss_OID mech_type = GSS_C_NO_OID;
        const gss_ctx_id_t before = m_ctx;
        const OM_uint32 major = call(input, minor, flags, time_rec, mech_type);
        if (!take(m_out).empty()) fail_on(m_side, "a token from a call after the end");
        if (!GSS_ERROR(major) || m_ctx != before) fail_on(m_side, "a call after the end was not refused");
        check_failure(m_side, "a call after the end", major, minor);
        const Minor expected = complete() ? Minor::context_already_established : Minor::context_failed;
        if (minor != minor_value(expected)) fail_on(m_side, "a call after the end gave minor " + std::to_string(minor));
    }

private:
    OM_uint32 call(ByteView input, OM_uint32& minor, OM_uint32& flags, OM_uint32& time_rec, gss_OID& mech_type) {
        const Credentials& c = credentials();
        gss_buffer_desc in = buffer_of(input);
        m_out = GSS_C_EMPTY_BUFFER;
        if (m_side == Side::initiator) {
            const bool first = m_ctx == GSS_C_NO_CONTEXT;
            return gssi_init_sec_context(&minor, c.initiator, &m_ctx, c.target, &mech::oid::spnego,
                                         m_options.req_flags, 0,
                                         m_options.initiator_bindings ? bindings() : GSS_C_NO_CHANNEL_BINDINGS,
                                         first ? GSS_C_NO_BUFFER : &in, &mech_type, &m_out, &flags, &time_rec);
        }
        gss_name_t src = GSS_C_NO_NAME;
        gss_cred_id_t delegated = GSS_C_NO_CREDENTIAL;
        const OM_uint32 major = gssi_accept_sec_context(
            &minor, &m_ctx, m_options.default_acceptor_cred ? GSS_C_NO_CREDENTIAL : c.acceptor, &in,
            m_options.acceptor_bindings ? bindings() : GSS_C_NO_CHANNEL_BINDINGS, &src, &mech_type, &m_out, &flags,
            &time_rec, &delegated);
        if (delegated != GSS_C_NO_CREDENTIAL) fail_on(m_side, "a delegated credential from NTLM");
        if (src != GSS_C_NO_NAME) {
            if (major != GSS_S_COMPLETE || m_src_name != GSS_C_NO_NAME) {
                release_name(src);
                fail_on(m_side, "a source name before completion, or twice");
            }
            m_src_name = src;
        }
        return major;
    }

    Side m_side;
    const NegoOptions& m_options;
    gss_ctx_id_t m_ctx = GSS_C_NO_CONTEXT;
    gss_name_t m_src_name = GSS_C_NO_NAME;
    gss_buffer_desc m_out = GSS_C_EMPTY_BUFFER;
    OM_uint32 m_major = GSS_S_CONTINUE_NEEDED;
    OM_uint32 m_flags = 0;
};

// An established side on its own: open, NTLM, the flags it returned, and
// able to sign (and seal when it says so).
void check_open(NegoSide& s) {
    const Side side = s.side();
    OM_uint32 minor = 0;
    gss_name_t src = GSS_C_NO_NAME;
    gss_name_t targ = GSS_C_NO_NAME;
    OM_uint32 lifetime = 0;
    gss_OID mech_type = GSS_C_NO_OID;
    OM_uint32 flags = 0;
    int local = -1;
    int open = -1;
    const OM_uint32 major =
        gssi_inquire_context(&minor, s.handle(), &src, &targ, &lifetime, &mech_type, &flags, &local, &open);
    if (src != GSS_C_NO_NAME) display(side, src);
    if (targ != GSS_C_NO_NAME) display(side, targ);
    release_name(src);
    release_name(targ);
    if (major != GSS_S_COMPLETE) fail_on(side, "gssi_inquire_context on an established context");
    if (open != 1 || local != (side == Side::initiator ? 1 : 0) || !mech::oid_equal(mech_type, &mech::oid::ntlm) ||
        flags != s.flags() || lifetime == 0)
        fail_on(side, "gssi_inquire_context does not describe the established context");

    OM_uint32 left = 0;
    if (gssi_context_time(&minor, s.handle(), &left) != GSS_S_COMPLETE || left == 0)
        fail_on(side, "gssi_context_time");
    static constexpr std::string_view text = "alone";
    gss_buffer_desc message = buffer_of(as_bytes(text));
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    if ((s.flags() & GSS_C_INTEG_FLAG) != 0) {
        succeeded(side, "gssi_get_mic", gssi_get_mic(&minor, s.handle(), GSS_C_QOP_DEFAULT, &message, &out), minor,
                  true);
        take(out);
    }
    if ((s.flags() & GSS_C_CONF_FLAG) != 0) {
        int conf = 0;
        succeeded(side, "gssi_wrap", gssi_wrap(&minor, s.handle(), 1, GSS_C_QOP_DEFAULT, &message, &conf, &out), minor,
                  true);
        take(out);
        if (conf != 1) fail_on(side, "gssi_wrap did not seal");
    }
}

// A message wrapped at `from` unwraps at `to`, once; a MIC made at `from`
// verifies at `to`. Strict: every call succeeds; otherwise every status is
// only checked for its form.
void converse(NegoSide& from, NegoSide& to, bool strict) {
    static constexpr std::string_view text = "fuzz negotiate";
    const ByteView expected = as_bytes(text);
    gss_buffer_desc message = buffer_of(expected);
    const int conf_req = (from.flags() & GSS_C_CONF_FLAG) != 0 ? 1 : 0;
    OM_uint32 minor = 0;
    int conf = -1;
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    if (succeeded(from.side(), "gssi_wrap",
                  gssi_wrap(&minor, from.handle(), conf_req, GSS_C_QOP_DEFAULT, &message, &conf, &out), minor,
                  strict)) {
        const Bytes token = take(out);
        gss_buffer_desc in = buffer_of(token);
        int peer_conf = -1;
        const bool ok = succeeded(to.side(), "gssi_unwrap", gssi_unwrap(&minor, to.handle(), &in, &out, &peer_conf, nullptr),
                                  minor, strict);
        const Bytes plain = take(out);
        if (strict && (conf != conf_req || peer_conf != conf ||
                       !std::equal(plain.begin(), plain.end(), expected.begin(), expected.end())))
            fail_on(to.side(), "gssi_unwrap does not give back what the peer wrapped");
        if (ok && (to.flags() & GSS_C_REPLAY_FLAG) != 0) {
            const OM_uint32 again = gssi_unwrap(&minor, to.handle(), &in, &out, nullptr, nullptr);
            take(out);
            if (again == GSS_S_COMPLETE) fail_on(to.side(), "a replayed wrap token was accepted");
            if (GSS_ERROR(again)) check_failure(to.side(), "gssi_unwrap (replay)", again, minor);
        }
    }
    take(out);
    if (succeeded(from.side(), "gssi_get_mic", gssi_get_mic(&minor, from.handle(), GSS_C_QOP_DEFAULT, &message, &out),
                  minor, strict)) {
        const Bytes token = take(out);
        gss_buffer_desc mic = buffer_of(token);
        succeeded(to.side(), "gssi_verify_mic", gssi_verify_mic(&minor, to.handle(), &message, &mic, nullptr), minor,
                  strict);
    }
    take(out);
}

// Whether the acceptor's NTLM AUTHENTICATE carried a MIC (the private
// inquiry MIT's SPNEGO makes, forwarded to NTLM).
bool mic_exchanged(NegoSide& acceptor) {
    OM_uint32 minor = 0;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    if (gssi_inquire_sec_context_by_oid(&minor, acceptor.handle(), &mech::oid::spnego_req_mechlist_mic, &set) !=
            GSS_S_COMPLETE ||
        set == GSS_C_NO_BUFFER_SET || set->count != 1 || set->elements[0].length != 1)
        fail_on(Side::acceptor, "the mechListMIC inquiry");
    const bool required = *static_cast<const uint8_t*>(set->elements[0].value) == 1;
    for (size_t i = 0; i < set->count; ++i) std::free(set->elements[i].value);
    std::free(set->elements);
    std::free(set);
    return required;
}

std::string own_name(NegoSide& initiator) {
    OM_uint32 minor = 0;
    gss_name_t src = GSS_C_NO_NAME;
    if (gssi_inquire_context(&minor, initiator.handle(), &src, nullptr, nullptr, nullptr, nullptr, nullptr,
                             nullptr) != GSS_S_COMPLETE ||
        src == GSS_C_NO_NAME)
        fail_on(Side::initiator, "no name of its own");
    const std::string text = display(Side::initiator, src);
    release_name(src);
    return text;
}

void check_pair(NegoSide& initiator, NegoSide& acceptor, bool strict) {
    converse(initiator, acceptor, strict);
    converse(acceptor, initiator, strict);
    if (!strict) return;
    constexpr OM_uint32 protection = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    if ((initiator.flags() & protection) != (acceptor.flags() & protection))
        fail("the two sides report different protection");
    if (acceptor.src_name() == GSS_C_NO_NAME || display(Side::acceptor, acceptor.src_name()) != own_name(initiator))
        fail("the acceptor names another initiator");
}

}  // namespace

uint8_t nego_selector::level_bits(int lm_compat_level) {
    for (uint8_t i = 0; i < 4; ++i)
        if (lm_levels[i] == lm_compat_level) return static_cast<uint8_t>(i << level_shift);
    fail("no selector for that LM_COMPAT_LEVEL");
}

Bytes apply_edits(ByteView token, ByteView edits) {
    Bytes out(token.begin(), token.end());
    for (size_t i = 0; i + 4 <= edits.size(); i += 4) {
        const size_t offset = edits[i + 1] | static_cast<size_t>(edits[i + 2]) << 8;
        const uint8_t value = edits[i + 3];
        switch (edits[i] % 4) {
        case 0:
            if (!out.empty()) out[offset % out.size()] ^= value;
            break;
        case 1:
            if (!out.empty()) out[offset % out.size()] = value;
            break;
        case 2: out.insert(out.begin() + static_cast<ptrdiff_t>(offset % (out.size() + 1)), value); break;
        case 3: out.resize(offset % (out.size() + 1)); break;
        }
    }
    return out;
}

void append_field(Bytes& input, ByteView field) {
    input.push_back(static_cast<uint8_t>(field.size()));
    input.push_back(static_cast<uint8_t>(field.size() >> 8));
    input.insert(input.end(), field.begin(), field.end());
}

void nego_setup() {
    use_module_environment();
    credentials();
}

NegoTranscript run_nego_input(Side receiver, const uint8_t* data, size_t size) {
    NegoTranscript t;
    if (size == 0) return t;
    const uint8_t selector = data[0];
    Fields fields(data + 1, size - 1);
    const NegoOptions options = options_of(selector);
    const size_t first_tampered = (selector & nego_selector::second_leg) != 0 ? 1 : 0;
    const bool edit = (selector & nego_selector::edit) != 0;

    credentials();
    const std::string level = std::to_string(options.lm_compat_level);
    setenv("LM_COMPAT_LEVEL", level.c_str(), 1);
    reset_random();
    NegoSide initiator(Side::initiator, options);
    NegoSide acceptor(Side::acceptor, options);
    NegoSide& to_receiver = receiver == Side::initiator ? initiator : acceptor;

    size_t incoming = 0;
    Bytes token = initiator.step({});
    for (size_t leg = 1; leg <= max_legs && !token.empty(); ++leg) {
        NegoSide& sender = leg % 2 == 1 ? initiator : acceptor;
        NegoSide& to = leg % 2 == 1 ? acceptor : initiator;
        if (!to.waiting()) break;
        Bytes delivered = token;
        if (&to == &to_receiver) {
            if (incoming >= first_tampered && fields.more()) {
                const Bytes field = fields.next();
                delivered = edit ? apply_edits(token, field) : field;
            }
            ++incoming;
        }
        const bool changed = delivered != token;
        t.tampered = t.tampered || changed;
        t.legs.push_back(delivered);
        const bool rejected = GSS_ERROR(sender.major());
        token = to.step(delivered);
        if (rejected && !changed && !GSS_ERROR(to.major())) fail_on(to.side(), "a reject did not end the exchange");
    }
    const bool tampered = t.tampered;

    // What is left of the input: further legs for a receiver still waiting
    // (its peer has nothing more to send), then one call after the end.
    for (size_t extra = 0; extra < max_extra_legs && fields.more() && to_receiver.waiting(); ++extra) {
        t.tampered = true;
        to_receiver.step(fields.next());
    }
    if (fields.more()) to_receiver.step_after_end(fields.next());

    t.initiator_major = initiator.major();
    t.acceptor_major = acceptor.major();
    const bool both = initiator.complete() && acceptor.complete();
    // An acceptor given channel bindings insists on them, and an NTLMv1
    // response has nowhere to carry them.
    const bool should_complete =
        !options.acceptor_bindings || (options.initiator_bindings && options.lm_compat_level >= 3);
    if (!tampered && should_complete && !both) fail("an exchange nobody tampered with did not complete");
    if (both) check_pair(initiator, acceptor, !tampered || mic_exchanged(acceptor));
    if (initiator.complete()) check_open(initiator);
    if (acceptor.complete()) check_open(acceptor);
    unsetenv("LM_COMPAT_LEVEL");
    return t;
}

}  // namespace gssneg::fuzz
