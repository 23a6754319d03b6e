// Names: import, display, compare, duplicate, export, local account mapping.

#include "mech/exported_name.h"
#include "mech/guard.h"
#include "mech/handles.h"
#include "mech/ntlm_entry.h"
#include "mech/oids.h"
#include "ntlm/local_name.h"
#include "ntlm/winbind_logon.h"
#include "util/bytes.h"
#include "util/config.h"

#include <pwd.h>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <unistd.h>

#include <vector>

using namespace gssneg;
using namespace gssneg::mech;

namespace {

// The exported name (mech/exported_name.h) is "DOMAIN\user",
// "service/host" or the anonymous text: '/' and '\' cannot occur in account
// names, so the form tells the kind back on import.
Bytes export_token(const ntlm::Name& name) {
    const std::string text = name.kind() == ntlm::NameKind::hostbased_service ? name.spn() : name.display();
    return exported_name_token(oid::ntlm, as_bytes(text));
}

ntlm::Name parse_exported_text(std::string_view text) {
    if (text == ntlm::anonymous_display) return ntlm::Name::anonymous();
    if (const auto slash = text.find('/'); slash != std::string_view::npos) {
        std::string hb(text);
        hb[slash] = '@';
        return ntlm::Name::hostbased(hb);
    }
    return ntlm::Name::user(text);
}

ntlm::Name import_export_token(ByteView token) {
    const ByteView text = exported_name_of(token, oid::ntlm);
    return parse_exported_text({reinterpret_cast<const char*>(text.data()), text.size()});
}

// A Kerberos principal name reaching NTLM (through a negotiating mech):
// "service/host@REALM" is a service, "user@REALM" a user.
ntlm::Name from_krb5_principal(std::string_view text) {
    const auto at = text.rfind('@');
    const std::string_view principal = at == std::string_view::npos ? text : text.substr(0, at);
    if (const auto slash = principal.find('/'); slash != std::string_view::npos) {
        std::string hb(principal);
        hb[slash] = '@';
        return ntlm::Name::hostbased(hb);
    }
    return ntlm::Name::user(text);
}

ntlm::Name import(std::string_view text, ByteView raw, gss_const_OID type) {
    if (type == GSS_C_NO_OID || oid_equal(type, &oid::nt_user_name)) return ntlm::Name::user(text);
    if (oid_equal(type, &oid::nt_hostbased_service) || oid_equal(type, &oid::nt_hostbased_service_x))
        return ntlm::Name::hostbased(text);
    if (oid_equal(type, &oid::nt_anonymous)) return ntlm::Name::anonymous();
    if (oid_equal(type, &oid::nt_export_name)) return import_export_token(raw);
    if (oid_equal(type, &oid::krb5_nt_principal_name)) return from_krb5_principal(text);
    if (oid_equal(type, &oid::nt_string_uid_name) || oid_equal(type, &oid::nt_machine_uid_name)) {
        uid_t uid = 0;
        if (oid_equal(type, &oid::nt_machine_uid_name)) {
            if (raw.size() != sizeof(uid_t)) throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "machine uid size");
            std::memcpy(&uid, raw.data(), sizeof uid);
        } else {
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), uid);
            if (ec != std::errc() || end != text.data() + text.size() || text.empty())
                throw GssError(GSS_S_BAD_NAME, Minor::bad_name, "not a uid");
        }
        passwd pw{};
        passwd* result = nullptr;
        std::vector<char> buf(16384);
        if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr)
            throw GssError(GSS_S_BAD_NAME, Minor::no_local_account, "uid " + std::to_string(uid));
        return ntlm::Name::user(pw.pw_name);
    }
    throw GssError(GSS_S_BAD_NAMETYPE, Minor::unsupported_name_type);
}

gss_OID display_type(const ntlm::Name& n) {
    switch (n.kind()) {
    case ntlm::NameKind::user: return &oid::nt_user_name;
    case ntlm::NameKind::hostbased_service: return &oid::nt_hostbased_service;
    case ntlm::NameKind::anonymous: return &oid::nt_anonymous;
    }
    return GSS_C_NO_OID;
}

bool local_account_exists(const std::string& name) {
    passwd pw{};
    passwd* result = nullptr;
    std::vector<char> buf(16384);
    return getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr;
}

}  // namespace

GSSNEG_EXPORT OM_uint32 gss_import_name(OM_uint32* minor_status, gss_buffer_t input_name_buffer,
                                        gss_OID input_name_type, gss_name_t* output_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_name == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *output_name = GSS_C_NO_NAME;
        if (input_name_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        auto handle = std::make_unique<NameHandle>(
            import(text_of(input_name_buffer), view_of(input_name_buffer), input_name_type));
        *output_name = reinterpret_cast<gss_name_t>(handle.release());
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_display_name(OM_uint32* minor_status, gss_name_t input_name,
                                         gss_buffer_t output_name_buffer, gss_OID* output_name_type) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_name_buffer == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(output_name_buffer);
        if (output_name_type != nullptr) *output_name_type = GSS_C_NO_OID;
        const NameHandle* h = name_of(input_name);
        set_buffer(output_name_buffer, std::string_view(h->name.display()));
        if (output_name_type != nullptr) *output_name_type = display_type(h->name);
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_compare_name(OM_uint32* minor_status, gss_name_t name1, gss_name_t name2,
                                         int* name_equal) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name_equal == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *name_equal = name_of(name1)->name.matches(name_of(name2)->name) ? 1 : 0;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_release_name(OM_uint32* minor_status, gss_name_t* input_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (input_name == nullptr || *input_name == GSS_C_NO_NAME) return GSS_S_COMPLETE;
        delete name_of(*input_name);
        *input_name = GSS_C_NO_NAME;
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_duplicate_name(OM_uint32* minor_status, const gss_name_t input_name,
                                           gss_name_t* dest_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (dest_name == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *dest_name = GSS_C_NO_NAME;
        auto handle = std::make_unique<NameHandle>(name_of(input_name)->name);
        *dest_name = reinterpret_cast<gss_name_t>(handle.release());
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_export_name(OM_uint32* minor_status, const gss_name_t input_name,
                                        gss_buffer_t exported_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (exported_name == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(exported_name);
        set_buffer(exported_name, ByteView(export_token(name_of(input_name)->name)));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_canonicalize_name(OM_uint32* minor_status, const gss_name_t input_name,
                                              const gss_OID, gss_name_t* output_name) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (output_name == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *output_name = GSS_C_NO_NAME;
        auto handle = std::make_unique<NameHandle>(name_of(input_name)->name);
        *output_name = reinterpret_cast<gss_name_t>(handle.release());
        return GSS_S_COMPLETE;
    });
}

namespace {

std::optional<std::string> find_local_account(const ntlm::Name& n, std::string* why) {
    const auto config = current_config();
    return ntlm::local_account(n, *config, {local_account_exists, ntlm::winbind_domain_names}, why);
}

// GSS_S_UNAVAILABLE when no account maps, as MIT's mechglue answers for a
// Kerberos principal that no auth_to_local rule maps (its last step, the
// local-login-user attribute, finds none).
std::string local_account_of(const ntlm::Name& n) {
    std::string why;
    auto account = find_local_account(n, &why);
    if (!account) throw GssError(GSS_S_UNAVAILABLE, Minor::no_local_account, why);
    return std::move(*account);
}

}  // namespace

// Only names that a local_name_map rule or one of the acceptor's domains
// covers map (ntlm/local_name.h); gss_pname_to_uid is the mechglue's
// getpwnam of this answer.
GSSNEG_EXPORT OM_uint32 gss_localname(OM_uint32* minor_status, const gss_name_t name, gss_const_OID,
                                      gss_buffer_t localname) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (localname == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
        clear_buffer(localname);
        set_buffer(localname, std::string_view(local_account_of(name_of(name)->name)));
        return GSS_S_COMPLETE;
    });
}

// gss_userok and gss_authorize_localname. The mechglue asks this first; on
// GSS_S_UNAVAILABLE it would fall back to importing the local user as an
// NTLM name and comparing, and a name without a domain matches a user of
// any domain (Name::matches). So a name that maps nowhere is refused here,
// with GSS_S_UNAUTHORIZED like a name that maps to another account.
GSSNEG_EXPORT OM_uint32 gssspi_authorize_localname(OM_uint32* minor_status, const gss_name_t name,
                                                   gss_const_buffer_t local_user, gss_const_OID user_name_type) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (local_user == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_READ;
        if (user_name_type != GSS_C_NO_OID && !oid_equal(user_name_type, &oid::nt_user_name))
            return GSS_S_BAD_NAMETYPE;
        const ntlm::Name& n = name_of(name)->name;
        std::string why;
        const auto account = find_local_account(n, &why);
        if (!account) throw GssError(GSS_S_UNAUTHORIZED, Minor::no_local_account, why);
        const std::string_view wanted(static_cast<const char*>(local_user->value), local_user->length);
        if (*account != wanted)
            throw GssError(GSS_S_UNAUTHORIZED, Minor::no_local_account,
                           n.display() + " maps to " + *account + ", not " + std::string(wanted));
        return GSS_S_COMPLETE;
    });
}

GSSNEG_EXPORT OM_uint32 gss_inquire_names_for_mech(OM_uint32* minor_status, gss_OID, gss_OID_set* name_types) {
    return guard(minor_status, [&]() -> OM_uint32 {
        if (name_types == nullptr) return GSS_S_CALL_INACCESSIBLE_WRITE;
        *name_types = make_oid_set({&oid::nt_user_name, &oid::nt_hostbased_service, &oid::nt_hostbased_service_x,
                                    &oid::nt_anonymous, &oid::nt_export_name, &oid::nt_string_uid_name,
                                    &oid::nt_machine_uid_name});
        return GSS_S_COMPLETE;
    });
}

// RFC 6680. NTLM names are mechanism names. A name from a domain logon
// carries the attributes ntlm::Name::attributes() lists (SIDs, account);
// "local-login-user" (the mechglue asks for it when gss_localname fails) is
// answered for every name, with gss_localname's answer and error.
GSSNEG_EXPORT OM_uint32 gss_inquire_name(OM_uint32* minor_status, gss_name_t name, int* name_is_MN, gss_OID* MN_mech,
                                         gss_buffer_set_t* attrs) {
    return guard(minor_status, [&]() -> OM_uint32 {
        const ntlm::Name& n = name_of(name)->name;
        if (name_is_MN != nullptr) *name_is_MN = 1;
        if (MN_mech != nullptr) *MN_mech = &oid::ntlm;
        if (attrs != nullptr) {
            const auto list = n.attributes();
            std::vector<ByteView> names;
            for (const ntlm::NameAttribute& a : list)
                names.emplace_back(reinterpret_cast<const uint8_t*>(a.name.data()), a.name.size());
            *attrs = make_buffer_set(names);
        }
        return GSS_S_COMPLETE;
    });
}

// Multi-valued attributes follow RFC 6680 5.5: *more is -1 on the first
// call, then the index of the next value, and 0 after the last.
GSSNEG_EXPORT OM_uint32 gss_get_name_attribute(OM_uint32* minor_status, gss_name_t name, gss_buffer_t attr,
                                               int* authenticated, int* complete, gss_buffer_t value,
                                               gss_buffer_t display_value, int* more) {
    return guard(minor_status, [&]() -> OM_uint32 {
        const ntlm::Name& n = name_of(name)->name;
        const int wanted_index = more != nullptr && *more > 0 ? *more : 0;
        if (authenticated != nullptr) *authenticated = 0;
        if (complete != nullptr) *complete = 0;
        if (value != GSS_C_NO_BUFFER) clear_buffer(value);
        if (display_value != GSS_C_NO_BUFFER) clear_buffer(display_value);
        if (more != nullptr) *more = 0;
        const std::string_view wanted = attr != GSS_C_NO_BUFFER ? text_of(attr) : std::string_view{};
        if (wanted == "local-login-user" && value != GSS_C_NO_BUFFER) {
            set_buffer(value, std::string_view(local_account_of(n)));
            if (complete != nullptr) *complete = 1;
            return GSS_S_COMPLETE;
        }
        for (const ntlm::NameAttribute& a : n.attributes()) {
            if (a.name != wanted) continue;
            const auto index = static_cast<size_t>(wanted_index);
            if (index >= a.values.size())
                throw GssError(GSS_S_UNAVAILABLE, Minor::no_name_attribute, std::string(wanted) + " has no more values");
            if (value != GSS_C_NO_BUFFER) set_buffer(value, std::string_view(a.values[index]));
            if (display_value != GSS_C_NO_BUFFER) {
                // The value is already the caller's: release it if this throws.
                struct ReleaseOnThrow {
                    gss_buffer_t buffer;
                    int exceptions = std::uncaught_exceptions();
                    ~ReleaseOnThrow() {
                        if (buffer == GSS_C_NO_BUFFER || std::uncaught_exceptions() <= exceptions) return;
                        std::free(buffer->value);
                        clear_buffer(buffer);
                    }
                } release{value};
                set_buffer(display_value, std::string_view(a.values[index]));
            }
            // Reported by the domain controller that checked the logon.
            if (authenticated != nullptr) *authenticated = 1;
            if (complete != nullptr) *complete = 1;
            if (more != nullptr) *more = index + 1 < a.values.size() ? static_cast<int>(index + 1) : 0;
            return GSS_S_COMPLETE;
        }
        throw GssError(GSS_S_UNAVAILABLE, Minor::no_name_attribute, std::string(wanted));
    });
}
