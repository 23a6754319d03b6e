// Negotiate's credentials and names: a Negotiate credential holds a krb5
// credential (mechglue) and an NTLM credential (this module), either of
// which may be missing; a Negotiate name holds the application's name and
// its forms in each mechanism.

#include "gss-negotiate/gss_negotiate.h"
#include "mech/exported_name.h"
#include "mech/guard.h"
#include "mech/nego.h"
#include "mech/ntlm_entry.h"
#include "mech/oids.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

std::string ntlm_failure(OM_uint32 minor) {
    const std::string detail = recall_detail(minor);
    const char* text = minor_text(minor);
    return !detail.empty() ? detail : std::string(text != nullptr ? text : "NTLM credential unavailable");
}

// Keys of the NTLM credential store (gss_negotiate.h); "password" serves
// both mechanisms.
bool is_ntlm_key(std::string_view key) {
    return key == GSSNEG_CRED_STORE_USER_FILE || key == GSSNEG_CRED_STORE_NT_HASH || key == GSSNEG_CRED_STORE_DOMAIN ||
           key == GSSNEG_CRED_STORE_WORKSTATION;
}

bool is_krb5_key(std::string_view key) {
    // MIT's krb5 mechanism (doc/appdev/gssapi.rst, "Credential store
    // extensions").
    return key == "ccache" || key == "client_keytab" || key == "keytab" || key == "rcache" || key == "verify" ||
           key == "password";
}

struct SplitStore {
    std::vector<gss_key_value_element_desc> krb5;
    std::vector<gss_key_value_element_desc> ntlm;
    gss_key_value_set_desc krb5_set{0, nullptr};
    gss_key_value_set_desc ntlm_set{0, nullptr};
};

void split_store(gss_const_key_value_set_t store, SplitStore& out) {
    if (store == GSS_C_NO_CRED_STORE) return;
    for (OM_uint32 i = 0; i < store->count; ++i) {
        const gss_key_value_element_desc& e = store->elements[i];
        if (e.key == nullptr) continue;
        const std::string_view key = e.key;
        const bool krb = is_krb5_key(key);
        const bool ntlm = is_ntlm_key(key) || key == GSSNEG_CRED_STORE_PASSWORD;
        // Neither mechanism's key: ignored, as MIT's SPNEGO and krb5 do.
        if (!krb && !ntlm && trace_enabled()) trace("negotiate", std::string("credential store key ignored: ") + e.key);
        if (krb) out.krb5.push_back(e);
        if (ntlm) out.ntlm.push_back(e);
    }
    out.krb5_set = {static_cast<OM_uint32>(out.krb5.size()), out.krb5.data()};
    out.ntlm_set = {static_cast<OM_uint32>(out.ntlm.size()), out.ntlm.data()};
}

enum class Source { plain, store, password };

OM_uint32 acquire(gss_name_t desired_name, OM_uint32 time_req, gss_cred_usage_t usage, Source source,
                  gss_const_key_value_set_t store, const gss_buffer_t password, gss_cred_id_t* output_cred_handle,
                  gss_OID_set* actual_mechs, OM_uint32* time_rec) {
    if (output_cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
    *output_cred_handle = GSS_C_NO_CREDENTIAL;
    if (actual_mechs != nullptr) *actual_mechs = GSS_C_NO_OID_SET;
    if (time_rec != nullptr) *time_rec = 0;
    if (usage != GSS_C_INITIATE && usage != GSS_C_ACCEPT && usage != GSS_C_BOTH)
        throw GssError(GSS_S_FAILURE, Minor::cred_usage_mismatch, "unknown credential usage");

    NegoNameHandle* name = desired_name == GSS_C_NO_NAME ? nullptr : nego_name_of(desired_name);
    SplitStore split;
    if (source == Source::store) split_store(store, split);

    auto cred = std::make_unique<NegoCredHandle>();
    cred->usage = usage;

    if (const krb5::MechglueTable* t = krb5::mechglue()) {
        std::string why;
        gss_name_t krb_name = name != nullptr ? krb5_name_of(*name, why) : GSS_C_NO_NAME;
        if (name != nullptr && krb_name == GSS_C_NO_NAME) {
            cred->krb5_missing = "the name has no Kerberos form: " + why;
        } else {
            OM_uint32 minor = 0;
            OM_uint32 major;
            if (source == Source::store)
                major = t->acquire_cred_from(&minor, krb_name, time_req, krb5::krb5_oid_set(), usage, &split.krb5_set,
                                             cred->krb5.out(), nullptr, nullptr);
            else if (source == Source::password)
                major = t->acquire_cred_with_password(&minor, krb_name, password, time_req, krb5::krb5_oid_set(),
                                                      usage, cred->krb5.out(), nullptr, nullptr);
            else
                major = t->acquire_cred(&minor, krb_name, time_req, krb5::krb5_oid_set(), usage, cred->krb5.out(),
                                        nullptr, nullptr);
            if (GSS_ERROR(major)) cred->krb5_missing = krb5::describe_status(major, minor);
        }
    } else {
        cred->krb5_missing = "the mechglue is not loaded";
    }

    // This module's NTLM entry points (nego.h).
    std::unique_ptr<NameHandle> ntlm_name = name != nullptr ? ntlm_name_of(*name) : nullptr;
    if (name != nullptr && !ntlm_name) {
        cred->ntlm_missing = "the name has no NTLM form";
    } else {
        const gss_name_t n = reinterpret_cast<gss_name_t>(ntlm_name.get());
        gss_cred_id_t c = GSS_C_NO_CREDENTIAL;
        OM_uint32 minor = 0;
        OM_uint32 major;
        if (source == Source::store)
            major = gss_acquire_cred_from(&minor, n, time_req, GSS_C_NO_OID_SET, usage, &split.ntlm_set, &c, nullptr,
                                          nullptr);
        else if (source == Source::password)
            major = gssspi_acquire_cred_with_password(&minor, n, password, time_req, GSS_C_NO_OID_SET, usage, &c,
                                                      nullptr, nullptr);
        else
            major = gss_acquire_cred(&minor, n, time_req, GSS_C_NO_OID_SET, usage, &c, nullptr, nullptr);
        if (GSS_ERROR(major))
            cred->ntlm_missing = ntlm_failure(minor);
        else
            cred->ntlm.reset(cred_of(c));
    }

    if (!cred->krb5 && !cred->ntlm)
        throw GssError(GSS_S_NO_CRED, Minor::spnego_no_usable_mech,
                       "Kerberos: " + cred->krb5_missing + "; NTLM: " + cred->ntlm_missing);
    if (actual_mechs != nullptr) *actual_mechs = make_oid_set({&oid::spnego});
    if (time_rec != nullptr) *time_rec = GSS_C_INDEFINITE;
    *output_cred_handle = reinterpret_cast<gss_cred_id_t>(cred.release());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_acquire_cred(OM_uint32* minor_status, gss_name_t desired_name, OM_uint32 time_req,
                                          gss_OID_set, gss_cred_usage_t cred_usage, gss_cred_id_t* output_cred_handle,
                                          gss_OID_set* actual_mechs, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return acquire(desired_name, time_req, cred_usage, Source::plain, GSS_C_NO_CRED_STORE, GSS_C_NO_BUFFER,
                       output_cred_handle, actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_acquire_cred_from(OM_uint32* minor_status, gss_name_t desired_name, OM_uint32 time_req,
                                               gss_OID_set, gss_cred_usage_t cred_usage,
                                               gss_const_key_value_set_t cred_store,
                                               gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
                                               OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        return acquire(desired_name, time_req, cred_usage, Source::store, cred_store, GSS_C_NO_BUFFER,
                       output_cred_handle, actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_acquire_cred_with_password(OM_uint32* minor_status, const gss_name_t desired_name,
                                                        const gss_buffer_t password, OM_uint32 time_req,
                                                        const gss_OID_set, int cred_usage,
                                                        gss_cred_id_t* output_cred_handle, gss_OID_set* actual_mechs,
                                                        OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (password == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        if (desired_name == GSS_C_NO_NAME) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "a password needs a user name");
        return acquire(desired_name, time_req, cred_usage, Source::password, GSS_C_NO_CRED_STORE, password,
                       output_cred_handle, actual_mechs, time_rec);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_release_cred(OM_uint32* minor_status, gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (cred_handle == nullptr || *cred_handle == GSS_C_NO_CREDENTIAL) return GSS_S_COMPLETE;
        delete nego_cred_of(*cred_handle);
        *cred_handle = GSS_C_NO_CREDENTIAL;
        return GSS_S_COMPLETE;
    });
}

// What MIT's SPNEGO reports: the first mechanism of the credential
// (Kerberos when it has one), its name and lifetime. Without any name,
// GSS_C_NO_NAME, which the mechglue's gss_inquire_cred (it displays every
// name a mechanism returns) turns into GSS_S_BAD_NAME, as it does for MIT's
// SPNEGO over an NTLM acceptor credential.
GSSNEG_EXPORT OM_uint32 gssi_inquire_cred(OM_uint32* minor_status, gss_cred_id_t cred_handle, gss_name_t* name,
                                          OM_uint32* lifetime, gss_cred_usage_t* cred_usage,
                                          gss_OID_set* mechanisms) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name != nullptr) *name = GSS_C_NO_NAME;
        if (mechanisms != nullptr) *mechanisms = GSS_C_NO_OID_SET;
        if (lifetime != nullptr) *lifetime = 0;
        const NegoCredHandle* cred = nego_cred_of(cred_handle);
        auto n = std::make_unique<NegoNameHandle>();
        OM_uint32 life = GSS_C_INDEFINITE;
        if (cred->krb5) {
            OM_uint32 minor = 0;
            OM_uint32 krb5_life = 0;
            const OM_uint32 major = krb5::mechglue()->inquire_cred(
                &minor, cred->krb5.get(), name != nullptr ? n->krb5.out() : nullptr, &krb5_life, nullptr, nullptr);
            if (!GSS_ERROR(major)) {
                life = krb5_life;
            } else if (cred->ntlm) {
                // The NTLM part answers instead.
                n->krb5.reset();
            } else {
                if (minor_status != nullptr) *minor_status = minor;
                return major;
            }
        }
        if (!n->krb5 && cred->ntlm && cred->ntlm->cred->name()) n->ntlm = *cred->ntlm->cred->name();
        if (name != nullptr && (n->krb5 || n->ntlm)) *name = reinterpret_cast<gss_name_t>(n.release());
        if (lifetime != nullptr) *lifetime = life;
        if (cred_usage != nullptr) *cred_usage = cred->usage;
        if (mechanisms != nullptr) *mechanisms = make_oid_set({&oid::spnego});
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_set_neg_mechs(OM_uint32* minor_status, gss_cred_id_t cred_handle,
                                           const gss_OID_set mech_set) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoCredHandle* cred = nego_cred_of(cred_handle);
        if (mech_set == GSS_C_NO_OID_SET) {
            cred->neg_mechs.reset();
            return GSS_S_COMPLETE;
        }
        std::vector<spnego::Mech> mechs;
        for (size_t i = 0; i < mech_set->count; ++i) {
            const gss_OID_desc& o = mech_set->elements[i];
            const auto* p = static_cast<const uint8_t*>(o.elements);
            if (!spnego::valid_oid_contents(ByteView(p, o.length))) throw GssError(GSS_S_BAD_MECH, Minor::none);
            // A mechanism Negotiate does not offer (IAKERB, say) is left
            // out, not refused: MIT's SPNEGO keeps the list and intersects
            // it with the credential's mechanisms when it negotiates.
            const auto m = spnego::mech_of(spnego::Oid(ByteView(p, o.length)));
            if (m && std::find(mechs.begin(), mechs.end(), *m) == mechs.end()) mechs.push_back(*m);
        }
        cred->neg_mechs = std::move(mechs);
        return GSS_S_COMPLETE;
    });
}

// Questions about a credential by OID (GSS_KRB5_GET_CRED_IMPERSONATOR,
// say) concern its Kerberos element: NTLM credentials answer none. As
// with MIT's SPNEGO, the mechglue's answer for that element is the answer,
// UNAVAILABLE when there is none.
GSSNEG_EXPORT OM_uint32 gssi_inquire_cred_by_oid(OM_uint32* minor_status, const gss_cred_id_t cred_handle,
                                                 const gss_OID desired_object, gss_buffer_set_t* data_set) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (data_set == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *data_set = GSS_C_NO_BUFFER_SET;
        if (desired_object == GSS_C_NO_OID) return GSS_S_CALL_INACCESSIBLE_READ;
        const NegoCredHandle* cred = nego_cred_of(cred_handle);
        const krb5::MechglueTable* t = krb5::mechglue();
        if (!cred->krb5 || t == nullptr) throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
        // The mechglue allocates the set with malloc, as the mechglue
        // that receives it frees it.
        return t->inquire_cred_by_oid(minor_status, cred->krb5.get(), desired_object, data_set);
    });
}

// Each element credential gets the option, as the mechglue hands one to
// every mechanism of a credential: an element that answers UNAVAILABLE is
// passed over, the first other failure ends the call, and UNAVAILABLE
// remains when no element took it. GSS_KRB5_CRED_NO_CI_FLAGS_X also stops
// Negotiate from asking its mechanisms for integrity (MIT's SPNEGO does
// the same), which is what SASL with maxssf=0 needs inside TLS.
GSSNEG_EXPORT OM_uint32 gssi_set_cred_option(OM_uint32* minor_status, gss_cred_id_t* cred_handle,
                                             const gss_OID desired_object, const gss_buffer_t value) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        if (desired_object == GSS_C_NO_OID) return GSS_S_CALL_INACCESSIBLE_READ;
        if (*cred_handle == GSS_C_NO_CREDENTIAL) throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
        NegoCredHandle* cred = nego_cred_of(*cred_handle);
        OM_uint32 status = GSS_S_UNAVAILABLE;
        if (cred->krb5) {
            gss_cred_id_t element = cred->krb5.get();
            OM_uint32 minor = 0;
            const krb5::MechglueTable* t = krb5::mechglue();
            const OM_uint32 major = t == nullptr ? GSS_S_UNAVAILABLE
                                                 : t->set_cred_option(&minor, &element, desired_object, value);
            if (major != GSS_S_UNAVAILABLE) {
                if (GSS_ERROR(major)) {
                    *minor_status = minor;
                    return major;
                }
                status = major;
            }
        }
        if (cred->ntlm) {
            gss_cred_id_t element = reinterpret_cast<gss_cred_id_t>(cred->ntlm.get());
            OM_uint32 minor = 0;
            // This module's own NTLM entry point (nego.h).
            const OM_uint32 major = gssspi_set_cred_option(&minor, &element, desired_object, value);
            if (major != GSS_S_UNAVAILABLE) {
                if (GSS_ERROR(major)) {
                    *minor_status = minor;
                    return major;
                }
                status = major;
            }
        }
        if (status == GSS_S_UNAVAILABLE) throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option);
        if (oid_equal(desired_object, &oid::krb5_cred_no_ci_flags)) cred->no_ask_integ = true;
        return status;
    });
}

// gss_acquire_cred_impersonate_name (S4U2Self, then constrained delegation
// with the credential it gives): the Kerberos element of the impersonator's
// credential impersonates the user through the krb5 mechanism, as MIT's
// SPNEGO has it do. The credential holds Kerberos alone: NTLM has no
// impersonation. With GSS_C_NO_CREDENTIAL the default credential
// impersonates.
GSSNEG_EXPORT OM_uint32 gssi_acquire_cred_impersonate_name(OM_uint32* minor_status,
                                                           const gss_cred_id_t impersonator_cred_handle,
                                                           const gss_name_t desired_name, OM_uint32 time_req,
                                                           const gss_OID_set, gss_cred_usage_t cred_usage,
                                                           gss_cred_id_t* output_cred_handle,
                                                           gss_OID_set* actual_mechs, OM_uint32* time_rec) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *output_cred_handle = GSS_C_NO_CREDENTIAL;
        if (actual_mechs != nullptr) *actual_mechs = GSS_C_NO_OID_SET;
        if (time_rec != nullptr) *time_rec = 0;
        if (desired_name == GSS_C_NO_NAME) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "no user to impersonate");
        const krb5::MechglueTable* t = krb5::mechglue();
        if (t == nullptr) throw GssError(GSS_S_UNAVAILABLE, Minor::spnego_no_usable_mech, "the mechglue is not loaded");
        gss_cred_id_t impersonator = GSS_C_NO_CREDENTIAL;
        if (impersonator_cred_handle != GSS_C_NO_CREDENTIAL) {
            const NegoCredHandle* imp = nego_cred_of(impersonator_cred_handle);
            if (!imp->krb5)
                throw GssError(GSS_S_NO_CRED, Minor::spnego_no_usable_mech,
                               "the impersonator has no Kerberos credential: " + imp->krb5_missing);
            impersonator = imp->krb5.get();
        }
        std::string why;
        const gss_name_t user = krb5_name_of(*nego_name_of(desired_name), why);
        if (user == GSS_C_NO_NAME)
            throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "the name has no Kerberos form: " + why);
        auto cred = std::make_unique<NegoCredHandle>();
        cred->usage = cred_usage;
        cred->ntlm_missing = "an impersonated credential holds Kerberos credentials only";
        OM_uint32 lifetime = 0;
        const OM_uint32 major = t->acquire_cred_impersonate_name(minor_status, impersonator, user, time_req,
                                                                 krb5::krb5_oid_set(), cred_usage, cred->krb5.out(),
                                                                 nullptr, &lifetime);
        if (GSS_ERROR(major)) return major;
        if (actual_mechs != nullptr) *actual_mechs = make_oid_set({&oid::spnego});
        if (time_rec != nullptr) *time_rec = lifetime;
        *output_cred_handle = reinterpret_cast<gss_cred_id_t>(cred.release());
        return GSS_S_COMPLETE;
    });
}

// gss_export_cred and gss_import_cred (gssproxy hands credentials between
// processes this way). MIT's SPNEGO exports the credential of its
// mechanisms; Negotiate exports each element the way its mechanism does:
// Kerberos through the mechglue (the krb5 mechanism writes its ccache and
// keytab names, or its password), NTLM as our NTLM mechanism does (its NT
// hash: the token is then as secret as the password). The token, version
// 2, big-endian: a version byte (2), the usage, then the Kerberos token
// and the NTLM token, each a 4-byte length (0: no such element) and its
// bytes. Version 1 (the Kerberos token alone) still imports.
namespace {

constexpr uint8_t exported_cred_krb5_only = 1;
constexpr uint8_t exported_cred_version = 2;

void put_u32be(SecureBytes& out, size_t n) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_export_cred(OM_uint32* minor_status, gss_cred_id_t cred_handle, gss_buffer_t token) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(token);
        const NegoCredHandle* cred = nego_cred_of(cred_handle);
        if (!cred->krb5 && !cred->ntlm)
            throw GssError(GSS_S_NO_CRED, Minor::spnego_no_usable_mech, "the credential holds no mechanism's");
        krb5::MechBuffer krb5_token;
        if (cred->krb5) {
            const OM_uint32 major = krb5::mechglue()->export_cred(minor_status, cred->krb5.get(), krb5_token.get());
            if (GSS_ERROR(major)) return major;
        }
        SecureBytes ntlm_token;
        if (cred->ntlm) ntlm_token = cred->ntlm->cred->exported().serialize();
        SecureBytes out;
        out.push_back(exported_cred_version);
        out.push_back(static_cast<uint8_t>(cred->usage));
        put_u32be(out, krb5_token.desc().length);
        const auto* krb5_bytes = static_cast<const uint8_t*>(krb5_token.desc().value);
        out.insert(out.end(), krb5_bytes, krb5_bytes + krb5_token.desc().length);
        put_u32be(out, ntlm_token.size());
        out.insert(out.end(), ntlm_token.begin(), ntlm_token.end());
        set_buffer(token, ByteView(out));
        return GSS_S_COMPLETE;
    });
}

namespace {

OM_uint32 import_cred(OM_uint32* minor_status, gss_buffer_t token, gss_cred_id_t* cred_handle) {
    if (cred_handle == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
    *cred_handle = GSS_C_NO_CREDENTIAL;
    if (token == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
    ByteReader r(view_of(token), Minor::bad_export_token);
    const uint8_t version = r.u8();
    if (version != exported_cred_version && version != exported_cred_krb5_only)
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "exported credential: unknown version");
    const uint8_t usage = r.u8();
    if (usage != GSS_C_INITIATE && usage != GSS_C_ACCEPT && usage != GSS_C_BOTH)
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "exported credential: usage");
    const ByteView krb5_part = r.take(r.u32be());
    const ByteView ntlm_part = version == exported_cred_version ? r.take(r.u32be()) : ByteView();
    r.assert_done();
    if (krb5_part.empty() && ntlm_part.empty())
        throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, "exported credential: no element");

    auto cred = std::make_unique<NegoCredHandle>();
    cred->usage = usage;
    if (!krb5_part.empty()) {
        const krb5::MechglueTable* t = krb5::mechglue();
        if (t == nullptr) throw GssError(GSS_S_UNAVAILABLE, Minor::spnego_no_usable_mech, "the mechglue is not loaded");
        gss_buffer_desc inner{krb5_part.size(), const_cast<uint8_t*>(krb5_part.data())};
        const OM_uint32 major = t->import_cred(minor_status, &inner, cred->krb5.out());
        if (GSS_ERROR(major)) return major;
    } else {
        cred->krb5_missing = "the imported credential holds NTLM credentials only";
    }
    if (!ntlm_part.empty()) {
        const ntlm::ExportedCredential e = ntlm::ExportedCredential::parse(ntlm_part);
        cred->ntlm = std::make_unique<CredHandle>(ntlm::Credential::restore(e, *current_config()));
    } else {
        cred->ntlm_missing = "the imported credential holds Kerberos credentials only";
    }
    *cred_handle = reinterpret_cast<gss_cred_id_t>(cred.release());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_import_cred(OM_uint32* minor_status, gss_buffer_t token, gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 { return import_cred(minor_status, token, cred_handle); });
}

GSSNEG_EXPORT OM_uint32 gssi_import_cred_by_mech(OM_uint32* minor_status, gss_OID, gss_buffer_t token,
                                                 gss_cred_id_t* cred_handle) {
    return guard(minor_status, [&]() -> OM_uint32 { return import_cred(minor_status, token, cred_handle); });
}

// ---- names ----

namespace {

// An exported name reaches this module only when it carries the SPNEGO OID
// (the mechglue hands the others to their mechanisms): its name goes on as
// the mechglue imports the name of an exported token, with no name type.
OM_uint32 import(gss_buffer_t input_name_buffer, gss_OID input_name_type, gss_name_t* output_name) {
    if (output_name == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
    *output_name = GSS_C_NO_NAME;
    if (input_name_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
    auto n = std::make_unique<NegoNameHandle>();
    ByteView v = view_of(input_name_buffer);
    if (input_name_type != GSS_C_NO_OID && oid_equal(input_name_type, &oid::nt_export_name)) {
        v = exported_name_of(v, oid::spnego);
        input_name_type = GSS_C_NO_OID;
    }
    n->external.assign(v.begin(), v.end());
    n->type = OidCopy(input_name_type);
    n->has_external = true;
    *output_name = reinterpret_cast<gss_name_t>(n.release());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_import_name(OM_uint32* minor_status, gss_buffer_t input_name_buffer,
                                         gss_OID input_name_type, gss_name_t* output_name) {
    return guard(minor_status, [&]() -> OM_uint32 { return import(input_name_buffer, input_name_type, output_name); });
}

GSSNEG_EXPORT OM_uint32 gssi_import_name_by_mech(OM_uint32* minor_status, gss_const_OID, gss_buffer_t input_name_buffer,
                                                 gss_OID input_name_type, gss_name_t* output_name) {
    return guard(minor_status, [&]() -> OM_uint32 { return import(input_name_buffer, input_name_type, output_name); });
}

namespace {

// gss_display_name of a Negotiate name. The name type goes back as one of
// this module's static OIDs (oids.h): the mechglue keeps it in the union
// name it builds around ours and frees it with gss_release_oid when that
// name is released. The krb5 mechanism's type for a name it has not made a
// mechanism name is the inner union name's own copy of the application's
// OID, freed again when the inner name is released; a type this module
// does not know is not reported.
OM_uint32 display(OM_uint32* minor_status, NegoNameHandle* n, gss_buffer_t output_name_buffer,
                  gss_OID* output_name_type) {
    if (n->krb5) {
        krb5::MechBuffer text;
        gss_OID type = GSS_C_NO_OID;
        const OM_uint32 major = krb5::mechglue()->display_name(minor_status, n->krb5.get(), text.get(), &type);
        if (GSS_ERROR(major)) return major;
        set_buffer(output_name_buffer, ByteView(static_cast<const uint8_t*>(text.desc().value), text.desc().length));
        if (output_name_type != nullptr) *output_name_type = oid::static_name_type(type);
        return GSS_S_COMPLETE;
    }
    if (n->ntlm) {
        // This module's NTLM display, for its name type (a static OID).
        const NameHandle tmp(*n->ntlm);
        gss_OID type = GSS_C_NO_OID;
        const OM_uint32 major = gss_display_name(
            minor_status, reinterpret_cast<gss_name_t>(const_cast<NameHandle*>(&tmp)), output_name_buffer, &type);
        if (output_name_type != nullptr) *output_name_type = oid::static_name_type(type);
        return major;
    }
    set_buffer(output_name_buffer, ByteView(n->external));
    if (output_name_type != nullptr) *output_name_type = oid::static_name_type(n->type.get());
    return GSS_S_COMPLETE;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_display_name(OM_uint32* minor_status, gss_name_t input_name,
                                          gss_buffer_t output_name_buffer, gss_OID* output_name_type) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_name_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_name_buffer);
        if (output_name_type != nullptr) *output_name_type = GSS_C_NO_OID;
        return display(minor_status, nego_name_of(input_name), output_name_buffer, output_name_type);
    });
}

// gss_export_name: RFC 2743 3.2 under the SPNEGO OID, with the name's
// display form as the name, for every Negotiate name (one the application
// imported, and an acceptor's source name over Kerberos or NTLM). That is
// what MIT's mechglue writes for a name of MIT's SPNEGO, which has no
// gss_export_name of its own; without this entry point the mechglue would
// write the interposer's private OID, which no peer without the
// interposer imports.
GSSNEG_EXPORT OM_uint32 gssi_export_name(OM_uint32* minor_status, const gss_name_t input_name,
                                         gss_buffer_t exported_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (exported_name == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(exported_name);
        gss_buffer_desc text{0, nullptr};
        const OM_uint32 major = display(minor_status, nego_name_of(input_name), &text, nullptr);
        const std::unique_ptr<void, decltype(&std::free)> owned(text.value, &std::free);
        if (GSS_ERROR(major)) return major;
        const ByteView name(static_cast<const uint8_t*>(text.value), text.length);
        set_buffer(exported_name, ByteView(exported_name_token(oid::spnego, name)));
        return GSS_S_COMPLETE;
    });
}

// gss_display_name_ext, gss_map_name_to_any and
// gss_release_any_name_mapping: the krb5 mechanism's answer for a Kerberos
// name. Other names get what the mechglue gives a mechanism without these
// calls: gss_display_name_ext is the name's display when the type asked
// for is the name's own type, else UNAVAILABLE, and the name mappings are
// UNAVAILABLE.
GSSNEG_EXPORT OM_uint32 gssi_display_name_ext(OM_uint32* minor_status, gss_name_t name, gss_OID display_as_name_type,
                                              gss_buffer_t display_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (display_name == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(display_name);
        NegoNameHandle* n = nego_name_of(name);
        if (!n->krb5) {
            gss_buffer_desc text{0, nullptr};
            gss_OID type = GSS_C_NO_OID;
            const OM_uint32 major = display(minor_status, n, &text, &type);
            const std::unique_ptr<void, decltype(&std::free)> owned(text.value, &std::free);
            if (GSS_ERROR(major)) return major;
            if (type == GSS_C_NO_OID || display_as_name_type == GSS_C_NO_OID || !oid_equal(type, display_as_name_type))
                throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option, "the name has no form of that type");
            set_buffer(display_name, std::string_view(static_cast<const char*>(text.value), text.length));
            return GSS_S_COMPLETE;
        }
        krb5::MechBuffer text;
        const OM_uint32 major = krb5::mechglue()->display_name_ext(minor_status, n->krb5.get(), display_as_name_type,
                                                                   text.get());
        if (GSS_ERROR(major)) return major;
        set_buffer(display_name, ByteView(static_cast<const uint8_t*>(text.desc().value), text.desc().length));
        return major;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_map_name_to_any(OM_uint32* minor_status, gss_name_t name, int authenticated,
                                             gss_buffer_t type_id, gss_any_t* output) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoNameHandle* n = nego_name_of(name);
        if (!n->krb5) throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option, "not a Kerberos name");
        return krb5::mechglue()->map_name_to_any(minor_status, n->krb5.get(), authenticated, type_id, output);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_release_any_name_mapping(OM_uint32* minor_status, gss_name_t name, gss_buffer_t type_id,
                                                      gss_any_t* input) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoNameHandle* n = nego_name_of(name);
        if (!n->krb5) throw GssError(GSS_S_UNAVAILABLE, Minor::unsupported_option, "not a Kerberos name");
        return krb5::mechglue()->release_any_name_mapping(minor_status, n->krb5.get(), type_id, input);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_release_name(OM_uint32* minor_status, gss_name_t* input_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (input_name == nullptr || *input_name == GSS_C_NO_NAME) return GSS_S_COMPLETE;
        delete nego_name_of(*input_name);
        *input_name = GSS_C_NO_NAME;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_duplicate_name(OM_uint32* minor_status, const gss_name_t input_name,
                                            gss_name_t* dest_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (dest_name == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *dest_name = reinterpret_cast<gss_name_t>(copy_name(*nego_name_of(input_name)).release());
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_compare_name(OM_uint32* minor_status, gss_name_t name1, gss_name_t name2,
                                          int* name_equal) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name_equal == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *name_equal = 0;
        NegoNameHandle* a = nego_name_of(name1);
        NegoNameHandle* b = nego_name_of(name2);
        if (a->krb5 && b->krb5) return krb5::mechglue()->compare_name(minor_status, a->krb5.get(), b->krb5.get(), name_equal);
        if (a->ntlm && b->ntlm) {
            const NameHandle x(*a->ntlm);
            const NameHandle y(*b->ntlm);
            return gss_compare_name(minor_status, reinterpret_cast<gss_name_t>(const_cast<NameHandle*>(&x)),
                                    reinterpret_cast<gss_name_t>(const_cast<NameHandle*>(&y)), name_equal);
        }
        *name_equal = a->has_external && b->has_external && a->external == b->external ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_localname(OM_uint32* minor_status, const gss_name_t name, gss_const_OID,
                                       gss_buffer_t localname) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (localname == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(localname);
        NegoNameHandle* n = nego_name_of(name);
        if (n->krb5) {
            krb5::MechBuffer out;
            const OM_uint32 major = krb5::mechglue()->localname(minor_status, n->krb5.get(), &oid::krb5, out.get());
            if (GSS_ERROR(major)) return major;
            set_buffer(localname, ByteView(static_cast<const uint8_t*>(out.desc().value), out.desc().length));
            return GSS_S_COMPLETE;
        }
        if (n->ntlm) {
            const NameHandle tmp(*n->ntlm);
            return gss_localname(minor_status, reinterpret_cast<gss_name_t>(const_cast<NameHandle*>(&tmp)), &oid::ntlm,
                                 localname);
        }
        throw GssError(GSS_S_UNAVAILABLE, Minor::no_local_account);
    });
}

// gss_userok and gss_authorize_localname on a Negotiate name: the krb5
// mechanism decides for a Kerberos name (krb5_kuserok, through the
// mechglue), this module's NTLM for an NTLM name. Anything but
// GSS_S_UNAVAILABLE keeps the mechglue from comparing the names itself.
GSSNEG_EXPORT OM_uint32 gssi_authorize_localname(OM_uint32* minor_status, const gss_name_t name,
                                                 gss_const_buffer_t local_user, gss_const_OID user_name_type) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (local_user == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        NegoNameHandle* n = nego_name_of(name);
        if (n->krb5) {
            const krb5::MechglueTable* t = krb5::mechglue();
            gss_buffer_desc user{local_user->length, local_user->value};
            krb5::MechName user_name;
            const gss_OID type =
                user_name_type != GSS_C_NO_OID ? const_cast<gss_OID>(user_name_type) : &oid::nt_user_name;
            const OM_uint32 major = t->import_name(minor_status, &user, type, user_name.out());
            if (GSS_ERROR(major)) return major;
            return t->authorize_localname(minor_status, n->krb5.get(), user_name.get());
        }
        if (n->ntlm) {
            const NameHandle tmp(*n->ntlm);
            return gssspi_authorize_localname(minor_status, reinterpret_cast<gss_name_t>(const_cast<NameHandle*>(&tmp)),
                                              local_user, user_name_type);
        }
        throw GssError(GSS_S_UNAUTHORIZED, Minor::no_local_account, "the name is not a mechanism name");
    });
}

// RFC 6680 name attributes: those of the Kerberos name (the PAC's
// urn:mspac:* attributes, for instance), through the krb5 mechanism; an
// NTLM name answers with this module's NTLM (a domain logon's SIDs and
// account, and local-login-user). Every call on a Kerberos name goes to the krb5
// mechanism, so the application sees what MIT's own SPNEGO would show it.
GSSNEG_EXPORT OM_uint32 gssi_inquire_name(OM_uint32* minor_status, gss_name_t name, int* name_is_mn, gss_OID* mn_mech,
                                          gss_buffer_set_t* attrs) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (attrs != nullptr) *attrs = GSS_C_NO_BUFFER_SET;
        NegoNameHandle* n = nego_name_of(name);
        if (n->krb5) {
            const OM_uint32 major = krb5::mechglue()->inquire_name(minor_status, n->krb5.get(), name_is_mn, nullptr, attrs);
            if (mn_mech != nullptr) *mn_mech = &oid::krb5;
            return major;
        }
        if (n->ntlm) {
            const auto handle = ntlm_name_of(*n);
            return gss_inquire_name(minor_status, reinterpret_cast<gss_name_t>(handle.get()), name_is_mn, mn_mech,
                                    attrs);
        }
        if (name_is_mn != nullptr) *name_is_mn = 0;
        if (mn_mech != nullptr) *mn_mech = GSS_C_NO_OID;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gssi_get_name_attribute(OM_uint32* minor_status, gss_name_t name, gss_buffer_t attr,
                                                int* authenticated, int* complete, gss_buffer_t value,
                                                gss_buffer_t display_value, int* more) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoNameHandle* n = nego_name_of(name);
        if (n->ntlm) {
            const auto handle = ntlm_name_of(*n);
            return gss_get_name_attribute(minor_status, reinterpret_cast<gss_name_t>(handle.get()), attr,
                                          authenticated, complete, value, display_value, more);
        }
        if (!n->krb5) throw GssError(GSS_S_UNAVAILABLE, Minor::no_name_attribute, "the name is not a mechanism name");
        return krb5::mechglue()->get_name_attribute(minor_status, n->krb5.get(), attr, authenticated, complete, value,
                                                    display_value, more);
    });
}

namespace {

NegoNameHandle* kerberos_name_for_attributes(gss_name_t name) {
    NegoNameHandle* n = nego_name_of(name);
    if (!n->krb5) {
        // This module's NTLM names have no attributes to change or export
        // (gss_set_name_attribute, gss_delete_name_attribute and
        // gss_export_name_composite are not NTLM entry points).
        throw GssError(GSS_S_UNAVAILABLE, Minor::no_name_attribute,
                       n->ntlm ? "NTLM names carry no attributes" : "the name is not a mechanism name");
    }
    return n;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gssi_set_name_attribute(OM_uint32* minor_status, gss_name_t name, int complete,
                                                gss_buffer_t attr, gss_buffer_t value) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoNameHandle* n = kerberos_name_for_attributes(name);
        return krb5::mechglue()->set_name_attribute(minor_status, n->krb5.get(), complete, attr, value);
    });
}

GSSNEG_EXPORT OM_uint32 gssi_delete_name_attribute(OM_uint32* minor_status, gss_name_t name, gss_buffer_t attr) {
    return guard(minor_status, [&]() -> OM_uint32 {
        NegoNameHandle* n = kerberos_name_for_attributes(name);
        return krb5::mechglue()->delete_name_attribute(minor_status, n->krb5.get(), attr);
    });
}

// RFC 6680 gss_export_name_composite: the krb5 mechanism's own token (04 02,
// the krb5 OID, the name, its attributes), which gss_import_name with
// GSS_C_NT_COMPOSITE_EXPORT turns back into a Kerberos name with its
// attributes, Negotiate or not.
GSSNEG_EXPORT OM_uint32 gssi_export_name_composite(OM_uint32* minor_status, gss_name_t name,
                                                   gss_buffer_t exp_composite_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (exp_composite_name == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(exp_composite_name);
        NegoNameHandle* n = kerberos_name_for_attributes(name);
        krb5::MechBuffer token;
        const OM_uint32 major = krb5::mechglue()->export_name_composite(minor_status, n->krb5.get(), token.get());
        if (GSS_ERROR(major)) return major;
        set_buffer(exp_composite_name,
                   ByteView(static_cast<const uint8_t*>(token.desc().value), token.desc().length));
        return GSS_S_COMPLETE;
    });
}
