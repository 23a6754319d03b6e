// Incoming per-message tokens at an established context, through the
// module's own entry points. One NTLM context pair (NTLMv2, ESS, KEY_EXCH,
// SIGN and SEAL, replay and sequence detection) is made once, by the
// deterministic handshake of fuzz_context_pair, and exported; each input
// imports the receiving side afresh, so that every input meets the same
// keys, RC4 positions and sequence window and a crash replays by itself.
//
// Input: selector (1) | token (the rest)
//   bits 0-1  0 gss_unwrap, 1 gss_verify_mic, 2 gss_unwrap_iov over STREAM
//             and DATA buffers, 3 gss_unwrap_iov over HEADER and DATA
//   bit 2     the initiator receives (the token is the acceptor's);
//             otherwise the acceptor receives
//   bit 3     STREAM: the DATA buffer asks for ALLOCATE; HEADER: empty
//             PADDING and TRAILER buffers follow the DATA
// For gss_verify_mic and the HEADER form the first 16 bytes (all of them,
// if fewer) are the MIC or HEADER, the rest the message or DATA.
//
// Checked on every input (abort() when one fails):
//   - the same token through another form of the call, on a second fresh
//     import, gets the same major status and, for an unwrap, the same
//     message: gss_unwrap against gss_unwrap_iov over STREAM, both
//     gss_unwrap_iov forms against gss_unwrap, gss_verify_mic against
//     gss_verify_mic_iov;
//   - an accepted wrap token reports confidentiality (the pair has SEAL);
//   - a token accepted once is not GSS_S_COMPLETE a second time on the same
//     context.
// An exception that is not a GssError shows as Minor::internal_error and is
// a finding too.

#include "fuzz_common.h"
#include "fuzz_context_pair.h"
#include "util/errors.h"

#include <algorithm>
#include <cstdlib>

using namespace gssneg;

namespace {

constexpr size_t signature_size = 16;

enum class Op { unwrap, verify_mic, unwrap_stream, unwrap_header, verify_mic_iov };

struct Outcome {
    OM_uint32 major = 0;
    Bytes message;
    int conf = 0;
};

struct Exports {
    Bytes initiator;
    Bytes acceptor;
};

const Exports& exports() {
    static const Exports e = [] {
        fuzz::ContextPair pair;
        if ((pair.initiator_flags() & fuzz::protect_flags) != fuzz::protect_flags ||
            (pair.acceptor_flags() & fuzz::protect_flags) != fuzz::protect_flags)
            fuzz::fail("the context pair lacks a requested service");
        Exports out;
        out.initiator = fuzz::export_context(pair.initiator());
        out.acceptor = fuzz::export_context(pair.acceptor());
        return out;
    }();
    return e;
}

void check(OM_uint32 minor) {
    if (minor == minor_value(Minor::internal_error)) fuzz::fail("an exception that is not a GssError");
}

gss_iov_buffer_desc iov_of(OM_uint32 type, Bytes& bytes) {
    return {type, fuzz::buffer_of(bytes)};
}

Bytes bytes_of(const gss_buffer_desc& b) {
    const auto* p = static_cast<const uint8_t*>(b.value);
    return p == nullptr ? Bytes{} : Bytes(p, p + b.length);
}

Outcome unwrap(gss_ctx_id_t ctx, ByteView token) {
    gss_buffer_desc in = fuzz::buffer_of(token);
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    Outcome o;
    OM_uint32 minor = 0;
    o.major = gss_unwrap(&minor, ctx, &in, &out, &o.conf, nullptr);
    check(minor);
    o.message = fuzz::take(out);
    return o;
}

Outcome unwrap_stream(gss_ctx_id_t ctx, ByteView token, bool allocate) {
    Bytes stream(token.begin(), token.end());
    Bytes none;
    gss_iov_buffer_desc iov[] = {
        iov_of(GSS_IOV_BUFFER_TYPE_STREAM, stream),
        iov_of(GSS_IOV_BUFFER_TYPE_DATA | (allocate ? GSS_IOV_BUFFER_FLAG_ALLOCATE : 0), none),
    };
    Outcome o;
    OM_uint32 minor = 0;
    o.major = gss_unwrap_iov(&minor, ctx, &o.conf, nullptr, iov, 2);
    check(minor);
    o.message = bytes_of(iov[1].buffer);
    if (iov[1].type & GSS_IOV_BUFFER_FLAG_ALLOCATED) {
        if (!allocate) fuzz::fail("gss_unwrap_iov allocated a buffer nobody asked for");
        std::free(iov[1].buffer.value);
    }
    return o;
}

Outcome unwrap_header(gss_ctx_id_t ctx, ByteView token, bool padding_and_trailer) {
    const size_t split = std::min(token.size(), signature_size);
    Bytes header(token.begin(), token.begin() + static_cast<ptrdiff_t>(split));
    Bytes data(token.begin() + static_cast<ptrdiff_t>(split), token.end());
    Bytes none;
    gss_iov_buffer_desc iov[] = {
        iov_of(GSS_IOV_BUFFER_TYPE_HEADER, header),
        iov_of(GSS_IOV_BUFFER_TYPE_DATA, data),
        iov_of(GSS_IOV_BUFFER_TYPE_PADDING, none),
        iov_of(GSS_IOV_BUFFER_TYPE_TRAILER, none),
    };
    Outcome o;
    OM_uint32 minor = 0;
    o.major = gss_unwrap_iov(&minor, ctx, &o.conf, nullptr, iov, padding_and_trailer ? 4 : 2);
    check(minor);
    // The DATA is decrypted in place.
    if (!GSS_ERROR(o.major)) o.message = data;
    return o;
}

Outcome verify_mic(gss_ctx_id_t ctx, ByteView token) {
    const size_t split = std::min(token.size(), signature_size);
    gss_buffer_desc mic = fuzz::buffer_of(token.first(split));
    gss_buffer_desc message = fuzz::buffer_of(token.subspan(split));
    Outcome o;
    OM_uint32 minor = 0;
    o.major = gss_verify_mic(&minor, ctx, &message, &mic, nullptr);
    check(minor);
    return o;
}

Outcome verify_mic_iov(gss_ctx_id_t ctx, ByteView token) {
    const size_t split = std::min(token.size(), signature_size);
    Bytes mic(token.begin(), token.begin() + static_cast<ptrdiff_t>(split));
    Bytes message(token.begin() + static_cast<ptrdiff_t>(split), token.end());
    gss_iov_buffer_desc iov[] = {
        iov_of(GSS_IOV_BUFFER_TYPE_DATA, message),
        iov_of(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic),
    };
    Outcome o;
    OM_uint32 minor = 0;
    o.major = gss_verify_mic_iov(&minor, ctx, nullptr, iov, 2);
    check(minor);
    return o;
}

Outcome run(Op op, bool variant, gss_ctx_id_t ctx, ByteView token) {
    switch (op) {
    case Op::unwrap: return unwrap(ctx, token);
    case Op::verify_mic: return verify_mic(ctx, token);
    case Op::unwrap_stream: return unwrap_stream(ctx, token, variant);
    case Op::unwrap_header: return unwrap_header(ctx, token, variant);
    case Op::verify_mic_iov: return verify_mic_iov(ctx, token);
    }
    std::abort();
}

// The other form each call is compared with.
Op counterpart(Op op) {
    switch (op) {
    case Op::unwrap: return Op::unwrap_stream;
    case Op::verify_mic: return Op::verify_mic_iov;
    case Op::unwrap_stream:
    case Op::unwrap_header: return Op::unwrap;
    case Op::verify_mic_iov: return Op::verify_mic;
    }
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::use_module_environment();
    exports();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t selector = data[0];
    const ByteView token = fuzz::input(data + 1, size - 1);
    const auto op = static_cast<Op>(selector & 3);
    const bool initiator_receives = (selector & 0x04) != 0;
    const bool variant = (selector & 0x08) != 0;
    const ByteView saved = initiator_receives ? exports().initiator : exports().acceptor;

    gss_ctx_id_t ctx = fuzz::import_context(saved);
    gss_ctx_id_t other = fuzz::import_context(saved);
    const Outcome first = run(op, variant, ctx, token);
    const Outcome reference = run(counterpart(op), false, other, token);
    if (first.major != reference.major || first.message != reference.message)
        fuzz::fail("two forms of the same check disagree");
    if (!GSS_ERROR(first.major)) {
        if (op != Op::verify_mic && first.conf != 1) fuzz::fail("an accepted wrap token without confidentiality");
        if (run(op, variant, ctx, token).major == GSS_S_COMPLETE) fuzz::fail("a replayed token was accepted");
    }
    OM_uint32 minor = 0;
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &other, GSS_C_NO_BUFFER);
    return 0;
}
