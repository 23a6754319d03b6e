#include "fuzz_context_pair.h"

#include "fuzz_common.h"
#include "gss-negotiate/gss_negotiate.h"
#include "mech/oids.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace gssneg::fuzz {

namespace {

gss_name_t import_name(const std::string& text, gss_OID type) {
    OM_uint32 minor = 0;
    gss_buffer_desc buffer{text.size(), const_cast<char*>(text.data())};
    gss_name_t name = GSS_C_NO_NAME;
    if (gss_import_name(&minor, &buffer, type, &name) != GSS_S_COMPLETE) fail("gss_import_name");
    return name;
}

gss_cred_id_t initiator_cred(gss_name_t user_name) {
    gss_key_value_element_desc element{GSSNEG_CRED_STORE_PASSWORD, password};
    gss_key_value_set_desc store{1, &element};
    OM_uint32 minor = 0;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    if (gss_acquire_cred_from(&minor, user_name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_INITIATE, &store, &cred,
                              nullptr, nullptr) != GSS_S_COMPLETE)
        fail("gss_acquire_cred_from (initiator)");
    return cred;
}

}  // namespace

void use_module_environment() {
    setenv("NTLM_USER_FILE", user_file().c_str(), 1);
    setenv("GSS_NEGOTIATE_CONFIG", "/nonexistent/gss-negotiate.conf", 1);
    unsetenv("GSS_NEGOTIATE_TRACE");
    unsetenv("LM_COMPAT_LEVEL");
}

void fail(const char* what) {
    std::fprintf(stderr, "fuzz: %s\n", what);
    std::abort();
}

ContextPair::ContextPair(OM_uint32 req_flags, int lm_compat_level) {
    const std::string level = std::to_string(lm_compat_level);
    setenv("LM_COMPAT_LEVEL", level.c_str(), 1);
    reset_random();
    OM_uint32 minor = 0;
    gss_name_t user_name = import_name(std::string(domain) + "\\" + user, &mech::oid::nt_user_name);
    gss_name_t target_name = import_name(target, &mech::oid::nt_hostbased_service);
    gss_cred_id_t cred = initiator_cred(user_name);

    gss_buffer_desc negotiate = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc challenge = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc authenticate = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc nothing = GSS_C_EMPTY_BUFFER;
    if (gss_init_sec_context(&minor, cred, &m_initiator, target_name, &mech::oid::ntlm, req_flags, 0,
                             GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr, &negotiate, nullptr,
                             nullptr) != GSS_S_CONTINUE_NEEDED)
        fail("gss_init_sec_context (NEGOTIATE)");
    if (gss_accept_sec_context(&minor, &m_acceptor, GSS_C_NO_CREDENTIAL, &negotiate, GSS_C_NO_CHANNEL_BINDINGS,
                               nullptr, nullptr, &challenge, nullptr, nullptr, nullptr) != GSS_S_CONTINUE_NEEDED)
        fail("gss_accept_sec_context (NEGOTIATE)");
    if (gss_init_sec_context(&minor, cred, &m_initiator, target_name, &mech::oid::ntlm, req_flags, 0,
                             GSS_C_NO_CHANNEL_BINDINGS, &challenge, nullptr, &authenticate, &m_initiator_flags,
                             nullptr) != GSS_S_COMPLETE)
        fail("gss_init_sec_context (CHALLENGE)");
    if (gss_accept_sec_context(&minor, &m_acceptor, GSS_C_NO_CREDENTIAL, &authenticate, GSS_C_NO_CHANNEL_BINDINGS,
                               nullptr, nullptr, &nothing, &m_acceptor_flags, nullptr, nullptr) != GSS_S_COMPLETE)
        fail("gss_accept_sec_context (AUTHENTICATE)");

    take(negotiate);
    take(challenge);
    take(authenticate);
    take(nothing);
    gss_release_cred(&minor, &cred);
    gss_release_name(&minor, &user_name);
    gss_release_name(&minor, &target_name);
    unsetenv("LM_COMPAT_LEVEL");
}

ContextPair::~ContextPair() {
    OM_uint32 minor = 0;
    gss_delete_sec_context(&minor, &m_initiator, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &m_acceptor, GSS_C_NO_BUFFER);
}

Bytes export_context(gss_ctx_id_t& ctx) {
    OM_uint32 minor = 0;
    gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
    if (gss_export_sec_context(&minor, &ctx, &token) != GSS_S_COMPLETE) fail("gss_export_sec_context");
    return take(token);
}

gss_ctx_id_t import_context(ByteView token) {
    OM_uint32 minor = 0;
    gss_buffer_desc buffer = buffer_of(token);
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    if (gss_import_sec_context(&minor, &buffer, &ctx) != GSS_S_COMPLETE) fail("gss_import_sec_context");
    return ctx;
}

gss_buffer_desc buffer_of(ByteView bytes) noexcept {
    return {bytes.size(), bytes.empty() ? nullptr : const_cast<uint8_t*>(bytes.data())};
}

Bytes take(gss_buffer_desc& buffer) {
    const auto* p = static_cast<const uint8_t*>(buffer.value);
    Bytes out = p == nullptr ? Bytes{} : Bytes(p, p + buffer.length);
    std::free(buffer.value);
    buffer = GSS_C_EMPTY_BUFFER;
    return out;
}

}  // namespace gssneg::fuzz
