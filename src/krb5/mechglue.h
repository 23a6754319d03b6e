// The host's mechglue (libgssapi_krb5), reached through a table of function
// pointers: the module never calls a gss_* function of the mechglue by its
// plain name, because inside the module that name is the module's own entry
// point (DESIGN.md). Negotiate drives MIT's krb5 mechanism through it.
#pragma once

#include "util/gss_headers.h"

#include <string>

namespace gssneg::krb5 {

struct MechglueTable final {
    decltype(&::gss_import_name) import_name = nullptr;
    decltype(&::gss_display_name) display_name = nullptr;
    decltype(&::gss_release_name) release_name = nullptr;
    decltype(&::gss_duplicate_name) duplicate_name = nullptr;
    decltype(&::gss_canonicalize_name) canonicalize_name = nullptr;
    decltype(&::gss_compare_name) compare_name = nullptr;
    decltype(&::gss_localname) localname = nullptr;
    decltype(&::gss_authorize_localname) authorize_localname = nullptr;
    decltype(&::gss_inquire_name) inquire_name = nullptr;
    decltype(&::gss_get_name_attribute) get_name_attribute = nullptr;
    decltype(&::gss_set_name_attribute) set_name_attribute = nullptr;
    decltype(&::gss_delete_name_attribute) delete_name_attribute = nullptr;
    decltype(&::gss_display_name_ext) display_name_ext = nullptr;
    decltype(&::gss_map_name_to_any) map_name_to_any = nullptr;
    decltype(&::gss_release_any_name_mapping) release_any_name_mapping = nullptr;
    decltype(&::gss_export_name_composite) export_name_composite = nullptr;
    decltype(&::gss_acquire_cred) acquire_cred = nullptr;
    decltype(&::gss_acquire_cred_from) acquire_cred_from = nullptr;
    decltype(&::gss_acquire_cred_with_password) acquire_cred_with_password = nullptr;
    decltype(&::gss_acquire_cred_impersonate_name) acquire_cred_impersonate_name = nullptr;
    decltype(&::gss_inquire_cred) inquire_cred = nullptr;
    decltype(&::gss_release_cred) release_cred = nullptr;
    decltype(&::gss_export_cred) export_cred = nullptr;
    decltype(&::gss_import_cred) import_cred = nullptr;
    decltype(&::gss_set_cred_option) set_cred_option = nullptr;
    decltype(&::gss_inquire_cred_by_oid) inquire_cred_by_oid = nullptr;
    decltype(&::gss_init_sec_context) init_sec_context = nullptr;
    decltype(&::gss_accept_sec_context) accept_sec_context = nullptr;
    decltype(&::gss_delete_sec_context) delete_sec_context = nullptr;
    decltype(&::gss_process_context_token) process_context_token = nullptr;
    decltype(&::gss_context_time) context_time = nullptr;
    decltype(&::gss_inquire_context) inquire_context = nullptr;
    decltype(&::gss_inquire_sec_context_by_oid) inquire_sec_context_by_oid = nullptr;
    decltype(&::gss_set_sec_context_option) set_sec_context_option = nullptr;
    decltype(&::gss_export_sec_context) export_sec_context = nullptr;
    decltype(&::gss_import_sec_context) import_sec_context = nullptr;
    decltype(&::gss_get_mic) get_mic = nullptr;
    decltype(&::gss_verify_mic) verify_mic = nullptr;
    decltype(&::gss_wrap) wrap = nullptr;
    decltype(&::gss_unwrap) unwrap = nullptr;
    decltype(&::gss_wrap_aead) wrap_aead = nullptr;
    decltype(&::gss_unwrap_aead) unwrap_aead = nullptr;
    decltype(&::gss_complete_auth_token) complete_auth_token = nullptr;
    decltype(&::gss_wrap_size_limit) wrap_size_limit = nullptr;
    decltype(&::gss_wrap_iov) wrap_iov = nullptr;
    decltype(&::gss_unwrap_iov) unwrap_iov = nullptr;
    decltype(&::gss_wrap_iov_length) wrap_iov_length = nullptr;
    decltype(&::gss_get_mic_iov) get_mic_iov = nullptr;
    decltype(&::gss_get_mic_iov_length) get_mic_iov_length = nullptr;
    decltype(&::gss_verify_mic_iov) verify_mic_iov = nullptr;
    decltype(&::gss_pseudo_random) pseudo_random = nullptr;
    decltype(&::gss_display_status) display_status = nullptr;
    decltype(&::gss_release_buffer) release_buffer = nullptr;
    decltype(&::gss_release_buffer_set) release_buffer_set = nullptr;
};

// The table, resolved once from the libgssapi_krb5 already loaded in this
// process (dlopen RTLD_NOLOAD), or nullptr when it is not loaded (the
// module runs outside a mechglue, as in the fuzz targets) or lacks a
// function.
const MechglueTable* mechglue();

// Text of a status from the mechglue (the minor's, else the major's), for
// traces and error details: "Server not found in Kerberos database"; the
// codes in hex and decimal only when the mechglue has no text for them.
std::string describe_status(OM_uint32 major, OM_uint32 minor);

// The krb5 mechanism's OID, 1.2.840.113554.1.2.2, as a mutable gss_OID for
// the mechglue's non-const parameters; and the one-element set holding it.
gss_OID krb5_oid();
gss_OID_set krb5_oid_set();

// Owns a mechglue name, credential or context and releases it through the
// table.
class MechName final {
public:
    MechName() = default;
    explicit MechName(gss_name_t n) noexcept : m_name(n) {}
    MechName(MechName&& o) noexcept : m_name(o.release()) {}
    MechName& operator=(MechName&& o) noexcept;
    MechName(const MechName&) = delete;
    MechName& operator=(const MechName&) = delete;
    ~MechName() { reset(); }
    gss_name_t get() const noexcept { return m_name; }
    gss_name_t* out() noexcept {
        reset();
        return &m_name;
    }
    gss_name_t release() noexcept {
        gss_name_t n = m_name;
        m_name = GSS_C_NO_NAME;
        return n;
    }
    void reset() noexcept;
    explicit operator bool() const noexcept { return m_name != GSS_C_NO_NAME; }

private:
    gss_name_t m_name = GSS_C_NO_NAME;
};

class MechCred final {
public:
    MechCred() = default;
    explicit MechCred(gss_cred_id_t c) noexcept : m_cred(c) {}
    MechCred(MechCred&& o) noexcept : m_cred(o.release()) {}
    MechCred& operator=(MechCred&& o) noexcept;
    MechCred(const MechCred&) = delete;
    MechCred& operator=(const MechCred&) = delete;
    ~MechCred() { reset(); }
    gss_cred_id_t get() const noexcept { return m_cred; }
    gss_cred_id_t* out() noexcept {
        reset();
        return &m_cred;
    }
    gss_cred_id_t release() noexcept {
        gss_cred_id_t c = m_cred;
        m_cred = GSS_C_NO_CREDENTIAL;
        return c;
    }
    void reset() noexcept;
    explicit operator bool() const noexcept { return m_cred != GSS_C_NO_CREDENTIAL; }

private:
    gss_cred_id_t m_cred = GSS_C_NO_CREDENTIAL;
};

class MechContext final {
public:
    MechContext() = default;
    MechContext(MechContext&& o) noexcept : m_ctx(o.release()) {}
    MechContext& operator=(MechContext&& o) noexcept;
    MechContext(const MechContext&) = delete;
    MechContext& operator=(const MechContext&) = delete;
    ~MechContext() { reset(); }
    gss_ctx_id_t get() const noexcept { return m_ctx; }
    gss_ctx_id_t* inout() noexcept { return &m_ctx; }
    gss_ctx_id_t release() noexcept {
        gss_ctx_id_t c = m_ctx;
        m_ctx = GSS_C_NO_CONTEXT;
        return c;
    }
    void reset() noexcept;

private:
    gss_ctx_id_t m_ctx = GSS_C_NO_CONTEXT;
};

// A buffer the mechglue allocated, released through the table.
class MechBuffer final {
public:
    MechBuffer() = default;
    MechBuffer(const MechBuffer&) = delete;
    MechBuffer& operator=(const MechBuffer&) = delete;
    ~MechBuffer();
    gss_buffer_t get() noexcept { return &m_buf; }
    const gss_buffer_desc& desc() const noexcept { return m_buf; }

private:
    gss_buffer_desc m_buf{0, nullptr};
};

}  // namespace gssneg::krb5
