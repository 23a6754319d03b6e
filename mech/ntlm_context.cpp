// Security contexts: the handshake (init/accept), delete, lifetime,
// inquiry.

#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/ntlm_protect.h"
#include "mech/oids.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_crypto.h"
#include "util/config.h"
#include "util/trace.h"

#include <ctime>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

std::optional<std::array<uint8_t, 16>> bindings_hash(gss_channel_bindings_t cb) {
    if (cb == GSS_C_NO_CHANNEL_BINDINGS) return std::nullopt;
    return ntlm::channel_bindings_hash(cb->initiator_addrtype, view_of(&cb->initiator_address),
                                       cb->acceptor_addrtype, view_of(&cb->acceptor_address),
                                       view_of(&cb->application_data));
}

OM_uint32 gss_flags_of(uint32_t negotiate_flags, bool anonymous, OM_uint32 req_flags) {
    OM_uint32 f = 0;
    if (negotiate_flags & (ntlm::flag::sign | ntlm::flag::seal)) {
        f |= GSS_C_INTEG_FLAG;
        f |= req_flags & (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
    }
    if (negotiate_flags & ntlm::flag::seal) f |= GSS_C_CONF_FLAG;
    if (negotiate_flags & ntlm::flag::identify) f |= GSS_C_IDENTIFY_FLAG;
    if (anonymous) f |= GSS_C_ANON_FLAG;
    return f;
}

OM_uint32 gss_flags_of(const ntlm::SessionInfo& s, OM_uint32 req_flags) {
    OM_uint32 f = gss_flags_of(s.flags, s.response == ntlm::ResponseKind::anonymous, req_flags);
    // MIT krb5 1.19 and later: only bindings that were checked and matched.
    if (s.channel_bound) f |= GSS_C_CHANNEL_BOUND_FLAG;
    return f;
}

// The flags of a context still establishing: those it will honour, from
// the NegotiateFlags sent so far (the NEGOTIATE's for an initiator, the
// CHALLENGE's for an acceptor), which the handshake can only narrow. As
// with krb5, a partial context reports them but no names and no lifetime.
OM_uint32 partial_flags(const ContextHandle& ctx) {
    if (ctx.client)
        return gss_flags_of(ctx.client->requested_flags(), (ctx.client->requested_flags() & ntlm::flag::anonymous) != 0,
                            ctx.req_flags);
    if (ctx.server) return gss_flags_of(ctx.server->challenge_flags(), false, GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
    return 0;
}

void finish(ContextHandle& ctx, const ntlm::SessionInfo& session) {
    ctx.session = session;
    ctx.established = true;
    ctx.ret_flags = gss_flags_of(session, ctx.req_flags);
    const auto cfg = current_config();
    ctx.dummy_signature = cfg->dummy_signature;
    ctx.expiry = std::time(nullptr) + static_cast<time_t>(cfg->context_lifetime);
}

void check_mech(gss_const_OID mech_type) {
    if (mech_type != GSS_C_NO_OID && !oid_equal(mech_type, &oid::ntlm))
        throw GssError(GSS_S_BAD_MECH, Minor::none, "not the NTLM mechanism");
}

OM_uint32 remaining(const ContextHandle& ctx) {
    if (!ctx.established) return 0;
    const time_t now = std::time(nullptr);
    if (ctx.expiry <= now) return 0;
    // A lifetime past what OM_uint32 holds reads as indefinite, never wraps.
    const auto left = static_cast<uint64_t>(ctx.expiry - now);
    return left >= GSS_C_INDEFINITE ? GSS_C_INDEFINITE : static_cast<OM_uint32>(left);
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_init_sec_context(OM_uint32* minor_status, gss_cred_id_t claimant_cred_handle,
                                             gss_ctx_id_t* context_handle, gss_name_t target_name,
                                             gss_OID mech_type, OM_uint32 req_flags, OM_uint32,
                                             gss_channel_bindings_t input_chan_bindings, gss_buffer_t input_token,
                                             gss_OID* actual_mech_type, gss_buffer_t output_token,
                                             OM_uint32* ret_flags, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_token);
        if (actual_mech_type != nullptr) *actual_mech_type = &oid::ntlm;
        if (ret_flags != nullptr) *ret_flags = 0;
        if (time_rec != nullptr) *time_rec = 0;
        check_mech(mech_type);

        if (*context_handle == GSS_C_NO_CONTEXT) {
            std::shared_ptr<const ntlm::Credential> cred;
            bool no_ci_flags = false;
            if (claimant_cred_handle != GSS_C_NO_CREDENTIAL) {
                const CredHandle* handle = cred_of(claimant_cred_handle);
                cred = handle->cred;
                no_ci_flags = handle->no_ci_flags;
            } else {
                const ntlm::Name anon = ntlm::Name::anonymous();
                cred = ntlm::Credential::acquire((req_flags & GSS_C_ANON_FLAG) ? &anon : nullptr,
                                                 ntlm::CredUsage::initiate, {}, *current_config());
            }
            auto ctx = std::make_unique<ContextHandle>();
            ctx->initiator = true;
            ctx->req_flags = req_flags;
            if (target_name != GSS_C_NO_NAME) ctx->target = name_of(target_name)->name;
            ntlm::ClientParams params;
            params.gss_req_flags = req_flags;
            params.target = ctx->target;
            params.channel_bindings = bindings_hash(input_chan_bindings);
            params.config = current_config();
            params.lm_compat_level = params.config->lm_compat_level;
            params.no_ci_flags = no_ci_flags;
            ctx->client = std::make_unique<ntlm::NtlmClient>(std::move(cred), std::move(params));
            set_buffer(output_token, ByteView(ctx->client->step({})));
            if (ret_flags != nullptr) *ret_flags = partial_flags(*ctx);
            *context_handle = reinterpret_cast<gss_ctx_id_t>(ctx.release());
            return GSS_S_CONTINUE_NEEDED;
        }

        ContextHandle* ctx = context_of(*context_handle);
        if (!ctx->initiator || !ctx->client) throw GssError(GSS_S_NO_CONTEXT, Minor::bad_context_handle);
        if (ctx->established) throw GssError(GSS_S_FAILURE, Minor::context_already_established);
        if (view_of(input_token).empty()) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::unexpected_token, "no CHALLENGE");
        set_buffer(output_token, ByteView(ctx->client->step(view_of(input_token))));
        finish(*ctx, ctx->client->session());
        ctx->client.reset();
        if (ret_flags != nullptr) *ret_flags = ctx->ret_flags;
        if (time_rec != nullptr) *time_rec = remaining(*ctx);
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_accept_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                               gss_cred_id_t verifier_cred_handle, gss_buffer_t input_token,
                                               gss_channel_bindings_t input_chan_bindings, gss_name_t* src_name,
                                               gss_OID* mech_type, gss_buffer_t output_token, OM_uint32* ret_flags,
                                               OM_uint32* time_rec, gss_cred_id_t* delegated_cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr || output_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_token);
        if (src_name != nullptr) *src_name = GSS_C_NO_NAME;
        if (mech_type != nullptr) *mech_type = &oid::ntlm;
        if (ret_flags != nullptr) *ret_flags = 0;
        if (time_rec != nullptr) *time_rec = 0;
        if (delegated_cred_handle != nullptr) *delegated_cred_handle = GSS_C_NO_CREDENTIAL;

        if (*context_handle == GSS_C_NO_CONTEXT) {
            std::shared_ptr<const ntlm::Credential> cred;
            if (verifier_cred_handle != GSS_C_NO_CREDENTIAL) {
                cred = cred_of(verifier_cred_handle)->cred;
            } else {
                cred = ntlm::Credential::acquire(nullptr, ntlm::CredUsage::accept, {}, *current_config());
            }
            auto ctx = std::make_unique<ContextHandle>();
            ctx->initiator = false;
            ctx->target = cred->name();
            ntlm::ServerParams params;
            params.channel_bindings = bindings_hash(input_chan_bindings);
            params.config = current_config();
            ctx->server = std::make_unique<ntlm::NtlmServer>(std::move(cred), std::move(params));
            set_buffer(output_token, ByteView(ctx->server->step(view_of(input_token))));
            if (ret_flags != nullptr) *ret_flags = partial_flags(*ctx);
            *context_handle = reinterpret_cast<gss_ctx_id_t>(ctx.release());
            return GSS_S_CONTINUE_NEEDED;
        }

        ContextHandle* ctx = context_of(*context_handle);
        if (ctx->initiator || !ctx->server) throw GssError(GSS_S_NO_CONTEXT, Minor::bad_context_handle);
        if (ctx->established) throw GssError(GSS_S_FAILURE, Minor::context_already_established);
        ctx->server->step(view_of(input_token));
        const ntlm::SessionInfo session = ctx->server->session();
        ctx->req_flags = gss_flags_of(session, GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
        finish(*ctx, session);
        ctx->server.reset();
        if (src_name != nullptr && session.initiator)
            *src_name = reinterpret_cast<gss_name_t>(new NameHandle(*session.initiator));
        if (ret_flags != nullptr) *ret_flags = ctx->ret_flags;
        if (time_rec != nullptr) *time_rec = remaining(*ctx);
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_delete_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                               gss_buffer_t output_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        clear_buffer(output_token);
        if (context_handle == nullptr || *context_handle == GSS_C_NO_CONTEXT) return GSS_S_COMPLETE;
        delete context_of(*context_handle);
        *context_handle = GSS_C_NO_CONTEXT;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_context_time(OM_uint32* minor_status, gss_ctx_id_t context_handle, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (time_rec == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *time_rec = 0;
        const ContextHandle* ctx = context_of(context_handle);
        if (!ctx->established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
        *time_rec = remaining(*ctx);
        return *time_rec == 0 ? GSS_S_CONTEXT_EXPIRED : GSS_S_COMPLETE;
    });
}

// A partially established context answers with its flags, locally_initiated
// and open; krb5 reports no names and a lifetime of 0 until its context is
// established, and so does NTLM, with partial_flags.
GSSNEG_EXPORT OM_uint32 gss_inquire_context(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                            gss_name_t* src_name, gss_name_t* targ_name, OM_uint32* lifetime_rec,
                                            gss_OID* mech_type, OM_uint32* ctx_flags, int* locally_initiated,
                                            int* open) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (src_name != nullptr) *src_name = GSS_C_NO_NAME;
        if (targ_name != nullptr) *targ_name = GSS_C_NO_NAME;
        const ContextHandle* ctx = context_of(context_handle);
        if (ctx->established) {
            // Both made before either is handed out, so that a failure leaks neither.
            std::unique_ptr<NameHandle> src;
            std::unique_ptr<NameHandle> targ;
            if (src_name != nullptr && ctx->session.initiator)
                src = std::make_unique<NameHandle>(*ctx->session.initiator);
            if (targ_name != nullptr && ctx->target) targ = std::make_unique<NameHandle>(*ctx->target);
            if (src) *src_name = reinterpret_cast<gss_name_t>(src.release());
            if (targ) *targ_name = reinterpret_cast<gss_name_t>(targ.release());
        }
        if (lifetime_rec != nullptr) *lifetime_rec = remaining(*ctx);
        if (mech_type != nullptr) *mech_type = &oid::ntlm;
        if (ctx_flags != nullptr) *ctx_flags = ctx->established ? ctx->ret_flags : partial_flags(*ctx);
        if (locally_initiated != nullptr) *locally_initiated = ctx->initiator ? 1 : 0;
        if (open != nullptr) *open = ctx->established ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_inquire_sec_context_by_oid(OM_uint32* minor_status, const gss_ctx_id_t context_handle,
                                                       const gss_OID desired_object, gss_buffer_set_t* data_set) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (data_set == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *data_set = GSS_C_NO_BUFFER_SET;
        const ContextHandle* ctx = context_of(context_handle);
        if (inquire_protection_by_oid(*ctx, desired_object, data_set)) return GSS_S_COMPLETE;
        if (oid_equal(desired_object, &oid::inq_sspi_session_key)) {
            if (!ctx->established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
            *data_set = make_buffer_set({ByteView(ctx->session.exported_session_key)});
            return GSS_S_COMPLETE;
        }
        if (oid_equal(desired_object, &oid::spnego_req_mechlist_mic)) {
            // MIT SPNEGO asks whether NTLM wants the mechListMIC exchanged
            // (MS-SPNG 3.3.5.1): yes when the AUTHENTICATE carried a MIC.
            const uint8_t required = ctx->session.mic_present ? 1 : 0;
            *data_set = make_buffer_set({ByteView(&required, 1)});
            return GSS_S_COMPLETE;
        }
        throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
    });
}

GSSNEG_EXPORT OM_uint32 gss_process_context_token(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                                  gss_buffer_t) {
    return guard(minor_status, [&]() -> OM_uint32 {
        context_of(context_handle);
        // NTLM defines no context-level tokens (MS-NLMP has no deletion
        // token); any token handed here is not one of ours.
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::unexpected_token, "NTLM has no context tokens");
    });
}
