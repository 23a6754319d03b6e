// Per-message calls: gss_get_mic / gss_verify_mic, gss_wrap / gss_unwrap,
// gss_wrap_size_limit, and the NTLM-specific context options.
//
// Tokens: a MIC is the 16-byte NTLMSSP_MESSAGE_SIGNATURE; a wrap token is
// the signature followed by the (sealed or plain) message, as Windows'
// SSPI-over-GSS and other GSS NTLM mechanisms lay it out.

#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/oids.h"

#include <cstdlib>
#include <cstring>
#include <ctime>

using namespace gssneg;
using namespace gssneg::mech;
using ntlm::SessionSecurity;

namespace {

ContextHandle* established(gss_ctx_id_t handle) {
    ContextHandle* ctx = context_of(handle);
    if (!ctx->established || !ctx->security) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
    if (ctx->expiry <= std::time(nullptr)) throw GssError(GSS_S_CONTEXT_EXPIRED, Minor::context_expired);
    return ctx;
}

// Without extended session security one RC4 stream and one counter serve
// both directions.
uint32_t& outgoing_seq(ContextHandle& ctx) { return ctx.send_seq; }
uint32_t& incoming_seq(ContextHandle& ctx) { return ctx.security->shared_stream() ? ctx.send_seq : ctx.recv_seq; }

// RFC 2743 1.2.3: the supplementary status of an authentic message whose
// sequence number is not the expected one. NTLM signatures chain through
// the RC4 stream, so only in-order messages verify; this reports what the
// carried number says once the signature checked.
OM_uint32 sequence_status(const ContextHandle& ctx, uint32_t expected, uint32_t got) {
    if (got == expected) return GSS_S_COMPLETE;
    const bool want = ctx.ret_flags & (GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
    if (!want) return GSS_S_COMPLETE;
    if (got > expected) return (ctx.ret_flags & GSS_C_SEQUENCE_FLAG) ? GSS_S_GAP_TOKEN : GSS_S_COMPLETE;
    return GSS_S_DUPLICATE_TOKEN;
}

uint32_t carried_sequence(const SessionSecurity& sec, ByteView signature, uint32_t fallback) {
    return sec.extended_session_security() ? SessionSecurity::clear_sequence(signature) : fallback;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_get_mic(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t qop_req,
                                    gss_buffer_t message_buffer, gss_buffer_t message_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (message_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(message_token);
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        ContextHandle* ctx = established(context_handle);
        uint32_t& seq = outgoing_seq(*ctx);
        const auto sig = ctx->security->sign(seq, {view_of(message_buffer)});
        ++seq;
        set_buffer(message_token, ByteView(sig));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_verify_mic(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                       gss_buffer_t message_buffer, gss_buffer_t token_buffer, gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
        ContextHandle* ctx = established(context_handle);
        const ByteView sig = view_of(token_buffer);
        if (sig.size() != SessionSecurity::signature_size)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a MIC is 16 bytes");
        uint32_t& expected = incoming_seq(*ctx);
        const uint32_t seq = carried_sequence(*ctx->security, sig, expected);
        if (!ctx->security->verify(seq, {view_of(message_buffer)}, sig))
            throw GssError(GSS_S_BAD_SIG, Minor::bad_signature);
        const OM_uint32 status = sequence_status(*ctx, expected, seq);
        expected = seq + 1;
        return status;
    });
}

GSSNEG_EXPORT OM_uint32 gss_wrap(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                 gss_qop_t qop_req, gss_buffer_t input_message_buffer, int* conf_state,
                                 gss_buffer_t output_message_buffer) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_message_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_message_buffer);
        if (conf_state != nullptr) *conf_state = 0;
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        ContextHandle* ctx = established(context_handle);
        const ByteView in = view_of(input_message_buffer);
        const bool seal = conf_req_flag != 0 && ctx->security->can_seal();
        if (conf_req_flag != 0 && !seal && !(ctx->ret_flags & GSS_C_INTEG_FLAG))
            throw GssError(GSS_S_UNAVAILABLE, Minor::sealing_not_negotiated);

        Bytes out(SessionSecurity::signature_size + in.size());
        std::copy(in.begin(), in.end(), out.begin() + SessionSecurity::signature_size);
        const std::span<uint8_t> body(out.data() + SessionSecurity::signature_size, in.size());
        uint32_t& seq = outgoing_seq(*ctx);
        const auto sig = seal ? ctx->security->seal(seq, body) : ctx->security->sign(seq, {body});
        ++seq;
        std::copy(sig.begin(), sig.end(), out.begin());
        set_buffer(output_message_buffer, ByteView(out));
        if (conf_state != nullptr) *conf_state = seal ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_unwrap(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                   gss_buffer_t input_message_buffer, gss_buffer_t output_message_buffer,
                                   int* conf_state, gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_message_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_message_buffer);
        if (conf_state != nullptr) *conf_state = 0;
        if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
        ContextHandle* ctx = established(context_handle);
        const ByteView in = view_of(input_message_buffer);
        if (in.size() < SessionSecurity::signature_size)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a wrap token starts with a 16-byte signature");
        const ByteView sig = in.first(SessionSecurity::signature_size);
        Bytes body(in.begin() + SessionSecurity::signature_size, in.end());
        // The peer seals whenever confidentiality was negotiated (the
        // wrap token carries no flag saying which it did).
        const bool sealed = ctx->security->can_seal() && (ctx->ret_flags & GSS_C_CONF_FLAG);
        uint32_t& expected = incoming_seq(*ctx);
        const uint32_t seq = carried_sequence(*ctx->security, sig, expected);
        const bool ok = sealed ? ctx->security->unseal(seq, body, sig) : ctx->security->verify(seq, {body}, sig);
        if (!ok) {
            secure_wipe(body.data(), body.size());
            throw GssError(GSS_S_BAD_SIG, Minor::bad_signature);
        }
        const OM_uint32 status = sequence_status(*ctx, expected, seq);
        expected = seq + 1;
        set_buffer(output_message_buffer, ByteView(body));
        if (conf_state != nullptr) *conf_state = sealed ? 1 : 0;
        return status;
    });
}

GSSNEG_EXPORT OM_uint32 gss_wrap_size_limit(OM_uint32* minor_status, gss_ctx_id_t context_handle, int, gss_qop_t qop_req,
                                            OM_uint32 req_output_size, OM_uint32* max_input_size) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (max_input_size == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *max_input_size = 0;
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        established(context_handle);
        if (req_output_size > SessionSecurity::signature_size)
            *max_input_size = req_output_size - static_cast<OM_uint32>(SessionSecurity::signature_size);
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_set_sec_context_option(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                   const gss_OID desired_object, const gss_buffer_t) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_READ;
        ContextHandle* ctx = context_of(*context_handle);
        if (oid_equal(desired_object, &oid::ntlm_reset_crypto)) {
            // MS-SPNG 3.3.5.1: after the mechListMIC the RC4 handles restart.
            if (!ctx->security) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
            ctx->security->reset_rc4();
            return GSS_S_COMPLETE;
        }
        throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
    });
}
