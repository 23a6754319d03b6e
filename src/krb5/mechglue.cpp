#include "krb5/mechglue.h"

#include "util/dl.h"

#include <dlfcn.h>

#include <array>
#include <cstdio>
#include <string>

namespace gssneg::krb5 {

namespace {

// libgssapi_krb5's soname on every MIT krb5 since 1.3.
constexpr const char* mechglue_soname = "libgssapi_krb5.so.2";

gss_OID_desc g_krb5_oid = {9, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")};
gss_OID_set_desc g_krb5_oid_set = {1, &g_krb5_oid};

const MechglueTable* load() {
    // RTLD_NOLOAD: only the copy the host already has. The handle is kept
    // for the life of the process; the library was loaded before us.
    void* lib = ::dlopen(mechglue_soname, RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr) return nullptr;
    static MechglueTable table;
    MechglueTable& t = table;
    const bool ok = resolve_symbol(lib, "gss_import_name", t.import_name) &&
                    resolve_symbol(lib, "gss_display_name", t.display_name) &&
                    resolve_symbol(lib, "gss_release_name", t.release_name) &&
                    resolve_symbol(lib, "gss_duplicate_name", t.duplicate_name) &&
                    resolve_symbol(lib, "gss_canonicalize_name", t.canonicalize_name) &&
                    resolve_symbol(lib, "gss_compare_name", t.compare_name) &&
                    resolve_symbol(lib, "gss_localname", t.localname) &&
                    resolve_symbol(lib, "gss_authorize_localname", t.authorize_localname) &&
                    resolve_symbol(lib, "gss_inquire_name", t.inquire_name) &&
                    resolve_symbol(lib, "gss_get_name_attribute", t.get_name_attribute) &&
                    resolve_symbol(lib, "gss_set_name_attribute", t.set_name_attribute) &&
                    resolve_symbol(lib, "gss_delete_name_attribute", t.delete_name_attribute) &&
                    resolve_symbol(lib, "gss_display_name_ext", t.display_name_ext) &&
                    resolve_symbol(lib, "gss_map_name_to_any", t.map_name_to_any) &&
                    resolve_symbol(lib, "gss_release_any_name_mapping", t.release_any_name_mapping) &&
                    resolve_symbol(lib, "gss_export_name_composite", t.export_name_composite) &&
                    resolve_symbol(lib, "gss_acquire_cred", t.acquire_cred) &&
                    resolve_symbol(lib, "gss_acquire_cred_from", t.acquire_cred_from) &&
                    resolve_symbol(lib, "gss_acquire_cred_with_password", t.acquire_cred_with_password) &&
                    resolve_symbol(lib, "gss_acquire_cred_impersonate_name", t.acquire_cred_impersonate_name) &&
                    resolve_symbol(lib, "gss_inquire_cred", t.inquire_cred) &&
                    resolve_symbol(lib, "gss_release_cred", t.release_cred) &&
                    resolve_symbol(lib, "gss_export_cred", t.export_cred) &&
                    resolve_symbol(lib, "gss_import_cred", t.import_cred) &&
                    resolve_symbol(lib, "gss_set_cred_option", t.set_cred_option) &&
                    resolve_symbol(lib, "gss_inquire_cred_by_oid", t.inquire_cred_by_oid) &&
                    resolve_symbol(lib, "gss_init_sec_context", t.init_sec_context) &&
                    resolve_symbol(lib, "gss_accept_sec_context", t.accept_sec_context) &&
                    resolve_symbol(lib, "gss_delete_sec_context", t.delete_sec_context) &&
                    resolve_symbol(lib, "gss_process_context_token", t.process_context_token) &&
                    resolve_symbol(lib, "gss_context_time", t.context_time) &&
                    resolve_symbol(lib, "gss_inquire_context", t.inquire_context) &&
                    resolve_symbol(lib, "gss_inquire_sec_context_by_oid", t.inquire_sec_context_by_oid) &&
                    resolve_symbol(lib, "gss_set_sec_context_option", t.set_sec_context_option) &&
                    resolve_symbol(lib, "gss_export_sec_context", t.export_sec_context) &&
                    resolve_symbol(lib, "gss_import_sec_context", t.import_sec_context) &&
                    resolve_symbol(lib, "gss_get_mic", t.get_mic) &&
                    resolve_symbol(lib, "gss_verify_mic", t.verify_mic) &&
                    resolve_symbol(lib, "gss_wrap", t.wrap) &&
                    resolve_symbol(lib, "gss_unwrap", t.unwrap) &&
                    resolve_symbol(lib, "gss_wrap_aead", t.wrap_aead) &&
                    resolve_symbol(lib, "gss_unwrap_aead", t.unwrap_aead) &&
                    resolve_symbol(lib, "gss_complete_auth_token", t.complete_auth_token) &&
                    resolve_symbol(lib, "gss_wrap_size_limit", t.wrap_size_limit) &&
                    resolve_symbol(lib, "gss_wrap_iov", t.wrap_iov) &&
                    resolve_symbol(lib, "gss_unwrap_iov", t.unwrap_iov) &&
                    resolve_symbol(lib, "gss_wrap_iov_length", t.wrap_iov_length) &&
                    resolve_symbol(lib, "gss_get_mic_iov", t.get_mic_iov) &&
                    resolve_symbol(lib, "gss_get_mic_iov_length", t.get_mic_iov_length) &&
                    resolve_symbol(lib, "gss_verify_mic_iov", t.verify_mic_iov) &&
                    resolve_symbol(lib, "gss_pseudo_random", t.pseudo_random) &&
                    resolve_symbol(lib, "gss_display_status", t.display_status) &&
                    resolve_symbol(lib, "gss_release_buffer", t.release_buffer) &&
                    resolve_symbol(lib, "gss_release_buffer_set", t.release_buffer_set);
    return ok ? &table : nullptr;
}

std::string status_text(const MechglueTable& t, OM_uint32 code, int type) {
    std::string text;
    OM_uint32 context = 0;
    do {
        OM_uint32 minor = 0;
        gss_buffer_desc buf{0, nullptr};
        if (GSS_ERROR(t.display_status(&minor, code, type, GSS_C_NO_OID, &context, &buf))) break;
        if (!text.empty()) text += "; ";
        text.append(static_cast<const char*>(buf.value), buf.length);
        t.release_buffer(&minor, &buf);
    } while (context != 0);
    return text;
}

}  // namespace

const MechglueTable* mechglue() {
    static const MechglueTable* const table = load();
    return table;
}

std::string describe_status(OM_uint32 major, OM_uint32 minor) {
    const MechglueTable* t = mechglue();
    std::string text;
    if (t != nullptr) {
        text = minor != 0 ? status_text(*t, minor, GSS_C_MECH_CODE) : std::string();
        if (text.empty()) text = status_text(*t, major, GSS_C_GSS_CODE);
    }
    if (!text.empty()) return text;
    // Codes only when the mechglue has no words for them.
    std::array<char, 64> codes{};
    std::snprintf(codes.data(), codes.size(), "major status 0x%x, minor status %u", major, minor);
    return codes.data();
}

gss_OID krb5_oid() { return &g_krb5_oid; }
gss_OID_set krb5_oid_set() { return &g_krb5_oid_set; }

MechName& MechName::operator=(MechName&& o) noexcept {
    if (this != &o) {
        reset();
        m_name = o.release();
    }
    return *this;
}

void MechName::reset() noexcept {
    if (m_name == GSS_C_NO_NAME) return;
    if (const MechglueTable* t = mechglue()) {
        OM_uint32 minor = 0;
        t->release_name(&minor, &m_name);
    }
    m_name = GSS_C_NO_NAME;
}

MechCred& MechCred::operator=(MechCred&& o) noexcept {
    if (this != &o) {
        reset();
        m_cred = o.release();
    }
    return *this;
}

void MechCred::reset() noexcept {
    if (m_cred == GSS_C_NO_CREDENTIAL) return;
    if (const MechglueTable* t = mechglue()) {
        OM_uint32 minor = 0;
        t->release_cred(&minor, &m_cred);
    }
    m_cred = GSS_C_NO_CREDENTIAL;
}

MechContext& MechContext::operator=(MechContext&& o) noexcept {
    if (this != &o) {
        reset();
        m_ctx = o.release();
    }
    return *this;
}

void MechContext::reset() noexcept {
    if (m_ctx == GSS_C_NO_CONTEXT) return;
    if (const MechglueTable* t = mechglue()) {
        OM_uint32 minor = 0;
        t->delete_sec_context(&minor, &m_ctx, GSS_C_NO_BUFFER);
    }
    m_ctx = GSS_C_NO_CONTEXT;
}

MechBuffer::~MechBuffer() {
    if (m_buf.value == nullptr) return;
    if (const MechglueTable* t = mechglue()) {
        OM_uint32 minor = 0;
        t->release_buffer(&minor, &m_buf);
    }
}

}  // namespace gssneg::krb5
