// Per-message calls: gss_get_mic / gss_verify_mic, gss_wrap / gss_unwrap,
// their IOV forms, gss_wrap_size_limit, gss_pseudo_random, and the
// NTLM-specific context options.
//
// Tokens: a MIC is the 16-byte NTLMSSP_MESSAGE_SIGNATURE; a wrap token is
// the signature followed by the (sealed or plain) message, as Windows'
// SSPI-over-GSS and other GSS NTLM mechanisms lay it out. The IOV forms use
// the layout DCE/RPC and SSPI callers use: one HEADER buffer holding the
// signature, DATA buffers (sealed when confidentiality is used), SIGN_ONLY
// buffers (signed, never encrypted); NTLM has no padding and no trailer, so
// PADDING and TRAILER buffers get length 0. The signature covers the DATA
// and SIGN_ONLY buffers in the order they appear. gss_wrap produces exactly
// HEADER || DATA of gss_wrap_iov over one DATA buffer.
//
// Sequence numbers and supplementary status: ntlm/message_protection.h.

#include "mech/ntlm_protect.h"

#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/oids.h"
#include "ntlm/message_protection.h"
#include "util/secure.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

using namespace gssneg;
using namespace gssneg::mech;
using ntlm::SessionSecurity;

namespace {

constexpr size_t sig_size = SessionSecurity::signature_size;

ContextHandle* established(gss_ctx_id_t handle) {
    ContextHandle* ctx = context_of(handle);
    if (!ctx->established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
    if (ctx->expiry <= std::time(nullptr)) throw GssError(GSS_S_CONTEXT_EXPIRED, Minor::context_expired);
    return ctx;
}

// The peer seals whenever confidentiality was negotiated: the wrap token
// carries no flag saying whether it is sealed.
bool peer_seals(ContextHandle& ctx) {
    return ctx.protection().can_seal() && (ctx.ret_flags & GSS_C_CONF_FLAG);
}

// Whether gss_wrap seals. For the same reason a context with
// confidentiality always seals, whatever conf_req_flag asks, as gss-ntlmssp
// does (conf_state says so); a sign-only token would not unwrap anywhere.
bool wrap_seals(ContextHandle& ctx, int conf_req_flag) {
    const bool seal = peer_seals(ctx);
    if (conf_req_flag != 0 && !seal && !(ctx.ret_flags & GSS_C_INTEG_FLAG))
        throw GssError(GSS_S_UNAVAILABLE, Minor::sealing_not_negotiated);
    return seal;
}

// MS-NLMP 3.4.4: without SIGN and SEAL a signature is a constant anyone
// can write; it protects nothing, so it is made and accepted only where
// dummy_signature asks for it.
void check_keyed(ContextHandle& ctx) {
    if (ctx.protection().dummy_signatures() && !ctx.dummy_signature)
        throw GssError(GSS_S_UNAVAILABLE, Minor::signing_not_negotiated,
                       "the context negotiated neither SIGN nor SEAL, and dummy_signature is off");
}

SessionSecurity::Signature outgoing(ContextHandle& ctx, std::span<const SessionSecurity::Part> parts, bool seal) {
    check_keyed(ctx);
    return ntlm::protect_message(ctx.protection(), ctx.sequence, parts, seal);
}

OM_uint32 incoming(ContextHandle& ctx, std::span<const SessionSecurity::Part> parts, ByteView sig, bool sealed) {
    check_keyed(ctx);
    return ntlm::check_message(ctx.protection(), ctx.sequence, parts, sig, sealed,
                               (ctx.ret_flags & GSS_C_REPLAY_FLAG) != 0, (ctx.ret_flags & GSS_C_SEQUENCE_FLAG) != 0);
}

std::span<uint8_t> span_of(gss_buffer_desc& b) noexcept {
    if (b.value == nullptr) return {};
    return {static_cast<uint8_t*>(b.value), b.length};
}

// The one buffer of a type, or nullptr when there is none or more than one
// (as MIT krb5's kg_locate_iov).
gss_iov_buffer_t locate(gss_iov_buffer_desc* iov, int count, OM_uint32 type) noexcept {
    gss_iov_buffer_t found = nullptr;
    for (int i = 0; i < count; ++i) {
        if (GSS_IOV_BUFFER_TYPE(iov[i].type) != type) continue;
        if (found != nullptr) return nullptr;
        found = &iov[i];
    }
    return found;
}

void check_iov_args(gss_iov_buffer_desc* iov, int count) {
    if (count < 0 || (iov == nullptr && count > 0))
        throw GssError(GSS_S_CALL_INACCESSIBLE_READ, Minor::bad_iov, "no IOV array");
}

// Gives a token buffer (HEADER or MIC_TOKEN) exactly the signature's size,
// allocating it when the caller asked (the mechglue frees it with
// gss_release_iov_buffer). MIT krb5's kg_seal_iov returns GSS_S_FAILURE
// for a missing header (EINVAL) and a too short one (KRB5_BAD_MSIZE).
void prepare_token_buffer(gss_iov_buffer_t b, const char* what) {
    if (b == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, std::string("no single ") + what + " buffer");
    if (b->type & GSS_IOV_BUFFER_FLAG_ALLOCATE) {
        void* p = std::malloc(sig_size);
        if (p == nullptr) throw std::bad_alloc();
        b->buffer.value = p;
        b->buffer.length = sig_size;
        b->type |= GSS_IOV_BUFFER_FLAG_ALLOCATED;
        return;
    }
    if (b->buffer.value == nullptr || b->buffer.length < sig_size)
        throw GssError(GSS_S_FAILURE, Minor::bad_iov, std::string(what) + " buffer shorter than 16 bytes");
    b->buffer.length = sig_size;
}

void zero_length(gss_iov_buffer_t b) noexcept {
    if (b != nullptr) b->buffer.length = 0;
}

// DATA and SIGN_ONLY buffers in order; DATA is confidential when sealing.
std::vector<SessionSecurity::Part> message_parts(gss_iov_buffer_desc* iov, int count, bool seal) {
    std::vector<SessionSecurity::Part> parts;
    for (int i = 0; i < count; ++i) {
        const OM_uint32 type = GSS_IOV_BUFFER_TYPE(iov[i].type);
        if (type == GSS_IOV_BUFFER_TYPE_DATA) parts.push_back({span_of(iov[i].buffer), seal});
        if (type == GSS_IOV_BUFFER_TYPE_SIGN_ONLY) parts.push_back({span_of(iov[i].buffer), false});
    }
    return parts;
}

void refuse_types(gss_iov_buffer_desc* iov, int count, std::initializer_list<OM_uint32> types, const char* call) {
    for (int i = 0; i < count; ++i)
        for (const OM_uint32 t : types)
            if (GSS_IOV_BUFFER_TYPE(iov[i].type) == t)
                throw GssError(GSS_S_FAILURE, Minor::bad_iov, std::string("buffer type not valid for ") + call);
}

SessionSecurity::Signature signature_of(ByteView b) {
    SessionSecurity::Signature s{};
    std::copy(b.begin(), b.end(), s.begin());
    return s;
}

OM_uint32 unwrap_stream(ContextHandle& ctx, gss_iov_buffer_desc* iov, int count, gss_iov_buffer_t stream,
                        int* conf_state) {
    // RFC 4121-style STREAM | DATA: the DATA buffer is pointed into the
    // stream (or, with ALLOCATE, given a copy) after checking.
    gss_iov_buffer_t data = locate(iov, count, GSS_IOV_BUFFER_TYPE_DATA);
    if (data == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, "STREAM needs exactly one DATA buffer");
    if (locate(iov, count, GSS_IOV_BUFFER_TYPE_HEADER) != nullptr)
        throw GssError(GSS_S_FAILURE, Minor::bad_iov, "STREAM with a HEADER buffer");
    const std::span<uint8_t> whole = span_of(stream->buffer);
    if (whole.size() < sig_size)
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a wrap token starts with a 16-byte signature");
    const auto sig = signature_of(whole.first(sig_size));
    const std::span<uint8_t> body = whole.subspan(sig_size);
    const bool sealed = peer_seals(ctx);
    std::vector<SessionSecurity::Part> parts;
    for (int i = 0; i < count; ++i) {
        if (&iov[i] == data) parts.push_back({body, sealed});
        else if (GSS_IOV_BUFFER_TYPE(iov[i].type) == GSS_IOV_BUFFER_TYPE_SIGN_ONLY)
            parts.push_back({span_of(iov[i].buffer), false});
    }
    std::optional<MallocBuffer> copy;
    if (data->type & GSS_IOV_BUFFER_FLAG_ALLOCATE) copy.emplace(body.size());
    // The decrypted body is wiped if the check throws.
    struct WipeOnThrow {
        std::span<uint8_t> body;
        bool armed = true;
        ~WipeOnThrow() {
            if (armed) secure_wipe(body.data(), body.size());
        }
    } wipe{body};
    const OM_uint32 status = incoming(ctx, parts, sig, sealed);
    wipe.armed = false;
    if (copy) {
        if (!body.empty()) std::memcpy(copy->data(), body.data(), body.size());
        data->buffer.value = copy->release();
        data->type |= GSS_IOV_BUFFER_FLAG_ALLOCATED;
    } else {
        data->buffer.value = body.data();
    }
    data->buffer.length = body.size();
    if (conf_state != nullptr) *conf_state = sealed ? 1 : 0;
    return status;
}

}  // namespace

bool gssneg::mech::inquire_protection_by_oid(const ContextHandle& ctx, gss_const_OID desired_object,
                                              gss_buffer_set_t* data_set) {
    if (!oid_equal(desired_object, &oid::sasl_ssf)) return false;
    if (!ctx.established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
    const uint32_t ssf = ntlm::sasl_ssf(ctx.session.flags);
    const uint8_t be[4] = {static_cast<uint8_t>(ssf >> 24), static_cast<uint8_t>(ssf >> 16),
                           static_cast<uint8_t>(ssf >> 8), static_cast<uint8_t>(ssf)};
    *data_set = make_buffer_set({ByteView(be, 4)});
    return true;
}

GSSNEG_EXPORT OM_uint32 gss_get_mic(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t qop_req,
                                    gss_buffer_t message_buffer, gss_buffer_t message_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (message_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(message_token);
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        ContextHandle* ctx = established(context_handle);
        const ByteView msg = view_of(message_buffer);
        const SessionSecurity::Part part{{const_cast<uint8_t*>(msg.data()), msg.size()}, false};
        const auto sig = outgoing(*ctx, {&part, 1}, false);
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
        if (sig.size() != sig_size) throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a MIC is 16 bytes");
        const ByteView msg = view_of(message_buffer);
        const SessionSecurity::Part part{{const_cast<uint8_t*>(msg.data()), msg.size()}, false};
        return incoming(*ctx, {&part, 1}, sig, false);
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
        const bool seal = wrap_seals(*ctx, conf_req_flag);

        // Built in the malloc'ed output buffer itself: no second copy.
        MallocBuffer out(sig_size + in.size());
        if (!in.empty()) std::memcpy(out.data() + sig_size, in.data(), in.size());
        const SessionSecurity::Part part{{out.data() + sig_size, in.size()}, seal};
        const auto sig = outgoing(*ctx, {&part, 1}, seal);
        std::memcpy(out.data(), sig.data(), sig_size);
        output_message_buffer->value = out.release();
        output_message_buffer->length = sig_size + in.size();
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
        if (in.size() < sig_size)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a wrap token starts with a 16-byte signature");
        const auto sig = signature_of(in.first(sig_size));
        const size_t n = in.size() - sig_size;
        MallocBuffer body(n);
        if (n != 0) std::memcpy(body.data(), in.data() + sig_size, n);
        const bool sealed = peer_seals(*ctx);
        const SessionSecurity::Part part{{body.data(), n}, sealed};
        const OM_uint32 status = incoming(*ctx, {&part, 1}, sig, sealed);
        if (n != 0) {
            output_message_buffer->value = body.release();
            output_message_buffer->length = n;
        }
        if (conf_state != nullptr) *conf_state = sealed ? 1 : 0;
        return status;
    });
}

GSSNEG_EXPORT OM_uint32 gss_wrap_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                     gss_qop_t qop_req, int* conf_state, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (conf_state != nullptr) *conf_state = 0;
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        check_iov_args(iov, iov_count);
        ContextHandle* ctx = established(context_handle);
        const bool seal = wrap_seals(*ctx, conf_req_flag);
        refuse_types(iov, iov_count, {GSS_IOV_BUFFER_TYPE_STREAM, GSS_IOV_BUFFER_TYPE_MIC_TOKEN}, "gss_wrap_iov");
        gss_iov_buffer_t header = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_HEADER);
        prepare_token_buffer(header, "HEADER");
        zero_length(locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_PADDING));
        zero_length(locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_TRAILER));
        const auto parts = message_parts(iov, iov_count, seal);
        const auto sig = outgoing(*ctx, parts, seal);
        std::memcpy(header->buffer.value, sig.data(), sig_size);
        if (conf_state != nullptr) *conf_state = seal ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_wrap_iov_length(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                            gss_qop_t qop_req, int* conf_state, gss_iov_buffer_desc* iov,
                                            int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (conf_state != nullptr) *conf_state = 0;
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        check_iov_args(iov, iov_count);
        ContextHandle* ctx = established(context_handle);
        const bool seal = wrap_seals(*ctx, conf_req_flag);
        gss_iov_buffer_t header = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_HEADER);
        if (header == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, "no single HEADER buffer");
        header->buffer.length = sig_size;
        zero_length(locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_PADDING));
        zero_length(locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_TRAILER));
        if (conf_state != nullptr) *conf_state = seal ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_unwrap_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, int* conf_state,
                                       gss_qop_t* qop_state, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (conf_state != nullptr) *conf_state = 0;
        if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
        check_iov_args(iov, iov_count);
        ContextHandle* ctx = established(context_handle);
        if (gss_iov_buffer_t stream = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_STREAM))
            return unwrap_stream(*ctx, iov, iov_count, stream, conf_state);
        // MIT krb5's kg_unseal_iov: no HEADER is the caller's mistake
        // (EINVAL, GSS_S_FAILURE); a header of the wrong size or a
        // non-empty TRAILER is a defective token (kg_unseal_v1_iov).
        gss_iov_buffer_t header = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_HEADER);
        if (header == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, "no single HEADER buffer");
        if (header->buffer.length != sig_size || header->buffer.value == nullptr)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "the HEADER is the 16-byte signature");
        for (const OM_uint32 t : {GSS_IOV_BUFFER_TYPE_TRAILER, GSS_IOV_BUFFER_TYPE_PADDING}) {
            const gss_iov_buffer_t b = locate(iov, iov_count, t);
            if (b != nullptr && b->buffer.length != 0)
                throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::trailing_data, "NTLM has no padding or trailer");
        }
        const bool sealed = peer_seals(*ctx);
        const auto parts = message_parts(iov, iov_count, sealed);
        const auto sig = signature_of(ByteView(static_cast<const uint8_t*>(header->buffer.value), sig_size));
        const OM_uint32 status = incoming(*ctx, parts, sig, sealed);
        if (conf_state != nullptr) *conf_state = sealed ? 1 : 0;
        return status;
    });
}

// gss_wrap_aead and gss_unwrap_aead (DCE RPC's calls): the payload sealed
// and the associated data signed only, through the IOV calls above. The
// token is the 16-byte signature and the payload, without the associated
// data, which travels apart: the token MIT's mechglue builds from a
// mechanism's IOV calls (a HEADER, SIGN_ONLY then DATA, no padding or
// trailer in NTLM).
GSSNEG_EXPORT OM_uint32 gss_wrap_aead(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag,
                                      gss_qop_t qop_req, gss_buffer_t input_assoc_buffer,
                                      gss_buffer_t input_payload_buffer, int* conf_state,
                                      gss_buffer_t output_message_buffer) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_message_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_message_buffer);
        if (input_payload_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        const ByteView payload = view_of(input_payload_buffer);
        SecureBytes token(sig_size + payload.size());
        if (!payload.empty()) std::memcpy(token.data() + sig_size, payload.data(), payload.size());
        std::vector<gss_iov_buffer_desc> iov;
        iov.push_back({GSS_IOV_BUFFER_TYPE_HEADER, {sig_size, token.data()}});
        if (input_assoc_buffer != GSS_C_NO_BUFFER) iov.push_back({GSS_IOV_BUFFER_TYPE_SIGN_ONLY, *input_assoc_buffer});
        iov.push_back({GSS_IOV_BUFFER_TYPE_DATA, {payload.size(), token.data() + sig_size}});
        const OM_uint32 major = gss_wrap_iov(minor_status, context_handle, conf_req_flag, qop_req, conf_state,
                                             iov.data(), static_cast<int>(iov.size()));
        if (GSS_ERROR(major)) return major;
        set_buffer(output_message_buffer, ByteView(token.data(), token.size()));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_unwrap_aead(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                        gss_buffer_t input_message_buffer, gss_buffer_t input_assoc_buffer,
                                        gss_buffer_t output_payload_buffer, int* conf_state, gss_qop_t* qop_state) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_payload_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_payload_buffer);
        if (input_message_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        const ByteView message = view_of(input_message_buffer);
        if (message.size() < sig_size)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a wrap token starts with its 16-byte signature");
        SecureBytes work(message.begin(), message.end());
        std::vector<gss_iov_buffer_desc> iov;
        iov.push_back({GSS_IOV_BUFFER_TYPE_HEADER, {sig_size, work.data()}});
        if (input_assoc_buffer != GSS_C_NO_BUFFER) iov.push_back({GSS_IOV_BUFFER_TYPE_SIGN_ONLY, *input_assoc_buffer});
        iov.push_back({GSS_IOV_BUFFER_TYPE_DATA, {work.size() - sig_size, work.data() + sig_size}});
        const OM_uint32 major = gss_unwrap_iov(minor_status, context_handle, conf_state, qop_state, iov.data(),
                                               static_cast<int>(iov.size()));
        if (GSS_ERROR(major)) return major;
        set_buffer(output_payload_buffer, ByteView(work.data() + sig_size, work.size() - sig_size));
        return major;
    });
}

GSSNEG_EXPORT OM_uint32 gss_get_mic_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t qop_req,
                                        gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        check_iov_args(iov, iov_count);
        ContextHandle* ctx = established(context_handle);
        gss_iov_buffer_t mic = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_MIC_TOKEN);
        prepare_token_buffer(mic, "MIC_TOKEN");
        const auto parts = message_parts(iov, iov_count, false);
        const auto sig = outgoing(*ctx, parts, false);
        std::memcpy(mic->buffer.value, sig.data(), sig_size);
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_get_mic_iov_length(OM_uint32* minor_status, gss_ctx_id_t context_handle,
                                               gss_qop_t qop_req, gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        check_iov_args(iov, iov_count);
        established(context_handle);
        gss_iov_buffer_t mic = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_MIC_TOKEN);
        if (mic == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, "no single MIC_TOKEN buffer");
        mic->buffer.length = sig_size;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_verify_mic_iov(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_qop_t* qop_state,
                                           gss_iov_buffer_desc* iov, int iov_count) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (qop_state != nullptr) *qop_state = GSS_C_QOP_DEFAULT;
        check_iov_args(iov, iov_count);
        ContextHandle* ctx = established(context_handle);
        gss_iov_buffer_t mic = locate(iov, iov_count, GSS_IOV_BUFFER_TYPE_MIC_TOKEN);
        if (mic == nullptr) throw GssError(GSS_S_FAILURE, Minor::bad_iov, "no single MIC_TOKEN buffer");
        if (mic->buffer.length != sig_size || mic->buffer.value == nullptr)
            throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::token_truncated, "a MIC is 16 bytes");
        const auto sig = signature_of(ByteView(static_cast<const uint8_t*>(mic->buffer.value), sig_size));
        return incoming(*ctx, message_parts(iov, iov_count, false), sig, false);
    });
}

GSSNEG_EXPORT OM_uint32 gss_wrap_size_limit(OM_uint32* minor_status, gss_ctx_id_t context_handle, int, gss_qop_t qop_req,
                                            OM_uint32 req_output_size, OM_uint32* max_input_size) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (max_input_size == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *max_input_size = 0;
        if (qop_req != GSS_C_QOP_DEFAULT) return GSS_S_BAD_QOP;
        established(context_handle);
        if (req_output_size > sig_size) *max_input_size = req_output_size - static_cast<OM_uint32>(sig_size);
        return GSS_S_COMPLETE;
    });
}

// MS-NLMP defines no pseudo-random function, and neither Windows nor
// gss-ntlmssp offers one over NTLM: inventing one (say, HMAC-MD5 under the
// session key) would interoperate with nobody.
GSSNEG_EXPORT OM_uint32 gss_pseudo_random(OM_uint32* minor_status, gss_ctx_id_t context_handle, int, const gss_buffer_t,
                                          ssize_t, gss_buffer_t prf_out) {
    return guard(minor_status, [&]() -> OM_uint32 {
        clear_buffer(prf_out);
        context_of(context_handle);
        throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option, "NTLM (MS-NLMP) defines no pseudo-random function");
    });
}

GSSNEG_EXPORT OM_uint32 gss_set_sec_context_option(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                                   const gss_OID desired_object, const gss_buffer_t value) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_READ;
        ContextHandle* ctx = context_of(*context_handle);
        if (oid_equal(desired_object, &oid::ntlm_reset_crypto)) {
            // MS-SPNG 3.3.5.1: after the mechListMIC the RC4 handles restart.
            // MIT's SPNEGO passes an OM_uint32: 1 after verifying the peer's
            // MIC (reset the incoming handle), 0 after making ours (the
            // outgoing one); gss-ntlmssp reads it the same way. Sequence
            // numbers go on (ntlm/message_protection.h).
            if (!ctx->established) throw GssError(GSS_S_NO_CONTEXT, Minor::context_incomplete);
            const ByteView v = view_of(value);
            if (v.empty()) {
                ctx->protection().reset_rc4();
                return GSS_S_COMPLETE;
            }
            if (v.size() != sizeof(OM_uint32))
                throw GssError(GSS_S_FAILURE, Minor::unsupported_option, "the reset value is a 4-byte OM_uint32");
            OM_uint32 verify = 0;
            std::memcpy(&verify, v.data(), sizeof verify);
            ctx->protection().reset_rc4(verify == 1 ? SessionSecurity::Stream::incoming
                                                 : SessionSecurity::Stream::outgoing);
            return GSS_S_COMPLETE;
        }
        throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
    });
}
