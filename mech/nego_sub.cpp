// Negotiate's sub-mechanisms (Kerberos through the mechglue, NTLM in this
// module) and the factory that decides which of them this side can use.

#include "mech/guard.h"
#include "mech/nego.h"
#include "mech/oids.h"
#include "util/config.h"
#include "util/trace.h"
#include "util/utf16.h"

#include <arpa/inet.h>
#include <krb5/krb5.h>

#include <algorithm>
#include <cstring>

using namespace gssneg;
using namespace gssneg::mech;
using spnego::Mech;

namespace {

Bytes bytes_of(const gss_buffer_desc& b) {
    const auto* p = static_cast<const uint8_t*>(b.value);
    return b.length == 0 ? Bytes{} : Bytes(p, p + b.length);
}

// A step that found no credential to use.
spnego::SubResult no_cred(const std::string& why) {
    spnego::SubResult r;
    r.major = GSS_S_NO_CRED;
    r.minor = static_cast<OM_uint32>(Minor::spnego_no_usable_mech);
    r.detail = why;
    return r;
}

// The credential for one step: the element of the current call's
// credential. A first step needs one (why says what is missing); a later
// step passes GSS_C_NO_CREDENTIAL when the call's credential has no such
// element, as the mechanism's context holds the credential it started with.
gss_cred_id_t step_cred(CredSource* creds, Mech mech, bool first, std::string& why) {
    if (creds == nullptr) return GSS_C_NO_CREDENTIAL;
    const gss_cred_id_t c = creds->cred_for(mech, why);
    if (!first) why.clear();
    return c;
}

// What a sub-mechanism is asked for: the application's flags and, so that
// the mechListMIC can be made, GSS_C_INTEG_FLAG, unless the call's
// credential has GSS_KRB5_CRED_NO_CI_FLAGS_X (as MIT's SPNEGO).
OM_uint32 integ_request(const CallState& call) noexcept {
    return call.cred != nullptr && call.cred->no_ask_integ ? 0 : GSS_C_INTEG_FLAG;
}

// Releases a buffer this module's NTLM entry points allocated (malloc).
void free_ours(gss_buffer_desc& b) noexcept {
    std::free(b.value);
    b = {0, nullptr};
}

// ---- Kerberos ----

class Krb5Sub final : public MechSub {
public:
    Krb5Sub(bool initiator, CredSource* creds, gss_name_t target, OM_uint32 req_flags, const CallState& call,
            gss_ctx_id_t established)
        : m_table(*krb5::mechglue()),
          m_initiator(initiator),
          m_creds(creds),
          m_target(target),
          m_req_flags(req_flags),
          m_call(call) {
        *m_ctx.inout() = established;
        if (established != GSS_C_NO_CONTEXT) {
            OM_uint32 minor = 0;
            OM_uint32 flags = 0;
            if (m_table.inquire_context(&minor, established, nullptr, nullptr, nullptr, nullptr, &flags, nullptr,
                                        nullptr) == GSS_S_COMPLETE)
                m_flags = flags;
        }
    }

    Mech mech() const noexcept override { return Mech::kerberos; }
    gss_ctx_id_t handle() const noexcept override { return m_ctx.get(); }
    gss_ctx_id_t release() noexcept override { return m_ctx.release(); }

    spnego::SubResult step(ByteView input) override {
        OM_uint32 minor = 0;
        OM_uint32 flags = 0;
        OM_uint32 time_rec = 0;
        krb5::MechBuffer out;
        gss_buffer_desc in = buffer_of(input);
        std::string why;
        const gss_cred_id_t cred = step_cred(m_creds, Mech::kerberos, m_ctx.get() == GSS_C_NO_CONTEXT, why);
        if (!why.empty()) return no_cred(why);
        OM_uint32 major;
        if (m_initiator) {
            major = m_table.init_sec_context(&minor, cred, m_ctx.inout(), m_target, krb5::krb5_oid(),
                                             m_req_flags | integ_request(m_call), 0, m_call.bindings,
                                             input.empty() ? GSS_C_NO_BUFFER : &in, nullptr, out.get(), &flags,
                                             &time_rec);
        } else {
            major = m_table.accept_sec_context(&minor, m_ctx.inout(), cred, &in, m_call.bindings,
                                               m_src_name.out(), nullptr, out.get(), &flags, &time_rec,
                                               m_delegated.out());
        }
        spnego::SubResult r;
        r.major = major;
        r.minor = minor;
        r.token = bytes_of(out.desc());
        if (GSS_ERROR(major)) {
            r.detail = krb5::describe_status(major, minor);
        } else {
            m_flags = flags;
            m_time_rec = time_rec;
        }
        return r;
    }

    OM_uint32 flags() const override { return m_flags; }
    OM_uint32 time_rec() const noexcept override { return m_time_rec; }
    bool wants_mech_list_mic() const override { return false; }

    Bytes get_mic(ByteView message) override {
        OM_uint32 minor = 0;
        gss_buffer_desc in = buffer_of(message);
        krb5::MechBuffer mic;
        const OM_uint32 major = m_table.get_mic(&minor, m_ctx.get(), GSS_C_QOP_DEFAULT, &in, mic.get());
        if (GSS_ERROR(major)) throw GssError(major, minor, "Kerberos mechListMIC: " + krb5::describe_status(major, minor));
        return bytes_of(mic.desc());
    }

    void verify_mic(ByteView message, ByteView mic) override {
        OM_uint32 minor = 0;
        gss_buffer_desc in = buffer_of(message);
        gss_buffer_desc token = buffer_of(mic);
        const OM_uint32 major = m_table.verify_mic(&minor, m_ctx.get(), &in, &token, nullptr);
        if (GSS_ERROR(major))
            throw GssError(GSS_S_BAD_MIC, Minor::spnego_mech_list_mic_mismatch, krb5::describe_status(major, minor));
    }

    void mech_list_mic_done(bool) override {}

    // Failures of a first Kerberos step after which Windows, and this
    // module, try NTLM instead. Each says Kerberos cannot serve this target
    // from this client now; none is a verdict on the user's password.
    // Anything else (a KDC that refused the user, a corrupt ticket) ends
    // the exchange. The mechglue hands krb5 minor codes through unchanged
    // unless two mechanisms collide on a value (util_errmap.c).
    const char* fallback_reason(const spnego::SubResult& f) const override {
        if (f.major == GSS_S_NO_CRED || f.major == GSS_S_CREDENTIALS_EXPIRED) return "no usable Kerberos credentials";
        if (f.major == GSS_S_BAD_NAME || f.major == GSS_S_BAD_NAMETYPE) return "the target is not a Kerberos name";
        switch (static_cast<krb5_error_code>(f.minor)) {
        case KRB5_KDC_UNREACH: return "no KDC reachable";
        case KRB5_REALM_UNKNOWN:
        case KRB5_REALM_CANT_RESOLVE: return "the realm is unknown";
        case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: return "the KDC does not know the service principal";
        case KRB5KRB_AP_ERR_SKEW: return "clock skew with the KDC";
        case KRB5_FCC_NOFILE:
        case KRB5_CC_NOTFOUND:
        case KRB5_CC_NOSUPP:
        case KRB5_NO_TKT_SUPPLIED: return "no ticket";
        case KRB5KRB_AP_ERR_TKT_EXPIRED:
        case KRB5KDC_ERR_TGT_REVOKED: return "the ticket has expired";
        case KRB5KDC_ERR_ETYPE_NOSUPP: return "no encryption type in common with the KDC";
        case KRB5_KT_NOTFOUND:
        case KRB5_KT_END: return "no key for the client in its keytab";
        default: return nullptr;
        }
    }

    std::unique_ptr<NegoNameHandle> take_src_name() override {
        if (!m_src_name) return nullptr;
        auto n = std::make_unique<NegoNameHandle>();
        n->krb5 = std::move(m_src_name);
        return n;
    }

    gss_cred_id_t take_delegated() noexcept override { return m_delegated.release(); }

private:
    const krb5::MechglueTable& m_table;
    bool m_initiator;
    CredSource* m_creds;
    gss_name_t m_target;
    OM_uint32 m_req_flags;
    const CallState& m_call;
    krb5::MechContext m_ctx;
    krb5::MechName m_src_name;
    krb5::MechCred m_delegated;
    OM_uint32 m_flags = 0;
    OM_uint32 m_time_rec = 0;
};

// ---- NTLM ----

class NtlmSub final : public MechSub {
public:
    NtlmSub(bool initiator, CredSource* creds, gss_name_t target, OM_uint32 req_flags, const CallState& call,
            gss_ctx_id_t established)
        : m_initiator(initiator),
          m_creds(creds),
          m_target(target),
          m_req_flags(req_flags),
          m_call(call),
          m_ctx(established) {
        if (established != GSS_C_NO_CONTEXT) m_flags = context_of(established)->ret_flags;
    }
    ~NtlmSub() override {
        OM_uint32 minor = 0;
        if (m_ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &m_ctx, GSS_C_NO_BUFFER);
        if (m_src_name != GSS_C_NO_NAME) gss_release_name(&minor, &m_src_name);
    }

    Mech mech() const noexcept override { return Mech::ntlm; }
    gss_ctx_id_t handle() const noexcept override { return m_ctx; }
    gss_ctx_id_t release() noexcept override {
        gss_ctx_id_t c = m_ctx;
        m_ctx = GSS_C_NO_CONTEXT;
        return c;
    }

    spnego::SubResult step(ByteView input) override {
        OM_uint32 minor = 0;
        OM_uint32 flags = 0;
        OM_uint32 time_rec = 0;
        gss_buffer_desc out{0, nullptr};
        gss_buffer_desc in = buffer_of(input);
        std::string why;
        const gss_cred_id_t cred = step_cred(m_creds, Mech::ntlm, m_ctx == GSS_C_NO_CONTEXT, why);
        if (!why.empty()) return no_cred(why);
        OM_uint32 major;
        if (m_initiator) {
            major = gss_init_sec_context(&minor, cred, &m_ctx, m_target, &oid::ntlm, m_req_flags | integ_request(m_call),
                                         0, m_call.bindings, input.empty() ? GSS_C_NO_BUFFER : &in, nullptr, &out,
                                         &flags, &time_rec);
        } else {
            major = gss_accept_sec_context(&minor, &m_ctx, cred, &in, m_call.bindings, &m_src_name, nullptr, &out,
                                           &flags, &time_rec, nullptr);
        }
        spnego::SubResult r;
        r.major = major;
        r.minor = minor;
        r.token = bytes_of(out);
        free_ours(out);
        if (GSS_ERROR(major)) {
            const std::string detail = recall_detail(minor);
            const char* text = minor_text(minor);
            r.detail = !detail.empty() ? detail : text != nullptr ? text : "NTLM failed";
        } else {
            m_flags = flags;
            m_time_rec = time_rec;
        }
        return r;
    }

    OM_uint32 flags() const override { return m_flags; }
    OM_uint32 time_rec() const noexcept override { return m_time_rec; }

    bool wants_mech_list_mic() const override {
        // MS-SPNG 3.3.5.1 via MIT's private inquiry: NTLM asks for the
        // mechListMIC when its AUTHENTICATE carried a MIC.
        return m_ctx != GSS_C_NO_CONTEXT && context_of(m_ctx)->session.mic_present;
    }

    Bytes get_mic(ByteView message) override {
        OM_uint32 minor = 0;
        gss_buffer_desc in = buffer_of(message);
        gss_buffer_desc mic{0, nullptr};
        const OM_uint32 major = gss_get_mic(&minor, m_ctx, GSS_C_QOP_DEFAULT, &in, &mic);
        if (GSS_ERROR(major)) throw GssError(major, minor, "NTLM mechListMIC");
        Bytes out = bytes_of(mic);
        free_ours(mic);
        return out;
    }

    void verify_mic(ByteView message, ByteView mic) override {
        OM_uint32 minor = 0;
        gss_buffer_desc in = buffer_of(message);
        gss_buffer_desc token = buffer_of(mic);
        if (GSS_ERROR(gss_verify_mic(&minor, m_ctx, &in, &token, nullptr)))
            throw GssError(GSS_S_BAD_MIC, Minor::spnego_mech_list_mic_mismatch);
    }

    void mech_list_mic_done(bool incoming) override {
        // MS-SPNG 3.3.5.1: the RC4 state of the direction that made or
        // checked the mechListMIC starts over (the value MIT's SPNEGO passes).
        OM_uint32 minor = 0;
        OM_uint32 verify = incoming ? 1 : 0;
        gss_buffer_desc value{sizeof(verify), &verify};
        const OM_uint32 major = gss_set_sec_context_option(&minor, &m_ctx, &oid::ntlm_reset_crypto, &value);
        if (GSS_ERROR(major)) throw GssError(major, minor, "NTLM RC4 reset after the mechListMIC");
    }

    const char* fallback_reason(const spnego::SubResult&) const override { return nullptr; }

    std::unique_ptr<NegoNameHandle> take_src_name() override {
        if (m_src_name == GSS_C_NO_NAME) return nullptr;
        auto n = std::make_unique<NegoNameHandle>();
        n->ntlm = name_of(m_src_name)->name;
        OM_uint32 minor = 0;
        gss_release_name(&minor, &m_src_name);
        return n;
    }

    gss_cred_id_t take_delegated() noexcept override { return GSS_C_NO_CREDENTIAL; }

private:
    bool m_initiator;
    CredSource* m_creds;
    gss_name_t m_target;
    OM_uint32 m_req_flags;
    const CallState& m_call;
    gss_ctx_id_t m_ctx = GSS_C_NO_CONTEXT;
    gss_name_t m_src_name = GSS_C_NO_NAME;
    OM_uint32 m_flags = 0;
    OM_uint32 m_time_rec = 0;
};

// ntlm_targets: "service@host", either part "*", compared without case.
bool ntlm_target_allowed(const ntlm::Name& target, const std::vector<std::string>& allowed) {
    if (target.kind() != ntlm::NameKind::hostbased_service) return false;
    for (const std::string& entry : allowed) {
        const size_t at = entry.find('@');
        const std::string_view service = std::string_view(entry).substr(0, at);
        const std::string_view host = std::string_view(entry).substr(at + 1);
        if ((service == "*" || iequals_ascii(service, target.service())) &&
            (host == "*" || iequals_ascii(host, target.host())))
            return true;
    }
    return false;
}

// "HTTP@127.0.0.1", "host/[::1]@REALM": whether the host part is an
// address literal. Windows uses NTLM for such targets: no SPN names an
// address.
bool host_is_address(const NegoNameHandle& target) {
    if (!target.has_external) return false;
    std::string text(target.external.begin(), target.external.end());
    const size_t at = text.find('@');
    std::string host;
    if (at != std::string::npos && text.find('/') == std::string::npos) {
        host = text.substr(at + 1);
    } else if (const size_t slash = text.find('/'); slash != std::string::npos) {
        host = text.substr(slash + 1, at == std::string::npos ? std::string::npos : at - slash - 1);
    } else {
        return false;
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    in6_addr addr{};
    return ::inet_pton(AF_INET, host.c_str(), &addr) == 1 || ::inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

std::string display_of(const NegoNameHandle& n) {
    if (n.has_external) return std::string(n.external.begin(), n.external.end());
    if (n.ntlm) return n.ntlm->display();
    return "(name)";
}

}  // namespace

// ---- names ----

OidCopy::OidCopy(gss_const_OID oid) {
    if (oid == GSS_C_NO_OID) return;
    const auto* p = static_cast<const uint8_t*>(oid->elements);
    m_bytes.assign(p, p + oid->length);
    m_present = true;
}

gss_OID OidCopy::get() noexcept {
    if (!m_present) return GSS_C_NO_OID;
    m_desc = {static_cast<OM_uint32>(m_bytes.size()), m_bytes.data()};
    return &m_desc;
}

std::unique_ptr<NegoNameHandle> mech::copy_name(const NegoNameHandle& n) {
    auto c = std::make_unique<NegoNameHandle>();
    c->external = n.external;
    c->type = n.type;
    c->has_external = n.has_external;
    c->ntlm = n.ntlm;
    if (n.krb5) {
        const krb5::MechglueTable* t = krb5::mechglue();
        OM_uint32 minor = 0;
        if (t == nullptr || GSS_ERROR(t->duplicate_name(&minor, n.krb5.get(), c->krb5.out())))
            throw GssError(GSS_S_FAILURE, Minor::internal_error, "cannot copy a Kerberos name");
    }
    return c;
}

gss_name_t mech::krb5_name_of(NegoNameHandle& n, std::string& why) {
    if (n.krb5) return n.krb5.get();
    const krb5::MechglueTable* t = krb5::mechglue();
    if (t == nullptr) {
        why = "the mechglue is not loaded";
        return GSS_C_NO_NAME;
    }
    if (!n.has_external) {
        why = "the name has no Kerberos form";
        return GSS_C_NO_NAME;
    }
    OM_uint32 minor = 0;
    gss_buffer_desc buf = buffer_of(n.external);
    const OM_uint32 major = t->import_name(&minor, &buf, n.type.get(), n.krb5.out());
    if (GSS_ERROR(major)) {
        why = krb5::describe_status(major, minor);
        return GSS_C_NO_NAME;
    }
    return n.krb5.get();
}

std::unique_ptr<NameHandle> mech::ntlm_name_of(const NegoNameHandle& n) {
    if (n.ntlm) return std::make_unique<NameHandle>(*n.ntlm);
    if (!n.has_external) return nullptr;
    OM_uint32 minor = 0;
    gss_buffer_desc buf = buffer_of(n.external);
    gss_name_t out = GSS_C_NO_NAME;
    // This module's own NTLM import (see nego.h).
    if (GSS_ERROR(gss_import_name(&minor, &buf, const_cast<OidCopy&>(n.type).get(), &out))) return nullptr;
    return std::unique_ptr<NameHandle>(name_of(out));
}

std::unique_ptr<MechSub> mech::make_krb5_sub(bool initiator, CredSource* creds, gss_name_t target,
                                             OM_uint32 req_flags, const CallState& call, gss_ctx_id_t established) {
    if (krb5::mechglue() == nullptr) throw GssError(GSS_S_UNAVAILABLE, Minor::kerberos_unavailable);
    return std::make_unique<Krb5Sub>(initiator, creds, target, req_flags, call, established);
}

std::unique_ptr<MechSub> mech::make_ntlm_sub(bool initiator, CredSource* creds, gss_name_t target,
                                             OM_uint32 req_flags, const CallState& call, gss_ctx_id_t established) {
    return std::make_unique<NtlmSub>(initiator, creds, target, req_flags, call, established);
}

// ---- the factory ----

NegoFactory::NegoFactory(bool initiator, const NegoNameHandle* target, OM_uint32 req_flags, const CallState& call)
    : m_initiator(initiator), m_req_flags(req_flags), m_call(call) {
    // The mechglue releases the target after each call: keep a copy.
    if (target != nullptr) m_target = copy_name(*target);
}

NegoFactory::~NegoFactory() {
    OM_uint32 minor = 0;
    if (m_ntlm_target != GSS_C_NO_NAME) gss_release_name(&minor, &m_ntlm_target);
}

gss_cred_id_t NegoFactory::cred_for(Mech mech, std::string& why) {
    // MIT's SPNEGO takes the credential of each call too: the one of the
    // first call may be gone by the next.
    if (const NegoCredHandle* c = m_call.cred) {
        if (mech == Mech::kerberos) {
            if (c->krb5) return c->krb5.get();
            why = "Kerberos: the credential passed to this call has none" +
                  (c->krb5_missing.empty() ? std::string() : " (" + c->krb5_missing + ")");
        } else {
            if (c->ntlm) return reinterpret_cast<gss_cred_id_t>(c->ntlm.get());
            why = "NTLM: the credential passed to this call has none" +
                  (c->ntlm_missing.empty() ? std::string() : " (" + c->ntlm_missing + ")");
        }
        return GSS_C_NO_CREDENTIAL;
    }
    std::string reason;
    if (mech == Mech::kerberos) {
        if (acquire_default_krb5(reason)) return m_default_krb5.get();
        why = "Kerberos: " + reason;
    } else {
        if (acquire_default_ntlm(reason)) return reinterpret_cast<gss_cred_id_t>(m_default_ntlm.get());
        why = "NTLM: " + reason;
    }
    return GSS_C_NO_CREDENTIAL;
}

bool NegoFactory::acquire_default_krb5(std::string& why) {
    if (m_default_krb5) return true;
    const krb5::MechglueTable* t = krb5::mechglue();
    if (t == nullptr) {
        why = "the mechglue is not loaded";
        return false;
    }
    OM_uint32 minor = 0;
    const OM_uint32 major = t->acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, krb5::krb5_oid_set(),
                                            m_initiator ? GSS_C_INITIATE : GSS_C_ACCEPT, m_default_krb5.out(),
                                            nullptr, nullptr);
    if (GSS_ERROR(major)) {
        why = "no credentials: " + krb5::describe_status(major, minor);
        return false;
    }
    return true;
}

bool NegoFactory::acquire_default_ntlm(std::string& why) {
    if (m_default_ntlm) return true;
    OM_uint32 minor = 0;
    gss_cred_id_t c = GSS_C_NO_CREDENTIAL;
    const OM_uint32 major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                             m_initiator ? GSS_C_INITIATE : GSS_C_ACCEPT, &c, nullptr, nullptr);
    if (GSS_ERROR(major)) {
        const std::string detail = recall_detail(minor);
        const char* text = minor_text(minor);
        why = "no credentials: " + (!detail.empty() ? detail : std::string(text != nullptr ? text : "unknown"));
        return false;
    }
    m_default_ntlm.reset(cred_of(c));
    return true;
}

bool NegoFactory::kerberos_usable(std::string& why) {
    const krb5::MechglueTable* t = krb5::mechglue();
    if (t == nullptr) {
        why = "the mechglue is not loaded";
        return false;
    }
    if (m_initiator) {
        if (!m_target) {
            why = "no target name";
            return false;
        }
        if (host_is_address(*m_target)) {
            why = "the target " + display_of(*m_target) + " is an address, which no service principal names";
            return false;
        }
        if (krb5_name_of(*m_target, why) == GSS_C_NO_NAME) return false;
    }
    if (const NegoCredHandle* c = m_call.cred) {
        if (!c->krb5) {
            why = "no credentials: " + (c->krb5_missing.empty() ? "the credential has none" : c->krb5_missing);
            return false;
        }
    } else if (!acquire_default_krb5(why)) {
        return false;
    }
    // Last, as it costs a krb5 library context: only when Kerberos is
    // otherwise usable. Should krb5 refuse, the imported name goes to the
    // first init call as it is, which then fails (or falls back to NTLM)
    // with krb5's own status, as without this step.
    if (m_initiator && !m_krb5_target) {
        OM_uint32 minor = 0;
        if (GSS_ERROR(t->canonicalize_name(&minor, m_target->krb5.get(), krb5::krb5_oid(), m_krb5_target.out())))
            m_krb5_target.reset();
    }
    return true;
}

bool NegoFactory::ntlm_usable(std::string& why) {
    if (const NegoCredHandle* c = m_call.cred) {
        if (!c->ntlm) {
            why = "no credentials: " + (c->ntlm_missing.empty() ? "the credential has none" : c->ntlm_missing);
            return false;
        }
    } else if (!acquire_default_ntlm(why)) {
        return false;
    }
    const auto& allowed = current_config()->ntlm_targets;
    if (m_initiator && !allowed.empty()) {
        const std::unique_ptr<NameHandle> n = m_target ? ntlm_name_of(*m_target) : nullptr;
        if (!n || !ntlm_target_allowed(n->name, allowed)) {
            why = "the target " + (n ? n->name.display() : std::string("(none)")) + " is not in ntlm_targets";
            return false;
        }
    }
    if (m_initiator && m_target && m_ntlm_target == GSS_C_NO_NAME) {
        // A target NTLM cannot parse (a Kerberos principal) is simply not
        // sent: MsvAvTargetName is optional.
        if (auto n = ntlm_name_of(*m_target)) m_ntlm_target = reinterpret_cast<gss_name_t>(n.release());
    }
    return true;
}

std::vector<Mech> NegoFactory::usable(std::vector<std::string>& left_out) {
    std::vector<Mech> out;
    const auto config = current_config();
    for (const Config::NegoMech configured : config->negotiate_mechs) {
        const Mech m = configured == Config::NegoMech::kerberos ? Mech::kerberos : Mech::ntlm;
        const NegoCredHandle* cred = m_call.cred;
        if (cred != nullptr && cred->neg_mechs &&
            std::find(cred->neg_mechs->begin(), cred->neg_mechs->end(), m) == cred->neg_mechs->end()) {
            left_out.push_back(std::string(spnego::mech_name(m)) + ": not in the credential's gss_set_neg_mechs list");
            continue;
        }
        std::string why;
        if (m == Mech::kerberos ? kerberos_usable(why) : ntlm_usable(why))
            out.push_back(m);
        else
            left_out.push_back(std::string(spnego::mech_name(m)) + ": " + why);
    }
    return out;
}

std::unique_ptr<spnego::SubMechanism> NegoFactory::create(Mech mech) {
    if (mech == Mech::kerberos) {
        // usable() imported the target and, unless krb5 refused, made it a
        // mechanism name (the negotiator only creates what usable() listed).
        gss_name_t target = GSS_C_NO_NAME;
        if (m_initiator) {
            if (m_krb5_target)
                target = m_krb5_target.get();
            else if (m_target && m_target->krb5)
                target = m_target->krb5.get();
            else
                throw GssError(GSS_S_FAILURE, Minor::internal_error, "Kerberos chosen without its target name");
        }
        return make_krb5_sub(m_initiator, this, target, m_req_flags, m_call);
    }
    return make_ntlm_sub(m_initiator, this, m_ntlm_target, m_req_flags, m_call);
}
