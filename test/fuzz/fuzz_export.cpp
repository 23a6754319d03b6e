// The interprocess token of an NTLM context (ntlm/context_export.h) at the
// module's own gss_import_sec_context (the mech objects are compiled into
// this program, with no mechglue between). A token that imports is then
// used:
//   - gss_inquire_context must describe what the token says (open, role,
//     mechanism, flags);
//   - its mirror image (the other role, the streams and sequence numbers of
//     the other end) is imported too, and a message wrapped by one must
//     unwrap at the other, a MIC made by the other must verify at the first:
//     whatever the flags, keys and positions, the two ends agree;
//   - gss_get_mic, then gss_export_sec_context again: that token imports,
//     keeps the fields no call changes, and exports to itself;
//   - gss_delete_sec_context.
// Any status but GSS_S_COMPLETE from import is fine; an exception that is
// not a GssError shows as Minor::internal_error and is a finding (abort).

#include "fuzz_common.h"
#include "fuzz_context_pair.h"
#include "mech/oids.h"
#include "ntlm/context_export.h"
#include "ntlm/flags.h"
#include "util/errors.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

using namespace gssneg;

namespace {

// Import re-keys each RC4 handle and discards keystream up to the exported
// positions, which it accepts up to ExportedContext::max_stream_position
// (4 GiB per stream). libFuzzer finds large counts at once and would then
// spend its time discarding keystream, so this target drops inputs
// whose counts exceed the bound below before calling import; every other
// input reaches import unchanged. The 4 GiB limit itself is checked by
// test/unit/test_context_export.cpp.
constexpr uint64_t max_fuzzed_stream_position = 64 * 1024;

// The positions sit after the magic (4), version (2), OID length (1), the
// OID, role (1), three flag words (12), expiry (8), response kind (1), MIC
// byte (1), session key (16) and three sequence fields (16).
bool streams_too_far(ByteView token) {
    constexpr size_t oid_length_at = 6;
    if (token.size() <= oid_length_at) return false;
    const size_t at = oid_length_at + 1 + token[oid_length_at] + 1 + 12 + 8 + 1 + 1 + 16 + 16;
    for (size_t field = at; field < at + 16; field += 8) {
        if (token.size() < field + 8) return false;
        uint64_t v = 0;
        for (size_t i = 0; i < 8; ++i) v = (v << 8) | token[field + i];
        if (v > max_fuzzed_stream_position) return true;
    }
    return false;
}

void check(OM_uint32 minor) {
    if (minor == minor_value(Minor::internal_error)) fuzz::fail("an exception that is not a GssError");
}

// The other end of the context the token describes: what that end would
// export at the same moment.
ntlm::ExportedContext mirror_of(const ntlm::ExportedContext& e) {
    ntlm::ExportedContext m = e;
    m.initiator = !e.initiator;
    m.outgoing_stream = e.incoming_stream;
    m.incoming_stream = e.outgoing_stream;
    if ((e.negotiated_flags & ntlm::flag::extended_session_security) != 0) {
        // One counter per direction: each end expects what the other sends
        // next. Without ESS one counter serves both, and is copied as it is.
        m.send_seq = e.recv_next;
        m.recv_next = e.send_seq;
        m.recv_seen = 0;
    }
    return m;
}

bool same_fixed_fields(const ntlm::ExportedContext& a, const ntlm::ExportedContext& b) {
    return a.initiator == b.initiator && a.negotiated_flags == b.negotiated_flags && a.req_flags == b.req_flags &&
           a.ret_flags == b.ret_flags && a.expiry == b.expiry && a.response == b.response &&
           a.mic_present == b.mic_present &&
           std::equal(ByteView(a.exported_session_key).begin(), ByteView(a.exported_session_key).end(),
                      ByteView(b.exported_session_key).begin(), ByteView(b.exported_session_key).end()) &&
           a.initiator_name.has_value() == b.initiator_name.has_value() &&
           a.target_name.has_value() == b.target_name.has_value();
}

void inquire(gss_ctx_id_t ctx, const ntlm::ExportedContext& e) {
    OM_uint32 minor = 0;
    gss_name_t source = GSS_C_NO_NAME;
    gss_name_t target = GSS_C_NO_NAME;
    OM_uint32 lifetime = 0;
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 flags = 0;
    int local = -1;
    int open = -1;
    if (gss_inquire_context(&minor, ctx, &source, &target, &lifetime, &mech, &flags, &local, &open) !=
        GSS_S_COMPLETE)
        fuzz::fail("gss_inquire_context on an imported context");
    if (open != 1 || local != (e.initiator ? 1 : 0) || mech != &mech::oid::ntlm || flags != e.ret_flags ||
        (source != GSS_C_NO_NAME) != e.initiator_name.has_value() ||
        (target != GSS_C_NO_NAME) != e.target_name.has_value())
        fuzz::fail("gss_inquire_context does not describe the imported token");
    for (gss_name_t* name : {&source, &target}) {
        if (*name == GSS_C_NO_NAME) continue;
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (gss_display_name(&minor, *name, &text, nullptr) != GSS_S_COMPLETE) fuzz::fail("gss_display_name");
        fuzz::take(text);
        gss_release_name(&minor, name);
    }
}

// A message wrapped at `from` unwraps at `to`; a MIC made at `to` verifies
// at `from`. Calls refused at `from` (expired, no confidentiality) prove
// nothing and end the check.
void converse(gss_ctx_id_t from, gss_ctx_id_t to) {
    static constexpr std::string_view text = "fuzz export";
    const ByteView message = as_bytes(text);
    gss_buffer_desc in = fuzz::buffer_of(message);
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor = 0;
    int conf = 0;
    OM_uint32 major = gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &in, &conf, &wrapped);
    check(minor);
    if (major != GSS_S_COMPLETE) return;
    gss_buffer_desc unwrapped = GSS_C_EMPTY_BUFFER;
    int peer_conf = -1;
    major = gss_unwrap(&minor, to, &wrapped, &unwrapped, &peer_conf, nullptr);
    check(minor);
    fuzz::take(wrapped);
    const Bytes plain = fuzz::take(unwrapped);
    if (major == GSS_S_CONTEXT_EXPIRED) return;
    if (major != GSS_S_COMPLETE || peer_conf != conf ||
        !std::equal(plain.begin(), plain.end(), message.begin(), message.end()))
        fuzz::fail("the mirror context does not unwrap what the imported one wrapped");

    gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
    major = gss_get_mic(&minor, to, GSS_C_QOP_DEFAULT, &in, &mic);
    check(minor);
    if (major != GSS_S_COMPLETE) fuzz::fail("gss_get_mic at the mirror context");
    major = gss_verify_mic(&minor, from, &in, &mic, nullptr);
    check(minor);
    fuzz::take(mic);
    if (major != GSS_S_COMPLETE && major != GSS_S_CONTEXT_EXPIRED)
        fuzz::fail("the imported context does not verify the mirror's MIC");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::use_module_environment();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteView token = fuzz::input(data, size);
    if (streams_too_far(token)) return 0;
    gss_buffer_desc buffer = fuzz::buffer_of(token);
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_import_sec_context(&minor, &buffer, &ctx);
    check(minor);
    if (major != GSS_S_COMPLETE) {
        if (ctx != GSS_C_NO_CONTEXT) fuzz::fail("a failed import returned a context");
        return 0;
    }
    // What import accepted, the token reader reads the same way.
    const ntlm::ExportedContext e = ntlm::ExportedContext::parse(token);
    inquire(ctx, e);

    const SecureBytes mirror_token = mirror_of(e).serialize();
    gss_ctx_id_t mirror = fuzz::import_context(ByteView(mirror_token));
    converse(ctx, mirror);

    gss_buffer_desc in = fuzz::buffer_of(as_bytes(std::string_view("mic")));
    gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
    gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &in, &mic);
    check(minor);
    fuzz::take(mic);

    const Bytes exported = fuzz::export_context(ctx);
    const ntlm::ExportedContext after = ntlm::ExportedContext::parse(exported);
    if (!same_fixed_fields(e, after)) fuzz::fail("export changed a field no call changes");
    gss_ctx_id_t again = fuzz::import_context(exported);
    if (fuzz::export_context(again) != exported) fuzz::fail("export(import(export)) differs");
    gss_delete_sec_context(&minor, &mirror, GSS_C_NO_BUFFER);
    return 0;
}
