// Negotiate: the objects behind the interposer's gssi_* entry points, and
// the two sub-mechanisms the negotiator drives.
//
// Kerberos is MIT's krb5 mechanism, reached through the mechglue table
// (krb5/mechglue.h): its names, credentials and contexts are mechglue
// handles. NTLM is this module's own mechanism, called through its gss_*
// entry points: inside the module those names bind to the module's own
// definitions (-Bsymbolic), never to the mechglue's.
#pragma once

#include "krb5/mechglue.h"
#include "mech/handles.h"
#include "spnego/negotiator.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gssneg::mech {

// An OID owned by value (a name type from the application).
class OidCopy final {
public:
    OidCopy() = default;
    explicit OidCopy(gss_const_OID oid);
    gss_OID get() noexcept;  // GSS_C_NO_OID when empty
    bool empty() const noexcept { return !m_present; }

private:
    bool m_present = false;
    Bytes m_bytes;
    gss_OID_desc m_desc{0, nullptr};
};

struct NegoNameHandle final : Checked<0x4e474e4d, Minor::bad_name_handle, GSS_S_BAD_NAME> {
    // The name as the application gave it, imported into each mechanism
    // when one needs it.
    Bytes external;
    OidCopy type;
    bool has_external = false;
    // A mechglue name from the krb5 mechanism (an acceptor's src_name, or
    // the import of external), and an NTLM name.
    krb5::MechName krb5;
    std::optional<ntlm::Name> ntlm;
};

struct NegoCredHandle final : Checked<0x4e474352, Minor::bad_cred_handle, GSS_S_NO_CRED> {
    gss_cred_usage_t usage = GSS_C_BOTH;
    krb5::MechCred krb5;
    std::string krb5_missing;  // why there is no Kerberos credential
    std::unique_ptr<CredHandle> ntlm;
    std::string ntlm_missing;
    // gss_set_neg_mechs: the mechanisms this credential may negotiate.
    std::optional<std::vector<spnego::Mech>> neg_mechs;
    // GSS_KRB5_CRED_NO_CI_FLAGS_X was set: Negotiate does not add
    // GSS_C_INTEG_FLAG to what the application asked of a mechanism (as
    // MIT's SPNEGO), so that a context can have no integrity at all.
    bool no_ask_integ = false;
};

// What one init/accept call hands down to the sub-mechanisms.
struct CallState {
    gss_channel_bindings_t bindings = GSS_C_NO_CHANNEL_BINDINGS;
    // The credential the application passed to this call, or null for
    // GSS_C_NO_CREDENTIAL. Each call of one exchange may pass another
    // (mod_auth_gssapi acquires a credential for every HTTP request and
    // releases it after the call), so nothing keeps it past the call.
    NegoCredHandle* cred = nullptr;
};

// Where a sub-mechanism finds, at each step, the credential of the
// current call for its mechanism.
class CredSource {
public:
    virtual ~CredSource() = default;
    // GSS_C_NO_CREDENTIAL, with why set, when there is none to use.
    virtual gss_cred_id_t cred_for(spnego::Mech mech, std::string& why) = 0;
};

class MechSub : public spnego::SubMechanism {
public:
    // The sub-mechanism's context handle: a mechglue context (Kerberos) or
    // one of this module's NTLM contexts.
    virtual gss_ctx_id_t handle() const noexcept = 0;
    bool via_mechglue() const noexcept { return mech() == spnego::Mech::kerberos; }
    // time_rec of the mechanism's last successful init or accept call.
    virtual OM_uint32 time_rec() const noexcept = 0;
    // After an acceptor completes: the initiator's name and a delegated
    // credential, handed over once.
    virtual std::unique_ptr<NegoNameHandle> take_src_name() = 0;
    virtual gss_cred_id_t take_delegated() noexcept = 0;
    // An imported or exported context: the handle leaves or arrives.
    virtual gss_ctx_id_t release() noexcept = 0;
};

// creds is null for a context that arrives established (an import).
std::unique_ptr<MechSub> make_krb5_sub(bool initiator, CredSource* creds, gss_name_t target, OM_uint32 req_flags,
                                       const CallState& call, gss_ctx_id_t established = GSS_C_NO_CONTEXT);
std::unique_ptr<MechSub> make_ntlm_sub(bool initiator, CredSource* creds, gss_name_t target, OM_uint32 req_flags,
                                       const CallState& call, gss_ctx_id_t established = GSS_C_NO_CONTEXT);

// Chooses what this side can offer or accept, and builds sub-mechanisms
// with the right credentials and target.
class NegoFactory final : public spnego::SubMechanismFactory, public CredSource {
public:
    NegoFactory(bool initiator, const NegoNameHandle* target, OM_uint32 req_flags, const CallState& call);
    ~NegoFactory() override;

    std::vector<spnego::Mech> usable(std::vector<std::string>& left_out) override;
    std::unique_ptr<spnego::SubMechanism> create(spnego::Mech mech) override;
    // The element of the current call's credential, or the default
    // credential this factory acquired when the call passed none.
    gss_cred_id_t cred_for(spnego::Mech mech, std::string& why) override;

    // The target as the application named it (for gss_inquire_context).
    const NegoNameHandle* target() const noexcept { return m_target.get(); }

private:
    bool kerberos_usable(std::string& why);
    bool ntlm_usable(std::string& why);
    bool acquire_default_krb5(std::string& why);
    bool acquire_default_ntlm(std::string& why);

    bool m_initiator;
    std::unique_ptr<NegoNameHandle> m_target;
    OM_uint32 m_req_flags;
    const CallState& m_call;
    krb5::MechCred m_default_krb5;
    std::unique_ptr<CredHandle> m_default_ntlm;
    gss_name_t m_ntlm_target = GSS_C_NO_NAME;  // owned NameHandle
    // The initiator's target as a krb5 mechanism name. The mechglue imports
    // a name that is not one into krb5 on every gss_init_sec_context and
    // releases it after, each time a krb5 library context of its own: once
    // per context is enough. Empty if krb5 refused to canonicalize.
    krb5::MechName m_krb5_target;
};

struct NegoContextHandle final : Checked<0x4e474358, Minor::bad_context_handle, GSS_S_NO_CONTEXT> {
    bool initiator = true;
    CallState call;
    std::unique_ptr<NegoFactory> factory;
    std::unique_ptr<spnego::Negotiator> negotiator;
    // Set when the exchange completes (or a context is imported): every
    // per-message call goes here.
    std::unique_ptr<MechSub> established;
    OM_uint32 ret_flags = 0;
};

inline NegoNameHandle* nego_name_of(gss_name_t n) { return checked<NegoNameHandle>(n); }
inline NegoCredHandle* nego_cred_of(gss_cred_id_t c) { return checked<NegoCredHandle>(c); }
inline NegoContextHandle* nego_context_of(gss_ctx_id_t c) { return checked<NegoContextHandle>(c); }

// A copy of a name for the application (names the mechglue will release
// through gssi_release_name).
std::unique_ptr<NegoNameHandle> copy_name(const NegoNameHandle& n);
// A mechglue name of the krb5 mechanism for this name (imported on first
// use), or GSS_C_NO_NAME when it cannot be one.
gss_name_t krb5_name_of(NegoNameHandle& n, std::string& why);
// This module's NTLM name for it, as an owned NameHandle, or nullptr.
std::unique_ptr<NameHandle> ntlm_name_of(const NegoNameHandle& n);

}  // namespace gssneg::mech
