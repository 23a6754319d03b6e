// The Negotiate state machine (RFC 4178, MS-SPNG): which mechanism, which
// SPNEGO token carries which sub-mechanism token, and the mechListMIC. The
// sub-mechanisms themselves (Kerberos through the mechglue, NTLM in-process)
// are behind SubMechanism; the negotiator only sees their tokens, their
// completion and their MIC.
#pragma once

#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/oid.h"
#include "util/bytes.h"
#include "util/gss_headers.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gssneg::spnego {

enum class Mech { kerberos, ntlm };

// "Kerberos", "NTLM".
const char* mech_name(Mech mech) noexcept;
// The OID a mechanism is announced under. Kerberos is announced twice by an
// initiator (Microsoft's OID first, as Windows does) and answered with the
// OID the initiator used.
const Oid& mech_oid(Mech mech) noexcept;
std::optional<Mech> mech_of(const Oid& oid) noexcept;

// The outcome of one call into a sub-mechanism. An error can come with a
// token for the peer (Kerberos answers a failed AP-REQ with a KRB-ERROR).
struct SubResult {
    OM_uint32 major = GSS_S_COMPLETE;
    OM_uint32 minor = 0;
    Bytes token;
    std::string detail;  // for the trace and gss_display_status
};

class SubMechanism {
public:
    SubMechanism() = default;
    SubMechanism(const SubMechanism&) = delete;
    SubMechanism& operator=(const SubMechanism&) = delete;
    virtual ~SubMechanism() = default;

    virtual Mech mech() const noexcept = 0;
    // gss_init_sec_context or gss_accept_sec_context with this input (empty
    // for an initiator's first call).
    virtual SubResult step(ByteView input) = 0;
    // GSS_C_*_FLAG of the established (or prot-ready) context.
    virtual OM_uint32 flags() const = 0;
    // NTLM asks for the mechListMIC when its AUTHENTICATE carried a MIC
    // (MS-SPNG 3.3.5.1).
    virtual bool wants_mech_list_mic() const = 0;
    // Throw GssError (verify: BAD_SIG family from the mechanism).
    virtual Bytes get_mic(ByteView message) = 0;
    virtual void verify_mic(ByteView message, ByteView mic) = 0;
    // MS-SPNG 3.3.5.1: NTLM resets its RC4 state after a mechListMIC is
    // made (outgoing) or checked (incoming).
    virtual void mech_list_mic_done(bool incoming) = 0;
    // When a failed first step of an initiator may fall back to the next
    // mechanism: why (for the trace), or nullptr if it may not.
    virtual const char* fallback_reason(const SubResult& failure) const = 0;
};

class SubMechanismFactory {
public:
    SubMechanismFactory() = default;
    SubMechanismFactory(const SubMechanismFactory&) = delete;
    SubMechanismFactory& operator=(const SubMechanismFactory&) = delete;
    virtual ~SubMechanismFactory() = default;
    // The mechanisms this side may use, in its order of preference, each
    // with credentials; for a left-out mechanism, why (traced).
    virtual std::vector<Mech> usable(std::vector<std::string>& left_out) = 0;
    virtual std::unique_ptr<SubMechanism> create(Mech mech) = 0;
};

// What a negotiator step returns to the GSS call: the major status
// (COMPLETE, CONTINUE_NEEDED or an error), the minor, and the SPNEGO token
// to send (present on errors too: a reject token, which may carry a
// KRB-ERROR).
struct NegoStep {
    OM_uint32 major = GSS_S_CONTINUE_NEEDED;
    OM_uint32 minor = 0;
    Bytes token;
    std::string detail;
};

class Negotiator final {
public:
    enum class Role { initiator, acceptor };

    Negotiator(Role role, SubMechanismFactory& factory);

    // One leg. Fails closed: after an error every further call is
    // spnego_unexpected_token.
    NegoStep step(ByteView input);

    bool complete() const noexcept { return m_state == State::done; }
    // After an error (the exchange cannot go on).
    bool failed() const noexcept { return m_state == State::failed; }
    // The chosen mechanism once one is chosen; the sub-mechanism once it exists.
    std::optional<Mech> chosen() const noexcept { return m_chosen; }
    SubMechanism* sub() const noexcept { return m_sub.get(); }
    // Hands the established sub-mechanism to the caller (after complete()).
    std::unique_ptr<SubMechanism> take_sub() noexcept { return std::move(m_sub); }

private:
    enum class State {
        start,        // nothing received (acceptor: maybe NegTokenInit2 sent)
        negotiating,  // a mechanism is chosen or proposed; tokens flow
        done,
        failed,
    };

    NegoStep initiator_first();
    NegoStep initiator_next(ByteView input);
    NegoStep acceptor_first(ByteView input);
    NegoStep acceptor_next(ByteView input);

    NegoStep acceptor_process(ByteView mech_token, const std::optional<Bytes>& mic_in,
                              const std::optional<Oid>& supported);
    // Runs the sub-mechanism and notes its completion (and whether it then
    // asks for the mechListMIC).
    SubResult run_sub(ByteView input, bool& completed);
    // RFC 4178 5 with MIT's and Windows' conventions: verifies the peer's
    // mechListMIC, makes ours when it is owed. Returns the MIC to send (if
    // any); throws GssError on a missing or bad MIC.
    std::optional<Bytes> exchange_mic(const std::optional<Bytes>& mic_in, bool sending_mech_token);
    bool mic_exchange_finished() const noexcept;
    // Whether the established mechanism can make the mechListMIC; when it
    // cannot and the exchange needs one (another mechanism than the
    // initiator's first), the error to end with.
    std::optional<NegoStep> unprotected_downgrade();
    NegoStep fail(OM_uint32 major, OM_uint32 minor, std::string detail, Bytes token = {});
    NegoStep acceptor_reject(OM_uint32 major, OM_uint32 minor, std::string detail, Bytes mech_token = {});
    void trace_leg(const char* direction, const std::string& description) const;
    void trace_sent(ByteView token) const;
    void trace_received(const NegTokenInit& init) const;
    void trace_received(const NegTokenResp& resp) const;

    Role m_role;
    SubMechanismFactory& m_factory;
    State m_state = State::start;

    std::vector<Mech> m_offered;       // initiator: what our mechTypes list
    Bytes m_mech_types_der;            // the MechTypeList the MICs cover
    std::optional<Mech> m_chosen;
    std::optional<Oid> m_chosen_oid;   // as the initiator named it (acceptor)
    std::unique_ptr<SubMechanism> m_sub;
    bool m_sub_complete = false;
    bool m_confirmed = false;          // initiator: the acceptor's first answer is in
    bool m_hints_sent = false;
    bool m_mic_required = false;
    bool m_downgraded = false;         // the mechanism is not the initiator's first choice
    bool m_mic_sent = false;
    bool m_mic_received = false;
};

}  // namespace gssneg::spnego
