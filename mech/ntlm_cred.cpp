// Credentials: acquire (plain, from a credential store, with a password),
// release, inquire.

#include "gss-negotiate/gss_negotiate.h"
#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/oids.h"
#include "util/config.h"
#include "util/trace.h"

#include <cstring>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

ntlm::CredUsage usage_of(gss_cred_usage_t usage) {
    switch (usage) {
    case GSS_C_INITIATE: return ntlm::CredUsage::initiate;
    case GSS_C_ACCEPT: return ntlm::CredUsage::accept;
    case GSS_C_BOTH: return ntlm::CredUsage::both;
    default: throw GssError(GSS_S_FAILURE, Minor::cred_usage_mismatch, "unknown credential usage");
    }
}

gss_cred_usage_t gss_usage_of(ntlm::CredUsage usage) {
    switch (usage) {
    case ntlm::CredUsage::initiate: return GSS_C_INITIATE;
    case ntlm::CredUsage::accept: return GSS_C_ACCEPT;
    case ntlm::CredUsage::both: return GSS_C_BOTH;
    }
    return GSS_C_BOTH;
}

void check_mechs(gss_OID_set desired_mechs) {
    if (desired_mechs == GSS_C_NO_OID_SET) return;
    for (size_t i = 0; i < desired_mechs->count; ++i)
        if (oid_equal(&desired_mechs->elements[i], &oid::ntlm)) return;
    throw GssError(GSS_S_BAD_MECH, Minor::none, "NTLM is not among the desired mechanisms");
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decoded straight into the key: no other copy of the hash is made.
Key16 parse_nt_hash(std::string_view hex) {
    Key16 k;
    if (hex.size() != 2 * k.size())
        throw GssError(GSS_S_CRED_UNAVAIL, Minor::bad_cred_store_value, "nt_hash is not 16 bytes");
    for (size_t i = 0; i < k.size(); ++i) {
        const int hi = hex_digit(hex[2 * i]);
        const int lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) throw GssError(GSS_S_CRED_UNAVAIL, Minor::bad_cred_store_value, "nt_hash is not hex");
        k[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return k;
}

// gss-ntlmssp's credential-store keys, for programs written for it: each
// is read as the key of ours that means the same.
const char* own_key(const char* key) noexcept {
    if (std::strcmp(key, "ntlmssp_keyfile") == 0) return GSSNEG_CRED_STORE_USER_FILE;
    if (std::strcmp(key, "ntlmssp_password") == 0) return GSSNEG_CRED_STORE_PASSWORD;
    if (std::strcmp(key, "ntlmssp_nthash") == 0) return GSSNEG_CRED_STORE_NT_HASH;
    if (std::strcmp(key, "ntlmssp_domain") == 0) return GSSNEG_CRED_STORE_DOMAIN;
    return key;
}

ntlm::CredStoreOptions parse_store(gss_const_key_value_set_t store) {
    ntlm::CredStoreOptions opts;
    if (store == GSS_C_NO_CRED_STORE) return opts;
    for (OM_uint32 i = 0; i < store->count; ++i) {
        const char* value = store->elements[i].value;
        if (store->elements[i].key == nullptr || value == nullptr) continue;
        const char* key = own_key(store->elements[i].key);
        if (std::strcmp(key, GSSNEG_CRED_STORE_USER_FILE) == 0)
            opts.user_file = value;
        else if (std::strcmp(key, GSSNEG_CRED_STORE_PASSWORD) == 0)
            opts.password = SecureString(value);
        else if (std::strcmp(key, GSSNEG_CRED_STORE_NT_HASH) == 0)
            opts.nt_hash = parse_nt_hash(value);
        else if (std::strcmp(key, GSSNEG_CRED_STORE_DOMAIN) == 0)
            opts.domain = value;
        else if (std::strcmp(key, GSSNEG_CRED_STORE_WORKSTATION) == 0)
            opts.workstation = value;
        else if (trace_enabled())
            // Another mechanism's key ("keytab", "ccache" ...): MIT's SPNEGO
            // hands every mechanism the application's whole store, so a key
            // this mechanism does not own is ignored, as MIT's krb5 does.
            trace("cred", std::string("credential store key ignored: ") + key);
    }
    return opts;
}

OM_uint32 acquire(gss_name_t desired_name, gss_OID_set desired_mechs, gss_cred_usage_t cred_usage,
                  const ntlm::CredStoreOptions& store, gss_cred_id_t* output_cred_handle,
                  gss_OID_set* actual_mechs, OM_uint32* time_rec) {
    if (output_cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
    *output_cred_handle = GSS_C_NO_CREDENTIAL;
    if (actual_mechs != nullptr) *actual_mechs = GSS_C_NO_OID_SET;
    if (time_rec != nullptr) *time_rec = 0;
    check_mechs(desired_mechs);

    const ntlm::Name* desired = desired_name == GSS_C_NO_NAME ? nullptr : &name_of(desired_name)->name;
    const auto config = current_config();
    auto handle = std::make_unique<CredHandle>(
        ntlm::Credential::acquire(desired, usage_of(cred_usage), store, *config));
    if (actual_mechs != nullptr) *actual_mechs = make_oid_set({&oid::ntlm});
    if (time_rec != nullptr) *time_rec = GSS_C_INDEFINITE;
    *output_cred_handle = reinterpret_cast<gss_cred_id_t>(handle.release());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_acquire_cred(OM_uint32* minor_status, gss_name_t desired_name, OM_uint32,
                                         gss_OID_set desired_mechs, gss_cred_usage_t cred_usage,
                                         gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
                                         OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return acquire(desired_name, desired_mechs, cred_usage, {}, output_cred_handle, actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gss_acquire_cred_from(OM_uint32* minor_status, gss_name_t desired_name, OM_uint32,
                                              gss_OID_set desired_mechs, gss_cred_usage_t cred_usage,
                                              gss_const_key_value_set_t cred_store,
                                              gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
                                              OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return acquire(desired_name, desired_mechs, cred_usage, parse_store(cred_store), output_cred_handle,
                       actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gssspi_acquire_cred_with_password(OM_uint32* minor_status, const gss_name_t desired_name,
                                                          const gss_buffer_t password, OM_uint32,
                                                          const gss_OID_set desired_mechs, int cred_usage,
                                                          gss_cred_id_t* output_cred_handle,
                                                          gss_OID_set* actual_mechs, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (password == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        if (desired_name == GSS_C_NO_NAME) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "a password needs a user name");
        ntlm::CredStoreOptions store;
        const std::string_view pw = text_of(password);
        store.password = SecureString(pw.data(), pw.size());
        return acquire(desired_name, desired_mechs, cred_usage, store, output_cred_handle, actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gss_release_cred(OM_uint32* minor_status, gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (cred_handle == nullptr || *cred_handle == GSS_C_NO_CREDENTIAL) return GSS_S_COMPLETE;
        delete cred_of(*cred_handle);
        *cred_handle = GSS_C_NO_CREDENTIAL;
        return GSS_S_COMPLETE;
    });
}

namespace {

struct CredFacts {
    std::shared_ptr<const ntlm::Credential> cred;
    gss_cred_usage_t usage;
};

// GSS_C_NO_CREDENTIAL stands for the default initiator credential.
CredFacts inquire(gss_cred_id_t cred_handle) {
    std::shared_ptr<const ntlm::Credential> cred =
        cred_handle == GSS_C_NO_CREDENTIAL
            ? ntlm::Credential::acquire(nullptr, ntlm::CredUsage::initiate, {}, *current_config())
            : cred_of(cred_handle)->cred;
    const gss_cred_usage_t usage = gss_usage_of(cred->usage());
    return {std::move(cred), usage};
}

gss_name_t name_handle(const ntlm::Credential& cred) {
    return cred.name() ? reinterpret_cast<gss_name_t>(new NameHandle(*cred.name())) : GSS_C_NO_NAME;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_inquire_cred(OM_uint32* minor_status, gss_cred_id_t cred_handle, gss_name_t* name,
                                         OM_uint32* lifetime, gss_cred_usage_t* cred_usage, gss_OID_set* mechanisms) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name != nullptr) *name = GSS_C_NO_NAME;
        if (mechanisms != nullptr) *mechanisms = GSS_C_NO_OID_SET;
        const CredFacts facts = inquire(cred_handle);
        if (mechanisms != nullptr) *mechanisms = make_oid_set({&oid::ntlm});
        if (name != nullptr) *name = name_handle(*facts.cred);
        if (lifetime != nullptr) *lifetime = GSS_C_INDEFINITE;
        if (cred_usage != nullptr) *cred_usage = facts.usage;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_inquire_cred_by_mech(OM_uint32* minor_status, gss_cred_id_t cred_handle, gss_OID,
                                                 gss_name_t* name, OM_uint32* initiator_lifetime,
                                                 OM_uint32* acceptor_lifetime, gss_cred_usage_t* cred_usage) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name != nullptr) *name = GSS_C_NO_NAME;
        const CredFacts facts = inquire(cred_handle);
        if (name != nullptr) *name = name_handle(*facts.cred);
        if (cred_usage != nullptr) *cred_usage = facts.usage;
        if (initiator_lifetime != nullptr) *initiator_lifetime = facts.usage != GSS_C_ACCEPT ? GSS_C_INDEFINITE : 0;
        if (acceptor_lifetime != nullptr) *acceptor_lifetime = facts.usage != GSS_C_INITIATE ? GSS_C_INDEFINITE : 0;
        return GSS_S_COMPLETE;
    });
}

// gss_export_cred / gss_import_cred (RFC 5588's companions in MIT krb5,
// which gssproxy uses): the token is ntlm/context_export.h's
// ExportedCredential, framed by the mechglue with the NTLM OID. It holds
// the NT hash, so it is as secret as the password.
GSSNEG_EXPORT OM_uint32 gss_export_cred(OM_uint32* minor_status, gss_cred_id_t cred_handle, gss_buffer_t token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(token);
        if (cred_handle == GSS_C_NO_CREDENTIAL) throw GssError(GSS_S_NO_CRED, Minor::no_credentials, "no credential to export");
        const SecureBytes bytes = cred_of(cred_handle)->cred->exported().serialize();
        set_buffer(token, ByteView(bytes));
        return GSS_S_COMPLETE;
    });
}

namespace {

OM_uint32 import_cred(gss_buffer_t token, gss_cred_id_t* cred_handle) {
    if (cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
    *cred_handle = GSS_C_NO_CREDENTIAL;
    if (token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
    const ntlm::ExportedCredential e = ntlm::ExportedCredential::parse(view_of(token));
    auto handle = std::make_unique<CredHandle>(ntlm::Credential::restore(e, *current_config()));
    *cred_handle = reinterpret_cast<gss_cred_id_t>(handle.release());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_import_cred(OM_uint32* minor_status, gss_buffer_t token, gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 { return import_cred(token, cred_handle); });
}

GSSNEG_EXPORT OM_uint32 gssspi_import_cred_by_mech(OM_uint32* minor_status, gss_OID, gss_buffer_t token,
                                                   gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 { return import_cred(token, cred_handle); });
}

// The mechglue resolves this symbol without a loop check: it must exist.
// The one option NTLM credentials take is GSS_KRB5_CRED_NO_CI_FLAGS_X; any
// other is UNAVAILABLE, which the mechglue passes over for a credential of
// several mechanisms.
GSSNEG_EXPORT OM_uint32 gssspi_set_cred_option(OM_uint32* minor_status, gss_cred_id_t* cred_handle,
                                               const gss_OID desired_object, const gss_buffer_t) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        if (desired_object == GSS_C_NO_OID || !oid_equal(desired_object, &oid::krb5_cred_no_ci_flags))
            throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
        if (*cred_handle == GSS_C_NO_CREDENTIAL) throw GssError(GSS_S_NO_CRED, Minor::no_credentials);
        cred_of(*cred_handle)->no_ci_flags = true;
        return GSS_S_COMPLETE;
    });
}
