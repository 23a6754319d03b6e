// The module's real C entry points, linked into this program with no
// mechglue between: gss_accept_sec_context takes a NEGOTIATE (fuzzed, or a
// real one from the fixed core initiator) and then an AUTHENTICATE (fuzzed,
// after the real NEGOTIATE); an established context then gets fuzzed
// gss_unwrap / gss_verify_mic tokens mixed with gss_wrap / gss_get_mic.
// The acceptor finds the user database through NTLM_USER_FILE, as in a
// real host process.
//
// Input: selector (1) | leg token (2-byte LE length, bytes) | records:
//   op (1) | first (2-byte LE length, bytes) | second (same)
// Selector: bits 0-2 the initiator's LM_COMPAT_LEVEL (mod 6), bit 3 pass
// channel bindings to both sides, bit 4 fuzz the NEGOTIATE leg instead.
//
// The guard turns every exception into a status; an exception that is not
// a GssError shows as Minor::internal_error and is a finding (abort).

#include "fuzz_common.h"
#include "ntlm/ntlm_crypto.h"
#include "util/errors.h"
#include "util/gss_headers.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace gssneg;

namespace {

class Cursor final {
public:
    Cursor(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    bool empty() const noexcept { return m_pos >= m_size; }
    uint8_t u8() noexcept { return m_pos < m_size ? m_data[m_pos++] : 0; }
    std::vector<uint8_t> field() {
        size_t n = u8();
        n |= static_cast<size_t>(u8()) << 8;
        n = std::min(n, m_size - std::min(m_pos, m_size));
        std::vector<uint8_t> out(m_data + m_pos, m_data + m_pos + n);
        m_pos += n;
        return out;
    }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_pos = 0;
};

gss_buffer_desc buffer_of(std::vector<uint8_t>& v) { return {v.size(), v.empty() ? nullptr : v.data()}; }

void release(gss_buffer_desc& b) {
    std::free(b.value);
    b = GSS_C_EMPTY_BUFFER;
}

void check(OM_uint32 minor) {
    if (minor == minor_value(Minor::internal_error)) std::abort();
}

gss_channel_bindings_struct bindings() {
    static std::string app_data(fuzz::binding_data);
    gss_channel_bindings_struct cb{};
    cb.initiator_addrtype = GSS_C_AF_UNSPEC;
    cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
    cb.application_data = {app_data.size(), app_data.data()};
    return cb;
}

void protect(gss_ctx_id_t ctx, Cursor& in) {
    while (!in.empty()) {
        const uint8_t op = in.u8() % 4;
        std::vector<uint8_t> first = in.field();
        std::vector<uint8_t> second = in.field();
        gss_buffer_desc a = buffer_of(first);
        gss_buffer_desc b = buffer_of(second);
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        OM_uint32 minor = 0;
        int conf = 0;
        gss_qop_t qop = 0;
        switch (op) {
        case 0: gss_unwrap(&minor, ctx, &a, &out, &conf, &qop); break;
        case 1: gss_verify_mic(&minor, ctx, &a, &b, &qop); break;
        case 2: gss_wrap(&minor, ctx, first.size() % 2, GSS_C_QOP_DEFAULT, &a, &conf, &out); break;
        case 3: gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &a, &out); break;
        }
        check(minor);
        release(out);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    setenv("NTLM_USER_FILE", fuzz::user_file().c_str(), 1);
    setenv("GSS_NEGOTIATE_CONFIG", "/nonexistent/gss-negotiate.conf", 1);
    unsetenv("GSS_NEGOTIATE_TRACE");
    unsetenv("LM_COMPAT_LEVEL");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    fuzz::reset_random();
    Cursor in(data, size);
    const uint8_t selector = in.u8();
    const int level = (selector & 7) % 6;
    const bool with_bindings = (selector & 0x08) != 0;
    const bool fuzz_negotiate = (selector & 0x10) != 0;
    std::vector<uint8_t> leg = in.field();

    gss_channel_bindings_struct cb = bindings();
    const gss_channel_bindings_t cbp = with_bindings ? &cb : GSS_C_NO_CHANNEL_BINDINGS;
    ntlm::ClientParams params = fuzz::client_params(level);
    params.channel_bindings.reset();
    if (with_bindings)
        params.channel_bindings = ntlm::channel_bindings_hash(cb.initiator_addrtype, {}, cb.acceptor_addrtype, {},
                                                              as_bytes(fuzz::binding_data));
    ntlm::NtlmClient client(fuzz::initiator_credential(), params);
    std::vector<uint8_t> negotiate = fuzz_negotiate ? leg : client.step({});

    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_name_t source = GSS_C_NO_NAME;
    OM_uint32 minor = 0;
    OM_uint32 flags = 0;
    OM_uint32 lifetime = 0;
    gss_buffer_desc input = buffer_of(negotiate);
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL, &input, cbp, &source, nullptr,
                                             &output, &flags, &lifetime, nullptr);
    check(minor);
    release(output);
    if (major == GSS_S_CONTINUE_NEEDED && !fuzz_negotiate) {
        input = buffer_of(leg);
        major = gss_accept_sec_context(&minor, &ctx, GSS_C_NO_CREDENTIAL, &input, cbp, &source, nullptr, &output,
                                       &flags, &lifetime, nullptr);
        check(minor);
        release(output);
    }
    if (major == GSS_S_COMPLETE) {
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        gss_OID type = GSS_C_NO_OID;
        if (source != GSS_C_NO_NAME) gss_display_name(&minor, source, &text, &type);
        release(text);
        int open = 0;
        gss_inquire_context(&minor, ctx, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &open);
        if (!open) std::abort();
        protect(ctx, in);
    }
    if (source != GSS_C_NO_NAME) gss_release_name(&minor, &source);
    if (ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return 0;
}
