// Context transfer: gss_export_sec_context / gss_import_sec_context
// (RFC 2743 2.2.8, 2.2.9). The token format is ntlm/context_export.h; the
// mechglue frames it with the mechanism OID.

#include "mech/guard.h"
#include "mech/handles.h"
#include "ntlm/context_export.h"
#include "util/config.h"

#include <cstdlib>
#include <cstring>
#include <memory>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

ntlm::ExportedContext snapshot(ContextHandle& ctx) {
    ntlm::ExportedContext e;
    e.initiator = ctx.initiator;
    e.negotiated_flags = ctx.session.flags;
    e.req_flags = ctx.req_flags;
    e.ret_flags = ctx.ret_flags;
    e.expiry = static_cast<int64_t>(ctx.expiry);
    e.response = ctx.session.response;
    e.mic_present = ctx.session.mic_present;
    e.exported_session_key = ctx.session.exported_session_key;
    e.send_seq = ctx.sequence.send_seq;
    e.recv_next = ctx.sequence.received.next();
    e.recv_seen = ctx.sequence.received.seen();
    const auto streams = ctx.protection().stream_positions();
    if (streams.outgoing > ntlm::ExportedContext::max_stream_position ||
        streams.incoming > ntlm::ExportedContext::max_stream_position)
        throw GssError(GSS_S_UNAVAILABLE, Minor::export_stream_too_long,
                       "an RC4 stream is past the position an import will replay");
    e.outgoing_stream = streams.outgoing;
    e.incoming_stream = streams.incoming;
    e.initiator_name = ctx.session.initiator;
    e.target_name = ctx.target;
    return e;
}

std::unique_ptr<ContextHandle> rebuild(const ntlm::ExportedContext& e) {
    auto ctx = std::make_unique<ContextHandle>();
    ctx->initiator = e.initiator;
    ctx->req_flags = e.req_flags;
    ctx->ret_flags = e.ret_flags;
    ctx->established = true;
    ctx->dummy_signature = current_config()->dummy_signature;
    ctx->expiry = static_cast<time_t>(e.expiry);
    ctx->session.flags = e.negotiated_flags;
    ctx->session.exported_session_key = e.exported_session_key;
    ctx->session.mic_present = e.mic_present;
    ctx->session.response = e.response;
    ctx->session.initiator = e.initiator_name;
    ctx->target = e.target_name;
    ctx->security = std::make_unique<ntlm::SessionSecurity>(e.negotiated_flags, e.exported_session_key, e.initiator);
    const bool shared = ctx->security->shared_stream();
    const bool dummy = ctx->security->dummy_signatures();
    if ((dummy && (e.outgoing_stream != 0 || e.incoming_stream != 0)) ||
        (shared && e.incoming_stream != e.outgoing_stream))
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "exported context: stream positions");
    ctx->security->restore_stream_positions({e.outgoing_stream, e.incoming_stream});
    ctx->sequence.send_seq = e.send_seq;
    ctx->sequence.received = ntlm::SequenceWindow(e.recv_next, e.recv_seen);
    return ctx;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_export_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle,
                                               gss_buffer_t interprocess_token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (interprocess_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(interprocess_token);
        if (context_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_READ;
        ContextHandle* ctx = context_of(*context_handle);
        // A half-done handshake keeps its state in the client or server
        // object; only complete contexts travel (the context stays usable).
        if (!ctx->established)
            throw GssError(GSS_S_UNAVAILABLE, Minor::context_incomplete, "only complete NTLM contexts can be exported");
        const SecureBytes token = snapshot(*ctx).serialize();
        set_buffer(interprocess_token, ByteView(token));
        // RFC 2743 2.2.8: "the context is deactivated".
        delete ctx;
        *context_handle = GSS_C_NO_CONTEXT;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_import_sec_context(OM_uint32* minor_status, gss_buffer_t interprocess_token,
                                               gss_ctx_id_t* context_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (context_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *context_handle = GSS_C_NO_CONTEXT;
        if (interprocess_token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        auto ctx = rebuild(ntlm::ExportedContext::parse(view_of(interprocess_token)));
        *context_handle = reinterpret_cast<gss_ctx_id_t>(ctx.release());
        return GSS_S_COMPLETE;
    });
}
