// The GSS-API surface of the NTLM mechanism through the real mechglue:
// mechanism inquiries, names, credentials, a handshake and context
// inquiries. GSS_MECH_CONFIG names the build tree's mech file.

#include <catch2/catch.hpp>

extern "C" {
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

gss_OID_desc ntlm_oid = {10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};
gss_OID_desc session_key_oid = {11, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05")};
gss_OID_desc req_mic_oid = {11, const_cast<char*>("\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x02")};
gss_OID_desc ma_concrete = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x01")};
gss_OID_desc ma_auth_init = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x0a")};
gss_OID_desc ma_auth_targ = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x0b")};
gss_OID_desc ma_not_dflt = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x08")};
gss_OID_desc ma_deprecated = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x07")};
// RFC 5587 3.4.x: per-message services and context transfer.
gss_OID_desc ma_integ_prot = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x11")};
gss_OID_desc ma_conf_prot = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x12")};
gss_OID_desc ma_mic = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x13")};
gss_OID_desc ma_wrap = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x14")};
gss_OID_desc ma_replay_det = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x16")};
gss_OID_desc ma_oos_det = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x17")};
gss_OID_desc ma_ctx_trans = {7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x1b")};

gss_OID_desc spnego_oid = {6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};

std::string minor_text(OM_uint32 minor, gss_OID mech = &ntlm_oid) {
    OM_uint32 min = 0, ctx = 0;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    std::string out;
    do {
        if (GSS_ERROR(gss_display_status(&min, minor, GSS_C_MECH_CODE, mech, &ctx, &buf))) break;
        out.append(static_cast<const char*>(buf.value), buf.length);
        gss_release_buffer(&min, &buf);
    } while (ctx != 0);
    return out;
}

std::string temp_file(const std::string& contents) {
    char tmpl[] = "/tmp/gssneg-surface-XXXXXX";
    const int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(tmpl) << contents;
    return tmpl;
}

// The acceptor announces SURFACE / surface.test, and maps PARTNER's users
// by rule. root has three entries: one in another domain, one in PARTNER,
// and one without a domain, which is the acceptor's own.
struct Environment {
    Environment() {
        user_file = temp_file(
            "SURFACE:alice:Correct-Horse-1\n"
            "SURFACE:tracer:Password\n"
            ":root:Local-root-pw\n"
            "OTHERDOMAIN:root:Other-root-pw\n"
            "PARTNER:root:Partner-root-pw\n"
            "PARTNER:operator:Partner-operator-pw\n");
        options_file = temp_file(
            "netbios_domain = SURFACE\n"
            "dns_domain = surface.test\n"
            "local_name_map = PARTNER\\operator root\n"
            "local_name_map = PARTNER\\* *\n");
        setenv("NTLM_USER_FILE", user_file.c_str(), 1);
        setenv("GSS_NEGOTIATE_CONFIG", options_file.c_str(), 1);
        const char* ours = std::getenv("GSSNEG_OURS_MECH");
        if (ours == nullptr) ours = std::getenv("GSSNEG_BUILD_MECH");
        REQUIRE(ours != nullptr);
        setenv("GSS_MECH_CONFIG", ours, 1);
    }
    ~Environment() {
        std::remove(user_file.c_str());
        std::remove(options_file.c_str());
    }
    std::string user_file;
    std::string options_file;
};

Environment& env() {
    static Environment e;
    return e;
}

struct Name {
    Name(const std::string& text, gss_OID type) {
        OM_uint32 minor = 0;
        gss_buffer_desc buf{text.size(), const_cast<char*>(text.data())};
        REQUIRE(gss_import_name(&minor, &buf, type, &name) == GSS_S_COMPLETE);
    }
    explicit Name(gss_name_t n) : name(n) {}
    ~Name() {
        OM_uint32 minor = 0;
        gss_release_name(&minor, &name);
    }
    gss_name_t name = GSS_C_NO_NAME;
};

std::string display(gss_name_t name, gss_OID* type = nullptr) {
    OM_uint32 minor = 0;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_display_name(&minor, name, &buf, type) == GSS_S_COMPLETE);
    std::string s(static_cast<const char*>(buf.value), buf.length);
    gss_release_buffer(&minor, &buf);
    return s;
}

gss_name_t canonical(gss_name_t name) {
    OM_uint32 minor = 0;
    gss_name_t out = GSS_C_NO_NAME;
    REQUIRE(gss_canonicalize_name(&minor, name, &ntlm_oid, &out) == GSS_S_COMPLETE);
    return out;
}

bool has_member(gss_OID_set set, gss_OID oid) {
    OM_uint32 minor = 0;
    int present = 0;
    gss_test_oid_set_member(&minor, oid, set, &present);
    return present != 0;
}

gss_OID_set ntlm_only() {
    static gss_OID_set_desc set{1, &ntlm_oid};
    return &set;
}

}  // namespace

TEST_CASE("the mechglue lists NTLM with honest attributes", "[surface]") {
    env();
    OM_uint32 minor = 0;
    gss_OID_set mechs = GSS_C_NO_OID_SET;
    REQUIRE(gss_indicate_mechs(&minor, &mechs) == GSS_S_COMPLETE);
    CHECK(has_member(mechs, &ntlm_oid));
    gss_release_oid_set(&minor, &mechs);

    gss_OID_set attrs = GSS_C_NO_OID_SET, known = GSS_C_NO_OID_SET;
    REQUIRE(gss_inquire_attrs_for_mech(&minor, &ntlm_oid, &attrs, &known) == GSS_S_COMPLETE);
    CHECK(has_member(attrs, &ma_concrete));
    CHECK(has_member(attrs, &ma_auth_init));
    CHECK_FALSE(has_member(attrs, &ma_auth_targ));
    CHECK_FALSE(has_member(attrs, &ma_not_dflt));
    CHECK_FALSE(has_member(attrs, &ma_deprecated));
    for (gss_OID_desc* ma : {&ma_integ_prot, &ma_conf_prot, &ma_mic, &ma_wrap, &ma_replay_det, &ma_oos_det,
                             &ma_ctx_trans})
        CHECK(has_member(attrs, ma));
    gss_release_oid_set(&minor, &attrs);
    gss_release_oid_set(&minor, &known);

    gss_OID_set types = GSS_C_NO_OID_SET;
    REQUIRE(gss_inquire_names_for_mech(&minor, &ntlm_oid, &types) == GSS_S_COMPLETE);
    CHECK(has_member(types, GSS_C_NT_USER_NAME));
    CHECK(has_member(types, GSS_C_NT_HOSTBASED_SERVICE));
    CHECK(has_member(types, GSS_C_NT_ANONYMOUS));
    gss_release_oid_set(&minor, &types);
}

TEST_CASE("SASL names", "[surface]") {
    env();
    OM_uint32 minor = 0;
    gss_buffer_desc sasl = GSS_C_EMPTY_BUFFER, name = GSS_C_EMPTY_BUFFER, desc = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_inquire_saslname_for_mech(&minor, &ntlm_oid, &sasl, &name, &desc) == GSS_S_COMPLETE);
    CHECK(std::string(static_cast<char*>(sasl.value), sasl.length) == "GS2-NTLM");
    CHECK(std::string(static_cast<char*>(name.value), name.length) == "NTLM");
    gss_release_buffer(&minor, &sasl);
    gss_release_buffer(&minor, &name);
    gss_release_buffer(&minor, &desc);

    gss_buffer_desc query{8, const_cast<char*>("GS2-NTLM")};
    gss_OID mech = GSS_C_NO_OID;
    REQUIRE(gss_inquire_mech_for_saslname(&minor, &query, &mech) == GSS_S_COMPLETE);
    REQUIRE(mech != GSS_C_NO_OID);
    CHECK(mech->length == ntlm_oid.length);
    CHECK(std::memcmp(mech->elements, ntlm_oid.elements, ntlm_oid.length) == 0);
}

TEST_CASE("user names: canonical display, comparison, export round trip", "[surface]") {
    env();
    OM_uint32 minor = 0;
    Name imported("SURFACE\\alice", GSS_C_NT_USER_NAME);
    Name mn(canonical(imported.name));
    gss_OID type = GSS_C_NO_OID;
    const std::string shown = display(mn.name, &type);
    CHECK(shown == "SURFACE\\alice");
    CHECK(shown.size() == std::strlen(shown.c_str()));
    CHECK(gss_oid_equal(type, GSS_C_NT_USER_NAME));

    Name upn(canonical(Name("alice@SURFACE", GSS_C_NT_USER_NAME).name));
    CHECK(display(upn.name) == "SURFACE\\alice");
    int equal = 0;
    REQUIRE(gss_compare_name(&minor, mn.name, upn.name, &equal) == GSS_S_COMPLETE);
    CHECK(equal == 1);
    Name other(canonical(Name("SURFACE\\bob", GSS_C_NT_USER_NAME).name));
    REQUIRE(gss_compare_name(&minor, mn.name, other.name, &equal) == GSS_S_COMPLETE);
    CHECK(equal == 0);

    gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_export_name(&minor, mn.name, &exported) == GSS_S_COMPLETE);
    const auto* e = static_cast<const unsigned char*>(exported.value);
    REQUIRE(exported.length > 16);
    CHECK(e[0] == 0x04);
    CHECK(e[1] == 0x01);
    CHECK(e[4] == 0x06);
    CHECK(e[5] == ntlm_oid.length);
    gss_name_t back = GSS_C_NO_NAME;
    REQUIRE(gss_import_name(&minor, &exported, GSS_C_NT_EXPORT_NAME, &back) == GSS_S_COMPLETE);
    Name back_name(back);
    CHECK(display(back_name.name) == "SURFACE\\alice");
    REQUIRE(gss_compare_name(&minor, mn.name, back_name.name, &equal) == GSS_S_COMPLETE);
    CHECK(equal == 1);
    gss_release_buffer(&minor, &exported);

    gss_name_t dup = GSS_C_NO_NAME;
    REQUIRE(gss_duplicate_name(&minor, mn.name, &dup) == GSS_S_COMPLETE);
    Name dup_name(dup);
    CHECK(display(dup_name.name) == "SURFACE\\alice");
}

TEST_CASE("host-based names keep their kind through export", "[surface]") {
    env();
    OM_uint32 minor = 0;
    Name mn(canonical(Name("HTTP@www.example.test", GSS_C_NT_HOSTBASED_SERVICE).name));
    gss_OID type = GSS_C_NO_OID;
    CHECK(display(mn.name, &type) == "HTTP@www.example.test");
    CHECK(gss_oid_equal(type, GSS_C_NT_HOSTBASED_SERVICE));
    gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_export_name(&minor, mn.name, &exported) == GSS_S_COMPLETE);
    gss_name_t back = GSS_C_NO_NAME;
    REQUIRE(gss_import_name(&minor, &exported, GSS_C_NT_EXPORT_NAME, &back) == GSS_S_COMPLETE);
    Name back_name(back);
    CHECK(display(back_name.name, &type) == "HTTP@www.example.test");
    CHECK(gss_oid_equal(type, GSS_C_NT_HOSTBASED_SERVICE));
    gss_release_buffer(&minor, &exported);
}

TEST_CASE("gss_localname maps users of the acceptor's domains to local accounts", "[surface][local_name]") {
    env();
    OM_uint32 minor = 0;
    for (const char* text : {"SURFACE\\ROOT", "surface\\root", "root@surface.test", "PARTNER\\root"}) {
        INFO(text);
        Name root(canonical(Name(text, GSS_C_NT_USER_NAME).name));
        gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
        REQUIRE(gss_localname(&minor, root.name, &ntlm_oid, &local) == GSS_S_COMPLETE);
        CHECK(std::string(static_cast<char*>(local.value), local.length) == "root");
        gss_release_buffer(&minor, &local);
    }

    // Not a local account, another domain, no domain: MIT's answer for a
    // principal that maps to nothing, GSS_S_UNAVAILABLE.
    for (const char* text : {"SURFACE\\no-such-account-4711", "OTHERDOMAIN\\root", "root@other.test", "root"}) {
        INFO(text);
        Name n(canonical(Name(text, GSS_C_NT_USER_NAME).name));
        gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
        CHECK(gss_localname(&minor, n.name, &ntlm_oid, &local) == GSS_S_UNAVAILABLE);
        CHECK(local.length == 0);
        CHECK(minor_text(minor).find("No local account") != std::string::npos);
    }
}

TEST_CASE("credentials: from the user file, a credential store, a password", "[surface]") {
    env();
    OM_uint32 minor = 0;
    Name alice("SURFACE\\alice", GSS_C_NT_USER_NAME);
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    REQUIRE(gss_acquire_cred(&minor, alice.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &cred, nullptr,
                             nullptr) == GSS_S_COMPLETE);
    gss_name_t cred_name = GSS_C_NO_NAME;
    gss_cred_usage_t usage = GSS_C_BOTH;
    REQUIRE(gss_inquire_cred_by_mech(&minor, cred, &ntlm_oid, &cred_name, nullptr, nullptr, &usage) == GSS_S_COMPLETE);
    Name owner(cred_name);
    CHECK(display(owner.name) == "SURFACE\\alice");
    CHECK(usage == GSS_C_INITIATE);
    gss_release_cred(&minor, &cred);

    gss_key_value_element_desc elements[] = {{"password", "Correct-Horse-1"}};
    gss_key_value_set_desc store{1, elements};
    Name bob("SURFACE\\bob", GSS_C_NT_USER_NAME);
    CHECK(gss_acquire_cred_from(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &store, &cred,
                                nullptr, nullptr) == GSS_S_COMPLETE);
    gss_release_cred(&minor, &cred);

    // Keys of other mechanisms (MIT's SPNEGO passes the application's whole
    // store to every mechanism) are ignored: with a password they do not
    // stop the acquisition, and alone they do not stand for a credential.
    gss_key_value_element_desc mixed[] = {{"keytab", "/nonexistent/keytab"},
                                          {"password", "Correct-Horse-1"},
                                          {"ccache", "MEMORY:x"}};
    gss_key_value_set_desc mixed_store{3, mixed};
    CHECK(gss_acquire_cred_from(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &mixed_store, &cred,
                                nullptr, nullptr) == GSS_S_COMPLETE);
    gss_release_cred(&minor, &cred);
    gss_key_value_element_desc foreign[] = {{"no-such-key", "x"}};
    gss_key_value_set_desc foreign_store{1, foreign};
    CHECK(gss_acquire_cred_from(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &foreign_store, &cred,
                                nullptr, nullptr) == GSS_S_NO_CRED);
    gss_key_value_element_desc bad_hash[] = {{"nt_hash", "not-hex"}};
    gss_key_value_set_desc bad_hash_store{1, bad_hash};
    CHECK(gss_acquire_cred_from(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &bad_hash_store,
                                &cred, nullptr, nullptr) == GSS_S_CRED_UNAVAIL);

    // gss-ntlmssp's keys mean what ours mean: its password alone is a
    // credential (where an unknown key is none), its domain completes a
    // name without one, and its NT hash is parsed as ours is.
    gss_key_value_element_desc ntlmssp[] = {{"ntlmssp_password", "Correct-Horse-1"}, {"ntlmssp_domain", "SURFACE"}};
    gss_key_value_set_desc ntlmssp_store{2, ntlmssp};
    Name bare_bob("bob", GSS_C_NT_USER_NAME);
    REQUIRE(gss_acquire_cred_from(&minor, bare_bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE,
                                  &ntlmssp_store, &cred, nullptr, nullptr) == GSS_S_COMPLETE);
    gss_name_t ntlmssp_name = GSS_C_NO_NAME;
    REQUIRE(gss_inquire_cred_by_mech(&minor, cred, &ntlm_oid, &ntlmssp_name, nullptr, nullptr, nullptr) ==
            GSS_S_COMPLETE);
    Name ntlmssp_owner(ntlmssp_name);
    CHECK(display(ntlmssp_owner.name) == "SURFACE\\bob");
    gss_release_cred(&minor, &cred);
    gss_key_value_element_desc ntlmssp_hash[] = {{"ntlmssp_nthash", "not-hex"}};
    gss_key_value_set_desc ntlmssp_hash_store{1, ntlmssp_hash};
    CHECK(gss_acquire_cred_from(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &ntlmssp_hash_store,
                                &cred, nullptr, nullptr) == GSS_S_CRED_UNAVAIL);

    const OM_uint32 major = gss_acquire_cred(&minor, bob.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &cred,
                                             nullptr, nullptr);
    CHECK(major == GSS_S_NO_CRED);
    CHECK(minor_text(minor).find("SURFACE\\bob") != std::string::npos);

    gss_buffer_desc pw{7, const_cast<char*>("hunter2")};
    CHECK(gss_acquire_cred_with_password(&minor, bob.name, &pw, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE,
                                         &cred, nullptr, nullptr) == GSS_S_COMPLETE);
    gss_release_cred(&minor, &cred);
}

TEST_CASE("a handshake through the mechglue, and what each side reports", "[surface]") {
    env();
    OM_uint32 minor = 0;
    Name alice("SURFACE\\alice", GSS_C_NT_USER_NAME);
    Name target("host@localhost", GSS_C_NT_HOSTBASED_SERVICE);
    gss_cred_id_t icred = GSS_C_NO_CREDENTIAL, acred = GSS_C_NO_CREDENTIAL;
    REQUIRE(gss_acquire_cred(&minor, alice.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &icred, nullptr,
                             nullptr) == GSS_S_COMPLETE);
    REQUIRE(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, ntlm_only(), GSS_C_ACCEPT, &acred, nullptr,
                             nullptr) == GSS_S_COMPLETE);

    gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 imajor = GSS_S_CONTINUE_NEEDED, amajor = GSS_S_CONTINUE_NEEDED;
    const OM_uint32 req = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    std::vector<size_t> legs;
    gss_name_t src = GSS_C_NO_NAME;
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 aflags = 0, iflags = 0;
    while (true) {
        imajor = gss_init_sec_context(&minor, icred, &ictx, target.name, &ntlm_oid, req, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                      &in, nullptr, &out, &iflags, nullptr);
        gss_release_buffer(&minor, &in);
        REQUIRE_FALSE(GSS_ERROR(imajor));
        if (out.length == 0) break;
        legs.push_back(out.length);
        amajor = gss_accept_sec_context(&minor, &actx, acred, &out, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech, &in,
                                        &aflags, nullptr, nullptr);
        gss_release_buffer(&minor, &out);
        REQUIRE_FALSE(GSS_ERROR(amajor));
        if (in.length == 0) break;
        legs.push_back(in.length);
    }
    CHECK(imajor == GSS_S_COMPLETE);
    CHECK(amajor == GSS_S_COMPLETE);
    CHECK(legs.size() == 3);
    CHECK(gss_oid_equal(mech, &ntlm_oid));
    Name src_name(src);
    CHECK(display(src_name.name) == "SURFACE\\alice");

    // RFC 6680: an NTLM name is a mechanism name with no attributes.
    int is_mn = 0;
    gss_OID name_mech = GSS_C_NO_OID;
    gss_buffer_set_t attrs = GSS_C_NO_BUFFER_SET;
    REQUIRE(gss_inquire_name(&minor, src_name.name, &is_mn, &name_mech, &attrs) == GSS_S_COMPLETE);
    CHECK(is_mn == 1);
    CHECK(gss_oid_equal(name_mech, &ntlm_oid));
    CHECK((attrs == GSS_C_NO_BUFFER_SET || attrs->count == 0));
    gss_release_buffer_set(&minor, &attrs);
    gss_release_oid(&minor, &name_mech);  // the mechglue's copy
    gss_buffer_desc attr_name{13, const_cast<char*>("urn:no-such-x")};
    gss_buffer_desc attr_value = GSS_C_EMPTY_BUFFER, attr_display = GSS_C_EMPTY_BUFFER;
    int authenticated = -1, complete = -1, more = -1;
    CHECK(gss_get_name_attribute(&minor, src_name.name, &attr_name, &authenticated, &complete, &attr_value,
                                 &attr_display, &more) == GSS_S_UNAVAILABLE);
    CHECK(minor_text(minor).find("no such attribute") != std::string::npos);
    CHECK((iflags & GSS_C_CONF_FLAG) != 0);
    CHECK((iflags & GSS_C_INTEG_FLAG) != 0);
    CHECK((iflags & GSS_C_MUTUAL_FLAG) == 0);
    CHECK((aflags & GSS_C_CONF_FLAG) != 0);

    for (gss_ctx_id_t ctx : {ictx, actx}) {
        gss_name_t s = GSS_C_NO_NAME, t = GSS_C_NO_NAME;
        OM_uint32 lifetime = 0, flags = 0;
        int local = -1, open = 0;
        gss_OID m = GSS_C_NO_OID;
        REQUIRE(gss_inquire_context(&minor, ctx, &s, &t, &lifetime, &m, &flags, &local, &open) == GSS_S_COMPLETE);
        Name sn(s), tn(t);
        CHECK(open == 1);
        CHECK(lifetime > 0);
        CHECK(gss_oid_equal(m, &ntlm_oid));
        CHECK(display(sn.name) == "SURFACE\\alice");
        CHECK(local == (ctx == ictx ? 1 : 0));
        if (ctx == ictx) CHECK(display(tn.name) == "host@localhost");
        OM_uint32 remaining = 0;
        CHECK(gss_context_time(&minor, ctx, &remaining) == GSS_S_COMPLETE);
        CHECK(remaining > 0);
    }

    gss_buffer_set_t ikey = GSS_C_NO_BUFFER_SET, akey = GSS_C_NO_BUFFER_SET;
    REQUIRE(gss_inquire_sec_context_by_oid(&minor, ictx, &session_key_oid, &ikey) == GSS_S_COMPLETE);
    REQUIRE(gss_inquire_sec_context_by_oid(&minor, actx, &session_key_oid, &akey) == GSS_S_COMPLETE);
    REQUIRE(ikey->count >= 1);
    REQUIRE(akey->count >= 1);
    CHECK(ikey->elements[0].length == 16);
    CHECK(ikey->elements[0].length == akey->elements[0].length);
    CHECK(std::memcmp(ikey->elements[0].value, akey->elements[0].value, 16) == 0);
    gss_release_buffer_set(&minor, &ikey);
    gss_release_buffer_set(&minor, &akey);

    gss_buffer_set_t mic = GSS_C_NO_BUFFER_SET;
    REQUIRE(gss_inquire_sec_context_by_oid(&minor, actx, &req_mic_oid, &mic) == GSS_S_COMPLETE);
    REQUIRE(mic->count == 1);
    REQUIRE(mic->elements[0].length == 1);
    CHECK(static_cast<unsigned char*>(mic->elements[0].value)[0] == 1);
    gss_release_buffer_set(&minor, &mic);

    // A lifetime that does not fit in OM_uint32 (an imported context whose
    // expiry lies 2^32 + 5 seconds ahead) reads as indefinite, never as a
    // wrapped small number or as expired.
    gss_buffer_desc exported = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_export_sec_context(&minor, &actx, &exported) == GSS_S_COMPLETE);
    std::vector<unsigned char> blob(static_cast<unsigned char*>(exported.value),
                                    static_cast<unsigned char*>(exported.value) + exported.length);
    gss_release_buffer(&minor, &exported);
    const std::string magic = "GNXC";
    const auto at = std::search(blob.begin(), blob.end(), magic.begin(), magic.end());
    REQUIRE(at != blob.end());
    // magic, version (2), OID length and OID (1 + 10), role (1), three flag
    // words (12), then the expiry as 8 big-endian bytes.
    const size_t expiry_at = static_cast<size_t>(at - blob.begin()) + 4 + 2 + 11 + 1 + 12;
    REQUIRE(expiry_at + 8 <= blob.size());
    const uint64_t far = static_cast<uint64_t>(std::time(nullptr)) + (uint64_t{1} << 32) + 5;
    for (int i = 0; i < 8; ++i) blob[expiry_at + i] = static_cast<unsigned char>(far >> (56 - 8 * i));
    gss_buffer_desc patched{blob.size(), blob.data()};
    REQUIRE(gss_import_sec_context(&minor, &patched, &actx) == GSS_S_COMPLETE);
    OM_uint32 far_time = 0;
    CHECK(gss_context_time(&minor, actx, &far_time) == GSS_S_COMPLETE);
    CHECK(far_time == GSS_C_INDEFINITE);

    gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
    CHECK(ictx == GSS_C_NO_CONTEXT);
    gss_release_cred(&minor, &icred);
    gss_release_cred(&minor, &acred);
}

namespace {

std::string hex(const void* p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        const auto b = static_cast<const unsigned char*>(p)[i];
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

}  // namespace

TEST_CASE("the trace shows every leg and no secret", "[surface][trace]") {
    env();
    char tmpl[] = "/tmp/gssneg-trace-XXXXXX";
    const int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    const std::string trace_file = tmpl;
    setenv("GSS_NEGOTIATE_TRACE", trace_file.c_str(), 1);

    OM_uint32 minor = 0;
    Name user("SURFACE\\tracer", GSS_C_NT_USER_NAME);
    Name target("HTTP@trace.example", GSS_C_NT_HOSTBASED_SERVICE);
    gss_cred_id_t icred = GSS_C_NO_CREDENTIAL;
    REQUIRE(gss_acquire_cred(&minor, user.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_INITIATE, &icred, nullptr,
                             nullptr) == GSS_S_COMPLETE);
    // The acceptor is the service the initiator aims at: in one process,
    // anything else would be a reflected CHALLENGE.
    gss_cred_id_t acred = GSS_C_NO_CREDENTIAL;
    REQUIRE(gss_acquire_cred(&minor, target.name, GSS_C_INDEFINITE, ntlm_only(), GSS_C_ACCEPT, &acred, nullptr,
                             nullptr) == GSS_S_COMPLETE);
    gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 amajor = GSS_S_CONTINUE_NEEDED;
    for (int leg = 0; leg < 3 && amajor != GSS_S_COMPLETE; ++leg) {
        REQUIRE_FALSE(GSS_ERROR(gss_init_sec_context(&minor, icred, &ictx, target.name, &ntlm_oid,
                                                     GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                                     &in, nullptr, &out, nullptr, nullptr)));
        gss_release_buffer(&minor, &in);
        amajor = gss_accept_sec_context(&minor, &actx, acred, &out, GSS_C_NO_CHANNEL_BINDINGS, nullptr,
                                        nullptr, &in, nullptr, nullptr, nullptr);
        gss_release_buffer(&minor, &out);
        REQUIRE_FALSE(GSS_ERROR(amajor));
    }
    REQUIRE(amajor == GSS_S_COMPLETE);
    gss_release_cred(&minor, &acred);
    gss_buffer_set_t key = GSS_C_NO_BUFFER_SET;
    REQUIRE(gss_inquire_sec_context_by_oid(&minor, actx, &session_key_oid, &key) == GSS_S_COMPLETE);
    const std::string session_key_hex = hex(key->elements[0].value, key->elements[0].length);
    gss_release_buffer_set(&minor, &key);
    gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
    gss_release_cred(&minor, &icred);
    unsetenv("GSS_NEGOTIATE_TRACE");

    std::ifstream f(trace_file);
    const std::string trace((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::remove(trace_file.c_str());
    INFO(trace);
    CHECK(trace.find("initiator -> NEGOTIATE") != std::string::npos);
    CHECK(trace.find("acceptor <- NEGOTIATE") != std::string::npos);
    CHECK(trace.find("acceptor -> CHALLENGE") != std::string::npos);
    CHECK(trace.find("initiator <- CHALLENGE") != std::string::npos);
    CHECK(trace.find("MsvAvTimestamp") != std::string::npos);
    CHECK(trace.find("initiator -> AUTHENTICATE") != std::string::npos);
    CHECK(trace.find("NTLMv2") != std::string::npos);
    CHECK(trace.find("authenticated SURFACE\\tracer") != std::string::npos);
    CHECK(trace.find("SEAL") != std::string::npos);
    // The password, its NT hash (MS-NLMP 4.2.2: NTOWFv1("Password")) and the
    // session key never appear, in any case.
    std::string lower = trace;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower.find("password") == std::string::npos);
    CHECK(lower.find("a4f49c406510bdcab6824ee7c30fd852") == std::string::npos);
    CHECK(lower.find(session_key_hex) == std::string::npos);
}

namespace {

// Sets environment variables for one test case and puts them back.
struct ScopedEnv {
    explicit ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
        for (const auto& [name, value] : vars) {
            const char* old = std::getenv(name);
            saved.push_back({name, old != nullptr ? std::optional<std::string>(old) : std::nullopt});
            setenv(name, value, 1);
        }
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : saved) {
            if (value)
                setenv(name.c_str(), value->c_str(), 1);
            else
                unsetenv(name.c_str());
        }
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
};

// A logon of who, with its password from the user file, through mech (NTLM
// or Negotiate); the acceptor's source name.
gss_name_t logon_as(const std::string& who, gss_OID mech) {
    OM_uint32 minor = 0;
    Name user(who, GSS_C_NT_USER_NAME);
    Name target("host@localhost", GSS_C_NT_HOSTBASED_SERVICE);
    gss_OID_set_desc mechs{1, mech};
    gss_cred_id_t icred = GSS_C_NO_CREDENTIAL;
    REQUIRE(gss_acquire_cred(&minor, user.name, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &icred, nullptr,
                             nullptr) == GSS_S_COMPLETE);
    gss_ctx_id_t ictx = GSS_C_NO_CONTEXT, actx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    gss_name_t src = GSS_C_NO_NAME;
    OM_uint32 imajor = GSS_S_CONTINUE_NEEDED, amajor = GSS_S_CONTINUE_NEEDED;
    for (int leg = 0; leg < 4; ++leg) {
        imajor = gss_init_sec_context(&minor, icred, &ictx, target.name, mech, GSS_C_INTEG_FLAG, 0,
                                      GSS_C_NO_CHANNEL_BINDINGS, &in, nullptr, &out, nullptr, nullptr);
        gss_release_buffer(&minor, &in);
        INFO("initiator: " << minor_text(minor, GSS_C_NO_OID));
        REQUIRE_FALSE(GSS_ERROR(imajor));
        if (out.length == 0) break;
        amajor = gss_accept_sec_context(&minor, &actx, GSS_C_NO_CREDENTIAL, &out, GSS_C_NO_CHANNEL_BINDINGS, &src,
                                        nullptr, &in, nullptr, nullptr, nullptr);
        gss_release_buffer(&minor, &out);
        INFO("acceptor: " << minor_text(minor, GSS_C_NO_OID));
        REQUIRE_FALSE(GSS_ERROR(amajor));
        if (in.length == 0) break;
    }
    CHECK(imajor == GSS_S_COMPLETE);
    CHECK(amajor == GSS_S_COMPLETE);
    gss_delete_sec_context(&minor, &ictx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &actx, GSS_C_NO_BUFFER);
    gss_release_cred(&minor, &icred);
    REQUIRE(src != GSS_C_NO_NAME);
    return src;
}

// gss_localname, gss_pname_to_uid, gss_userok and gss_authorize_localname
// on one source name, and the local-login-user attribute.
struct LocalAnswers {
    explicit LocalAnswers(gss_name_t name) {
        OM_uint32 minor = 0;
        gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
        localname_major = gss_localname(&minor, name, GSS_C_NO_OID, &buf);
        localname_text = minor_text(minor, GSS_C_NO_OID);
        localname.assign(static_cast<const char*>(buf.value), buf.length);
        gss_release_buffer(&minor, &buf);
        uid_t got = 4711;
        uid_major = gss_pname_to_uid(&minor, name, GSS_C_NO_OID, &got);
        uid = got;
        root_ok = gss_userok(name, "root");
        alice_ok = gss_userok(name, "alice");
        Name root_user("root", GSS_C_NT_USER_NAME);
        authorize_root_major = gss_authorize_localname(&minor, name, root_user.name);
        Name alice_user("alice", GSS_C_NT_USER_NAME);
        authorize_alice_major = gss_authorize_localname(&minor, name, alice_user.name);
        gss_buffer_desc attr{16, const_cast<char*>("local-login-user")};
        int authenticated = 0, complete = 0, more = -1;
        gss_buffer_desc value = GSS_C_EMPTY_BUFFER, shown = GSS_C_EMPTY_BUFFER;
        attribute_major = gss_get_name_attribute(&minor, name, &attr, &authenticated, &complete, &value, &shown, &more);
        attribute.assign(static_cast<const char*>(value.value), value.length);
        gss_release_buffer(&minor, &value);
        gss_release_buffer(&minor, &shown);
    }
    OM_uint32 localname_major;
    std::string localname_text;
    std::string localname;
    OM_uint32 uid_major;
    uid_t uid;
    int root_ok;
    int alice_ok;
    OM_uint32 authorize_root_major;
    OM_uint32 authorize_alice_major;
    OM_uint32 attribute_major;
    std::string attribute;
};

// krb5 names have no local-login-user attribute (MIT's krb5 mechanism
// answers GSS_S_UNAVAILABLE); NTLM names answer with their local account.
void check_maps_to_root(gss_name_t name, bool ntlm = true) {
    const LocalAnswers a(name);
    CHECK(a.localname_major == GSS_S_COMPLETE);
    CHECK(a.localname == "root");
    CHECK(a.uid_major == GSS_S_COMPLETE);
    CHECK(a.uid == 0);
    CHECK(a.root_ok == 1);
    CHECK(a.alice_ok == 0);
    CHECK(a.authorize_root_major == GSS_S_COMPLETE);
    CHECK(a.authorize_alice_major == GSS_S_UNAUTHORIZED);
    CHECK(a.attribute_major == (ntlm ? GSS_S_COMPLETE : GSS_S_UNAVAILABLE));
    CHECK(a.attribute == (ntlm ? "root" : ""));
}

// What MIT's mechglue reports for a krb5 principal no rule maps.
void check_maps_to_nothing(gss_name_t name, const std::string& shown) {
    const LocalAnswers a(name);
    CHECK(a.localname_major == GSS_S_UNAVAILABLE);
    CHECK(a.localname.empty());
    CHECK(a.localname_text.find("No local account matches this name: " + shown) != std::string::npos);
    CHECK(a.uid_major == GSS_S_UNAVAILABLE);
    CHECK(a.uid == 4711);
    CHECK(a.root_ok == 0);
    CHECK(a.alice_ok == 0);
    CHECK(a.authorize_root_major == GSS_S_UNAVAILABLE);
    CHECK(a.authorize_alice_major == GSS_S_UNAVAILABLE);
    CHECK(a.attribute_major == GSS_S_UNAVAILABLE);
}

void check_logons(gss_OID mech) {
    // Another domain's root is not the local root.
    Name other(logon_as("OTHERDOMAIN\\root", mech));
    CHECK(display(other.name) == "OTHERDOMAIN\\root");
    check_maps_to_nothing(other.name, "OTHERDOMAIN\\root");

    // The entry without a domain is the acceptor's own SURFACE\root,
    // whatever domain the client sends.
    for (const char* who : {"SURFACE\\root", "EVIL\\root", "root@evil.test", "root"}) {
        INFO(who);
        Name local(logon_as(who, mech));
        CHECK(display(local.name) == "SURFACE\\root");
        check_maps_to_root(local.name);
    }

    // local_name_map: PARTNER\* keeps the user name, PARTNER\operator
    // becomes root.
    Name partner(logon_as("PARTNER\\root", mech));
    CHECK(display(partner.name) == "PARTNER\\root");
    check_maps_to_root(partner.name);
    Name partner_operator(logon_as("PARTNER\\operator", mech));
    CHECK(display(partner_operator.name) == "PARTNER\\operator");
    check_maps_to_root(partner_operator.name);
}

}  // namespace

TEST_CASE("source names map to local accounts only in the acceptor's domains (NTLM)", "[surface][local_name]") {
    env();
    check_logons(&ntlm_oid);
}

TEST_CASE("source names map to local accounts only in the acceptor's domains (Negotiate)",
          "[surface][local_name]") {
    env();
    // Negotiate over NTLM only; krb5 finds no credentials at all.
    const ScopedEnv scoped{{"GSS_NEGOTIATE_MECHS", "ntlm"},
                           {"KRB5CCNAME", "FILE:/nonexistent/gssneg-ccache"},
                           {"KRB5_CLIENT_KTNAME", "FILE:/nonexistent/gssneg-client.keytab"},
                           {"KRB5_KTNAME", "FILE:/nonexistent/gssneg.keytab"}};
    check_logons(&spnego_oid);
}

// Run by test/kdc (negotiate-kerberos-local-name) under with-kdc.sh
// --kinit alice: a Kerberos source name from Negotiate is the krb5
// mechanism's to map, through the mechglue. A krb5.conf including the
// harness's maps alice to root (auth_to_local), so that krb5_kuserok has a
// local account to say yes to.
TEST_CASE("Kerberos source names from Negotiate map as the krb5 mechanism says", "[.kerberos]") {
    env();
    const char* harness_config = std::getenv("KRB5_CONFIG");
    const char* realm = std::getenv("GSSNEG_REALM");
    REQUIRE(harness_config != nullptr);
    REQUIRE(realm != nullptr);
    const std::string krb5_config = temp_file(std::string("include ") + harness_config +
                                              "\n[realms]\n    " + realm + " = {\n" +
                                              "        auth_to_local = RULE:[1:$1@$0](^alice@.*$)s/.*/root/\n" +
                                              "        auth_to_local = DEFAULT\n    }\n");
    {
        const ScopedEnv scoped{{"KRB5_CONFIG", krb5_config.c_str()}};
        Name alice(logon_as("alice", &spnego_oid));
        CHECK(display(alice.name) == std::string("alice@") + realm);
        check_maps_to_root(alice.name, false);
    }
    std::remove(krb5_config.c_str());
}
