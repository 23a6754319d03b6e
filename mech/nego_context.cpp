// Negotiate's security contexts: the interposer's init/accept, and every
// call on an established context, which goes straight to the chosen
// mechanism (STYLE.md 7).

#include "mech/guard.h"
#include "mech/nego.h"
#include "mech/oids.h"
#include "util/trace.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

gss_OID mech_oid_of(const MechSub& sub) {
    return sub.via_mechglue() ? &oid::krb5 : &oid::ntlm;
}

// The chosen mechanism's context, for a call that needs an established one.
// Messages are protected only once the exchange is complete, its
// mechListMIC verified (MIT's SPNEGO lets them through as soon as the
// mechanism is done).
MechSub& established_sub(gss_ctx_id_t handle) {
    NegoContextHandle* ctx = nego_context_of(handle);
    if (!ctx->established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
    return *ctx->established;
}

const krb5::MechglueTable& table() {
    const krb5::MechglueTable* t = krb5::mechglue();
    if (t == nullptr) throw GssError(GSS_S_UNAVAILABLE, Minor::kerberos_unavailable);
    return *t;
}

// Calls the chosen mechanism: ours(handle) for NTLM (this module's entry
// points), theirs(table, handle) for Kerberos through the mechglue.
template <typename Ours, typename Theirs>
OM_uint32 forward(gss_ctx_id_t handle, Ours&& ours, Theirs&& theirs) {
    MechSub& sub = established_sub(handle);
    if (sub.via_mechglue()) return theirs(table(), sub.handle());
    return ours(sub.handle());
}

// The sub-mechanism context that answers an inquiry (gss_inquire_context,
// gss_context_time, gss_wrap_size_limit, gss_inquire_sec_context_by_oid):
// the established one, or, while the exchange goes on, the chosen
// mechanism's context as far as it has got, as with MIT's SPNEGO; nullptr
// while there is none. A context whose exchange failed answers nothing:
// MIT's SPNEGO deletes it, and the mechglue then says GSS_S_NO_CONTEXT.
const MechSub* inquired_sub(const NegoContextHandle& ctx) {
    if (ctx.established) return ctx.established.get();
    if (ctx.negotiator->failed()) throw GssError(GSS_S_NO_CONTEXT, Minor::context_failed);
    const auto* sub = static_cast<const MechSub*>(ctx.negotiator->sub());
    return sub != nullptr && sub->handle() != GSS_C_NO_CONTEXT ? sub : nullptr;
}

// Calls the inquired sub-mechanism context; without one, fails with
// `without` (what MIT's SPNEGO answers then).
template <typename Ours, typename Theirs>
OM_uint32 forward_inquiry(gss_ctx_id_t handle, OM_uint32 without, Ours&& ours, Theirs&& theirs) {
    const MechSub* sub = inquired_sub(*nego_context_of(handle));
    if (sub == nullptr) throw GssError(without, Minor::context_incomplete);
    if (sub->via_mechglue()) return theirs(table(), sub->handle());
    return ours(sub->handle());
}

// gss_inquire_context of a context still negotiating, as MIT's SPNEGO
// answers it: the flags of the chosen mechanism's context less
// GSS_C_PROT_READY_FLAG (Negotiate protects no message before the exchange
// completes) and GSS_C_TRANS_FLAG (a partial Negotiate context is not
// exported).
constexpr OM_uint32 partial_context_drops = GSS_C_PROT_READY_FLAG | GSS_C_TRANS_FLAG;

// ret_flags of gss_init_sec_context and gss_accept_sec_context: the chosen
// mechanism's flags from its last call, less GSS_C_PROT_READY_FLAG, which
// MIT's SPNEGO drops at every step (the last included): per-message calls
// wait for the mechListMIC.
OM_uint32 reported_flags(OM_uint32 mech_flags) {
    return mech_flags & ~OM_uint32{GSS_C_PROT_READY_FLAG};
}

// ret_flags and time_rec of a call that continues: what the chosen
// mechanism's last call returned, as MIT's SPNEGO passes them on (a
// mechanism that is done reports its lifetime while SPNEGO still waits).
void report_continuing(const NegoContextHandle& ctx, OM_uint32* ret_flags, OM_uint32* time_rec) {
    const auto* sub = static_cast<const MechSub*>(ctx.negotiator->sub());
    if (sub == nullptr || sub->handle() == GSS_C_NO_CONTEXT) return;
    if (ret_flags != nullptr) *ret_flags = reported_flags(sub->flags());
    if (time_rec != nullptr) *time_rec = sub->time_rec();
}

// Hands a sub-mechanism's failure to the caller: its minor code, and a
// detail for gss_display_status when the code is this module's (the
// negotiator has traced it).
// A detail of the negotiator's own ("the acceptor sent reject") follows
// the minor code's sentence; one from a sub-mechanism holds it already.
OM_uint32 report(OM_uint32* minor_status, const spnego::NegoStep& s) {
    if (minor_status != nullptr) *minor_status = s.minor;
    if (is_our_minor(s.minor) && !s.detail.empty()) {
        const std::string_view text = minor_text(s.minor);
        if (s.detail.find(text) == std::string::npos)
            remember_detail(s.minor, std::string(text) + ": " + s.detail);
        else
            remember_detail(s.minor, s.detail);
    }
    return s.major;
}

// The application's credential, for the sub-mechanisms during one call
// only: the application may release it after the call.
class CallCred final {
public:
    CallCred(CallState& call, gss_cred_id_t handle) : m_call(call) {
        m_call.cred = handle == GSS_C_NO_CREDENTIAL ? nullptr : nego_cred_of(handle);
    }
    ~CallCred() { m_call.cred = nullptr; }
    CallCred(const CallCred&) = delete;
    CallCred& operator=(const CallCred&) = delete;

private:
    CallState& m_call;
};

void finish(NegoContextHandle& ctx, OM_uint32* ret_flags, OM_uint32* time_rec, gss_OID* actual_mech) {
    std::unique_ptr<spnego::SubMechanism> sub = ctx.negotiator->take_sub();
    ctx.established.reset(static_cast<MechSub*>(sub.release()));
    ctx.ret_flags = ctx.established->flags();
    if (ret_flags != nullptr) *ret_flags = reported_flags(ctx.ret_flags);
    if (actual_mech != nullptr) *actual_mech = mech_oid_of(*ctx.established);
    if (time_rec != nullptr) {
        OM_uint32 minor = 0;
        OM_uint32 t = 0;
        const MechSub& s = *ctx.established;
        const OM_uint32 major =
            s.via_mechglue() ? table().context_time(&minor, s.handle(), &t) : gss_context_time(&minor, s.handle(), &t);
        *time_rec = GSS_ERROR(major) ? 0 : t;
    }
    if (trace_enabled())
        trace("negotiate", std::string(ctx.initiator ? "initiator" : "acceptor") + " established over " +
                               spnego::mech_name(ctx.established->mech()));
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_init_sec_context(OM_uint32* minor_status, gss_cred_id_t claimant_cred_handle,
                                              gss_ctx_id_t* context_handle, gss_name_t target_name, gss_OID,
                                              OM_uint32 req_flags, OM_uint32,
                                              gss_channel_bindings_t input_chan_bindings, gss_buffer_t input_token,
                                              gss_OID* actual_mech_type, gss_buffer_t output_token,
                                              OM_uint32* ret_flags, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_token);
        if (actual_mech_type != nullptr) *actual_mech_type = &oid::spnego;
        if (ret_flags != nullptr) *ret_flags = 0;
        if (time_rec != nullptr) *time_rec = 0;

        std::unique_ptr<NegoContextHandle> fresh;
        NegoContextHandle* ctx;
        if (*context_handle == GSS_C_NO_CONTEXT) {
            fresh = std::make_unique<NegoContextHandle>();
            fresh->initiator = true;
            const NegoNameHandle* target = target_name == GSS_C_NO_NAME ? nullptr : nego_name_of(target_name);
            fresh->factory = std::make_unique<NegoFactory>(true, target, req_flags, fresh->call);
            fresh->negotiator =
                std::make_unique<spnego::Negotiator>(spnego::Negotiator::Role::initiator, *fresh->factory);
            ctx = fresh.get();
        } else {
            ctx = nego_context_of(*context_handle);
            if (!ctx->initiator) throw GssError(GSS_S_NO_CONTEXT, Minor::bad_context_handle);
            // An imported context has no negotiator: it came complete.
            if (ctx->established) throw GssError(GSS_S_FAILURE, Minor::context_already_established);
        }
        ctx->call.bindings = input_chan_bindings;
        const CallCred call_cred(ctx->call, claimant_cred_handle);
        const spnego::NegoStep s = ctx->negotiator->step(view_of(input_token));
        // A reject token goes to the peer even when the call fails.
        set_buffer(output_token, ByteView(s.token));
        if (GSS_ERROR(s.major)) return report(minor_status, s);
        if (fresh) *context_handle = reinterpret_cast<gss_ctx_id_t>(fresh.release());
        if (s.major == GSS_S_COMPLETE) finish(*ctx, ret_flags, time_rec, actual_mech_type);
        else report_continuing(*ctx, ret_flags, time_rec);
        return s.major;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_accept_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                gss_cred_id_t verifier_cred_handle, gss_buffer_t input_token,
                                                gss_channel_bindings_t input_chan_bindings, gss_name_t* src_name,
                                                gss_OID* mech_type, gss_buffer_t output_token,
                                                OM_uint32* ret_flags, OM_uint32* time_rec,
                                                gss_cred_id_t* delegated_cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_token);
        if (src_name != nullptr) *src_name = GSS_C_NO_NAME;
        if (mech_type != nullptr) *mech_type = &oid::spnego;
        if (ret_flags != nullptr) *ret_flags = 0;
        if (time_rec != nullptr) *time_rec = 0;
        if (delegated_cred_handle != nullptr) *delegated_cred_handle = GSS_C_NO_CREDENTIAL;

        std::unique_ptr<NegoContextHandle> fresh;
        NegoContextHandle* ctx;
        if (*context_handle == GSS_C_NO_CONTEXT) {
            fresh = std::make_unique<NegoContextHandle>();
            fresh->initiator = false;
            fresh->factory = std::make_unique<NegoFactory>(false, nullptr, 0, fresh->call);
            fresh->negotiator =
                std::make_unique<spnego::Negotiator>(spnego::Negotiator::Role::acceptor, *fresh->factory);
            ctx = fresh.get();
        } else {
            ctx = nego_context_of(*context_handle);
            if (ctx->initiator) throw GssError(GSS_S_NO_CONTEXT, Minor::bad_context_handle);
            if (ctx->established) throw GssError(GSS_S_FAILURE, Minor::context_already_established);
        }
        ctx->call.bindings = input_chan_bindings;
        const CallCred call_cred(ctx->call, verifier_cred_handle);
        const spnego::NegoStep s = ctx->negotiator->step(view_of(input_token));
        set_buffer(output_token, ByteView(s.token));
        if (GSS_ERROR(s.major)) return report(minor_status, s);
        if (fresh) *context_handle = reinterpret_cast<gss_ctx_id_t>(fresh.release());
        if (s.major != GSS_S_COMPLETE) {
            report_continuing(*ctx, ret_flags, time_rec);
            return s.major;
        }

        finish(*ctx, ret_flags, time_rec, mech_type);
        if (src_name != nullptr) {
            if (auto name = ctx->established->take_src_name())
                *src_name = reinterpret_cast<gss_name_t>(name.release());
        }
        // A Kerberos credential the initiator delegated: a mechglue
        // credential of the krb5 mechanism. The mechglue hands it to the
        // application as it is, since its mechanism is not SPNEGO
        // (g_accept_sec_context.c).
        const gss_cred_id_t delegated = ctx->established->take_delegated();
        if (delegated != GSS_C_NO_CREDENTIAL) {
            if (delegated_cred_handle != nullptr && (ctx->ret_flags & GSS_C_DELEG_FLAG)) {
                *delegated_cred_handle = delegated;
            } else {
                krb5::MechCred drop(delegated);
            }
        }
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_delete_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                gss_buffer_t output_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        clear_buffer(output_token);
        if (context_handle == nullptr || *context_handle == GSS_C_NO_CONTEXT) return GSS_S_COMPLETE;
        delete nego_context_of(*context_handle);
        *context_handle = GSS_C_NO_CONTEXT;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_process_context_token(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                                   gss_buffer_t token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle, [&](gss_ctx_id_t h) { return gss_process_context_token(minor_status, h, token); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) { return t.process_context_token(minor_status, h, token); });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_context_time(OM_uint32* minor_status, gss_ctx_id_t context_handle, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward_inquiry(
            context_handle, GSS_S_NO_CONTEXT,
            [&](gss_ctx_id_t h) { return gss_context_time(minor_status, h, time_rec); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) { return t.context_time(minor_status, h, time_rec); });
    });
}

namespace {

// gss_inquire_context of a sub-mechanism context, its names made Negotiate
// names (a krb5 name stays a mechglue name, an NTLM name is copied).
OM_uint32 inquire_sub(OM_uint32* minor_status, const MechSub& sub, gss_name_t* src_name, gss_name_t* targ_name,
                      OM_uint32* lifetime_rec, OM_uint32* ctx_flags) {
    gss_name_t src = GSS_C_NO_NAME;
    gss_name_t targ = GSS_C_NO_NAME;
    std::unique_ptr<NegoNameHandle> src_nego;
    std::unique_ptr<NegoNameHandle> targ_nego;
    OM_uint32 major;
    if (sub.via_mechglue()) {
        major = table().inquire_context(minor_status, sub.handle(), src_name != nullptr ? &src : nullptr,
                                        targ_name != nullptr ? &targ : nullptr, lifetime_rec, nullptr, ctx_flags,
                                        nullptr, nullptr);
        krb5::MechName src_owned(src);
        krb5::MechName targ_owned(targ);
        if (GSS_ERROR(major)) return major;
        if (src_owned) {
            src_nego = std::make_unique<NegoNameHandle>();
            src_nego->krb5 = std::move(src_owned);
        }
        if (targ_owned) {
            targ_nego = std::make_unique<NegoNameHandle>();
            targ_nego->krb5 = std::move(targ_owned);
        }
    } else {
        major = gss_inquire_context(minor_status, sub.handle(), src_name != nullptr ? &src : nullptr,
                                    targ_name != nullptr ? &targ : nullptr, lifetime_rec, nullptr, ctx_flags, nullptr,
                                    nullptr);
        std::unique_ptr<NameHandle> src_owned(src == GSS_C_NO_NAME ? nullptr : name_of(src));
        std::unique_ptr<NameHandle> targ_owned(targ == GSS_C_NO_NAME ? nullptr : name_of(targ));
        if (GSS_ERROR(major)) return major;
        if (src_owned) {
            src_nego = std::make_unique<NegoNameHandle>();
            src_nego->ntlm = src_owned->name;
        }
        if (targ_owned) {
            targ_nego = std::make_unique<NegoNameHandle>();
            targ_nego->ntlm = targ_owned->name;
        }
    }
    if (src_nego) *src_name = reinterpret_cast<gss_name_t>(src_nego.release());
    if (targ_nego) *targ_name = reinterpret_cast<gss_name_t>(targ_nego.release());
    return major;
}

}  // namespace

// MIT's SPNEGO (spnego_gss_inquire_context) answers from the chosen
// mechanism's context as soon as there is one, and until the exchange
// completes reports SPNEGO as the mechanism, not open, and the flags less
// those a partial context cannot have. A mechanism context still
// establishing has no names and no lifetime (krb5's and this module's
// NTLM), so neither has the Negotiate context then. Before there is a
// mechanism context (an initiator's first call does make one; an acceptor
// that sent NegTokenInit2 or asked for another mechanism has none),
// everything is empty.
GSSNEG_EXPORT OM_uint32 gssi_inquire_context(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                             gss_name_t* src_name, gss_name_t* targ_name, OM_uint32* lifetime_rec,
                                             gss_OID* mech_type, OM_uint32* ctx_flags, int* locally_initiated,
                                             int* open) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (src_name != nullptr) *src_name = GSS_C_NO_NAME;
        if (targ_name != nullptr) *targ_name = GSS_C_NO_NAME;
        if (lifetime_rec != nullptr) *lifetime_rec = 0;
        if (mech_type != nullptr) *mech_type = &oid::spnego;
        if (ctx_flags != nullptr) *ctx_flags = 0;
        const NegoContextHandle* ctx = nego_context_of(context_handle);
        const MechSub* sub = inquired_sub(*ctx);
        if (locally_initiated != nullptr) *locally_initiated = ctx->initiator ? 1 : 0;
        if (open != nullptr) *open = ctx->established ? 1 : 0;
        if (sub == nullptr) return GSS_S_COMPLETE;
        const OM_uint32 major = inquire_sub(minor_status, *sub, src_name, targ_name, lifetime_rec, ctx_flags);
        if (GSS_ERROR(major)) return major;
        if (ctx->established) {
            // RFC 2744 5.33 and MIT's SPNEGO: the mechanism actually in use.
            if (mech_type != nullptr) *mech_type = mech_oid_of(*sub);
        } else if (ctx_flags != nullptr) {
            *ctx_flags &= ~partial_context_drops;
        }
        return major;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_inquire_sec_context_by_oid(OM_uint32* minor_status, const gss_ctx_id_t context_handle,
                                                        const gss_OID desired_object, gss_buffer_set_t* data_set) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (data_set == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *data_set = GSS_C_NO_BUFFER_SET;
        // No Negotiate OIDs of its own: MIT's SPNEGO answers
        // GSS_S_UNAVAILABLE until there is a mechanism context to ask.
        return forward_inquiry(
            context_handle, GSS_S_UNAVAILABLE,
            [&](gss_ctx_id_t h) { return gss_inquire_sec_context_by_oid(minor_status, h, desired_object, data_set); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.inquire_sec_context_by_oid(minor_status, h, desired_object, data_set);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_set_sec_context_option(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                    const gss_OID desired_object, const gss_buffer_t value) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr || *context_handle == GSS_C_NO_CONTEXT)
            throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option, "no Negotiate options before a context");
        MechSub& sub = established_sub(*context_handle);
        gss_ctx_id_t h = sub.handle();
        const OM_uint32 major = sub.via_mechglue()
                                    ? table().set_sec_context_option(minor_status, &h, desired_object, value)
                                    : gss_set_sec_context_option(minor_status, &h, desired_object, value);
        return major;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_get_mic(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t qop_req,
                                     gss_buffer_t message_buffer, gss_buffer_t message_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_get_mic(minor_status, h, qop_req, message_buffer, message_token); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.get_mic(minor_status, h, qop_req, message_buffer, message_token);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_verify_mic(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                        gss_buffer_t message_buffer, gss_buffer_t message_token,
                                        gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_verify_mic(minor_status, h, message_buffer, message_token, qop_state); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.verify_mic(minor_status, h, message_buffer, message_token, qop_state);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_wrap(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                  gss_qop_t qop_req, gss_buffer_t input_message_buffer, int* conf_state,
                                  gss_buffer_t output_message_buffer) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_wrap(minor_status, h, conf_req_flag, qop_req, input_message_buffer, conf_state,
                                output_message_buffer);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.wrap(minor_status, h, conf_req_flag, qop_req, input_message_buffer, conf_state,
                              output_message_buffer);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_unwrap(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                    gss_buffer_t input_message_buffer, gss_buffer_t output_message_buffer,
                                    int* conf_state, gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_unwrap(minor_status, h, input_message_buffer, output_message_buffer, conf_state, qop_state);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.unwrap(minor_status, h, input_message_buffer, output_message_buffer, conf_state, qop_state);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_wrap_aead(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                       gss_qop_t qop_req, gss_buffer_t input_assoc_buffer,
                                       gss_buffer_t input_payload_buffer, int* conf_state,
                                       gss_buffer_t output_message_buffer) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_wrap_aead(minor_status, h, conf_req_flag, qop_req, input_assoc_buffer,
                                     input_payload_buffer, conf_state, output_message_buffer);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.wrap_aead(minor_status, h, conf_req_flag, qop_req, input_assoc_buffer, input_payload_buffer,
                                   conf_state, output_message_buffer);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_unwrap_aead(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                         gss_buffer_t input_message_buffer, gss_buffer_t input_assoc_buffer,
                                         gss_buffer_t output_payload_buffer, int* conf_state, gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_unwrap_aead(minor_status, h, input_message_buffer, input_assoc_buffer,
                                       output_payload_buffer, conf_state, qop_state);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.unwrap_aead(minor_status, h, input_message_buffer, input_assoc_buffer, output_payload_buffer,
                                     conf_state, qop_state);
            });
    });
}

// gss_complete_auth_token: Kerberos' answer; NTLM has nothing to complete
// (the mechglue answers GSS_S_COMPLETE for a mechanism without the call).
GSSNEG_EXPORT OM_uint32 gssi_complete_auth_token(OM_uint32* minor_status, const gss_ctx_id_t context_handle,
                                                 gss_buffer_t input_message_buffer) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle, [&](gss_ctx_id_t) -> OM_uint32 { return GSS_S_COMPLETE; },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.complete_auth_token(minor_status, h, input_message_buffer);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_wrap_size_limit(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                             gss_qop_t qop_req, OM_uint32 req_output_size,
                                             OM_uint32* max_input_size) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward_inquiry(
            context_handle, GSS_S_NO_CONTEXT,
            [&](gss_ctx_id_t h) {
                return gss_wrap_size_limit(minor_status, h, conf_req_flag, qop_req, req_output_size, max_input_size);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.wrap_size_limit(minor_status, h, conf_req_flag, qop_req, req_output_size, max_input_size);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_wrap_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                      gss_qop_t qop_req, int* conf_state, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_wrap_iov(minor_status, h, conf_req_flag, qop_req, conf_state, iov, iov_count); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.wrap_iov(minor_status, h, conf_req_flag, qop_req, conf_state, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_unwrap_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, int* conf_state,
                                        gss_qop_t* qop_state, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_unwrap_iov(minor_status, h, conf_state, qop_state, iov, iov_count); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.unwrap_iov(minor_status, h, conf_state, qop_state, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_wrap_iov_length(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                             gss_qop_t qop_req, int* conf_state, gss_iov_buffer_desc* iov,
                                             int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_wrap_iov_length(minor_status, h, conf_req_flag, qop_req, conf_state, iov, iov_count);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.wrap_iov_length(minor_status, h, conf_req_flag, qop_req, conf_state, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_get_mic_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t qop_req,
                                         gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle, [&](gss_ctx_id_t h) { return gss_get_mic_iov(minor_status, h, qop_req, iov, iov_count); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.get_mic_iov(minor_status, h, qop_req, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_get_mic_iov_length(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                                gss_qop_t qop_req, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_get_mic_iov_length(minor_status, h, qop_req, iov, iov_count); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.get_mic_iov_length(minor_status, h, qop_req, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_verify_mic_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                            gss_qop_t* qop_state, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) { return gss_verify_mic_iov(minor_status, h, qop_state, iov, iov_count); },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.verify_mic_iov(minor_status, h, qop_state, iov, iov_count);
            });
    });
}

GSSNEG_EXPORT OM_uint32 gssi_pseudo_random(OM_uint32* minor_status, gss_ctx_id_t context_handle, int prf_key,
                                           const gss_buffer_t prf_in, ssize_t desired_output_len,
                                           gss_buffer_t prf_out) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return forward(
            context_handle,
            [&](gss_ctx_id_t h) {
                return gss_pseudo_random(minor_status, h, prf_key, prf_in, desired_output_len, prf_out);
            },
            [&](const krb5::MechglueTable& t, gss_ctx_id_t h) {
                return t.pseudo_random(minor_status, h, prf_key, prf_in, desired_output_len, prf_out);
            });
    });
}

// ---- Export and import ----
//
// A Negotiate context travels as its chosen mechanism's context, in the
// layout MIT's SPNEGO uses: a 4-byte big-endian OID length, the mechanism
// OID and that mechanism's own token (for Kerberos, exactly what the
// mechglue's gss_export_sec_context writes). So a context exported by MIT's
// SPNEGO imports here, and the other way round. Only complete contexts
// travel, as with MIT's SPNEGO.

namespace {

constexpr size_t oid_length_octets = 4;

bool same_bytes(ByteView a, ByteView b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool oid_is(ByteView oid, const gss_OID_desc& want) {
    return same_bytes(oid, {static_cast<const uint8_t*>(want.elements), want.length});
}

// Frames a mechanism's exported context into out. The token holds the
// session key: it is written once, straight into the output buffer.
void set_with_mech_header(gss_buffer_t out, const gss_OID_desc& mech, ByteView token) {
    MallocBuffer framed(oid_length_octets + mech.length + token.size());
    uint8_t* p = framed.data();
    for (size_t i = 0; i < oid_length_octets; ++i)
        *p++ = static_cast<uint8_t>(mech.length >> (8 * (oid_length_octets - 1 - i)));
    p = std::copy_n(static_cast<const uint8_t*>(mech.elements), mech.length, p);
    std::copy(token.begin(), token.end(), p);
    out->length = framed.size();
    out->value = framed.release();
}

// A context token this module's NTLM made (malloc), wiped and freed when
// it goes out of scope.
class OwnSecretToken final {
public:
    OwnSecretToken() = default;
    OwnSecretToken(const OwnSecretToken&) = delete;
    OwnSecretToken& operator=(const OwnSecretToken&) = delete;
    ~OwnSecretToken() {
        secure_wipe(m_buf.value, m_buf.length);
        std::free(m_buf.value);
    }
    gss_buffer_t get() noexcept { return &m_buf; }

private:
    gss_buffer_desc m_buf{0, nullptr};
};

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_export_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                gss_buffer_t interprocess_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (interprocess_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(interprocess_token);
        if (context_handle == nullptr || *context_handle == GSS_C_NO_CONTEXT) return GSS_S_CALL_INACCESSIBLE_READ;
        NegoContextHandle* ctx = nego_context_of(*context_handle);
        if (!ctx->established)
            throw GssError(GSS_S_UNAVAILABLE, Minor::context_incomplete,
                           "only complete Negotiate contexts can be exported");
        MechSub& sub = *ctx->established;
        gss_ctx_id_t h = sub.handle();
        if (sub.via_mechglue()) {
            // The mechglue's token already starts with the krb5 OID.
            krb5::MechBuffer token;
            const OM_uint32 major = table().export_sec_context(minor_status, &h, token.get());
            if (GSS_ERROR(major)) return major;
            set_buffer(interprocess_token, view_of(token.get()));
            // The mechglue frees its copy without wiping it.
            secure_wipe(token.get()->value, token.get()->length);
        } else {
            OwnSecretToken token;
            const OM_uint32 major = gss_export_sec_context(minor_status, &h, token.get());
            if (GSS_ERROR(major)) return major;
            set_with_mech_header(interprocess_token, oid::ntlm, view_of(token.get()));
        }
        // RFC 2743 2.2.8: the exported context is no longer usable here. The
        // mechanism has deleted its own context.
        if (h == GSS_C_NO_CONTEXT) sub.release();
        delete ctx;
        *context_handle = GSS_C_NO_CONTEXT;
        if (trace_enabled()) trace("negotiate", "context exported");
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_import_sec_context_by_mech(OM_uint32* minor_status, gss_OID,
                                                        gss_buffer_t interprocess_token,
                                                        gss_ctx_id_t* context_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *context_handle = GSS_C_NO_CONTEXT;
        if (interprocess_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        const ByteView token = view_of(interprocess_token);
        ByteReader r(token, Minor::bad_export_token);
        const uint32_t oid_length = r.u32be();
        if (oid_length == 0 || oid_length > r.remaining())
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "mechanism OID length");
        const ByteView mech = r.take(oid_length);
        const ByteView inner = r.take(r.remaining());

        auto ctx = std::make_unique<NegoContextHandle>();
        OM_uint32 minor = 0;
        int local = 0;
        int open = 0;
        if (oid_is(mech, oid::krb5) || same_bytes(mech, spnego::oids::ms_kerberos().bytes())) {
            // Only the krb5 mechanism's tokens (under either of its OIDs)
            // go back to the mechglue: any other OID there could name this
            // interposer again.
            const krb5::MechglueTable& t = table();
            gss_buffer_desc whole = buffer_of(token);
            gss_ctx_id_t h = GSS_C_NO_CONTEXT;
            const OM_uint32 major = t.import_sec_context(minor_status, &whole, &h);
            if (GSS_ERROR(major)) return major;
            krb5::MechContext owned;
            *owned.inout() = h;
            if (GSS_ERROR(t.inquire_context(&minor, h, nullptr, nullptr, nullptr, nullptr, nullptr, &local, &open)) ||
                !open)
                throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "the Kerberos context is not complete");
            ctx->initiator = local != 0;
            ctx->established = make_krb5_sub(ctx->initiator, nullptr, GSS_C_NO_NAME, 0, ctx->call,
                                             owned.release());
        } else if (oid_is(mech, oid::ntlm)) {
            gss_buffer_desc ntlm_token = buffer_of(inner);
            gss_ctx_id_t h = GSS_C_NO_CONTEXT;
            const OM_uint32 major = gss_import_sec_context(minor_status, &ntlm_token, &h);
            if (GSS_ERROR(major)) return major;
            // NTLM exports only complete contexts.
            ctx->initiator = context_of(h)->initiator;
            ctx->established = make_ntlm_sub(ctx->initiator, nullptr, GSS_C_NO_NAME, 0,
                                             ctx->call, h);
        } else {
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token,
                           "Negotiate contexts carry Kerberos or NTLM only");
        }
        ctx->ret_flags = ctx->established->flags();
        if (trace_enabled())
            trace("negotiate", std::string("context imported over ") + spnego::mech_name(ctx->established->mech()));
        *context_handle = reinterpret_cast<gss_ctx_id_t>(ctx.release());
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_import_sec_context(OM_uint32* minor_status, gss_buffer_t interprocess_token,
                                                gss_ctx_id_t* context_handle) {
    return gssi_import_sec_context_by_mech(minor_status, &oid::spnego, interprocess_token, context_handle);
}
