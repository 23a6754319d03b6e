// Every inquiry on Negotiate (SPNEGO through this module's interposer)
// credentials and contexts, in both roles, after each leg of the exchange:
// before the acceptor has a mechanism context (NegTokenInit2 hints, or
// request-mic for another mechanism), while the mechanism's context
// establishes, once the mechanism is done but SPNEGO is not, once open,
// after a failed leg, and after export and import. Each call's major status
// is checked exactly; every name an inquiry returns is displayed, its name
// type checked after the name is gone and released with gss_release_oid,
// and the name inquired, duplicated, compared, exported and released.
//
// The expectations are what MIT's own SPNEGO (krb5 1.20) answers at each
// stage; run with "mit", the same program checks them against MIT's SPNEGO
// (the mech file without the interposer line, over this module's NTLM and
// MIT's krb5). Where this module differs on purpose, both answers are
// spelled out with the reason.
//
//   context-inquiries ntlm|kerberos [mit]
//
//   ntlm      no KDC: Kerberos has no credentials; NTLM from a user file
//   kerberos  under test/kdc/with-kdc.sh --kinit alice: alice's ticket and
//             the harness's service keytab (and NTLM from a user file)
//
// Environment: GSSNEG_BUILD_MECH (the build tree's conf/mech),
// GSSNEG_BUILD_MECH_NTLM (conf/mech-ntlm, for "mit"). Links the mechglue
// only. Exits non-zero if any check fails.

// gssapi_ext.h declares some functions outside its extern "C" block.
extern "C" {
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
}

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// ---- checks ----

int g_failures = 0;
int g_checks = 0;
std::string g_where;  // the stage, side and call being checked

void check(bool ok, const char* what, int line) {
    ++g_checks;
    if (ok) return;
    ++g_failures;
    std::fprintf(stderr, "context_inquiries.cpp:%d: FAIL [%s]: %s\n", line, g_where.c_str(), what);
}

void check_major(OM_uint32 got, OM_uint32 want, const char* what, int line) {
    ++g_checks;
    if (got == want) return;
    ++g_failures;
    std::fprintf(stderr, "context_inquiries.cpp:%d: FAIL [%s]: %s is 0x%x, expected 0x%x\n", line, g_where.c_str(),
                 what, got, want);
}

void check_flags(OM_uint32 got, OM_uint32 want, const char* what, int line) {
    ++g_checks;
    if (got == want) return;
    ++g_failures;
    std::fprintf(stderr, "context_inquiries.cpp:%d: FAIL [%s]: %s are 0x%x, expected 0x%x\n", line, g_where.c_str(),
                 what, got, want);
}

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_MAJOR(expr, want) check_major((expr), (want), #expr, __LINE__)
#define CHECK_FLAGS(got, want) check_flags((got), (want), #got, __LINE__)

[[noreturn]] void fatal(const std::string& why) {
    std::fprintf(stderr, "context_inquiries: %s\n", why.c_str());
    std::exit(2);
}

// ---- OIDs, by value (the program links the mechglue only) ----

gss_OID_desc spnego_oid{6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};
gss_OID_desc krb5_oid{9, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")};
gss_OID_desc ntlm_oid{10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};
gss_OID_desc nt_user_name{10, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x01")};
gss_OID_desc nt_hostbased_service{10, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04")};
gss_OID_desc nt_anonymous{6, const_cast<char*>("\x2b\x06\x01\x05\x06\x03")};
gss_OID_desc krb5_nt_principal_name{10, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01")};
// GSS_C_INQ_SSPI_SESSION_KEY, 1.2.840.113554.1.2.2.5.5
gss_OID_desc sspi_session_key{11, const_cast<char*>("\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05")};
// 1.2.3.4.5.6.7: no mechanism answers it
gss_OID_desc unknown_object{6, const_cast<char*>("\x2a\x03\x04\x05\x06\x07")};
// RFC 5587: GSS_C_MA_MECH_NEGO
gss_OID_desc ma_mech_nego{7, const_cast<char*>("\x2b\x06\x01\x05\x05\x0d\x04")};
gss_OID_set_desc spnego_only{1, &spnego_oid};
gss_OID_set_desc ntlm_only{1, &ntlm_oid};

constexpr const char* ntlm_domain = "TESTDOM";
constexpr const char* ntlm_user = "alice";
constexpr const char* ntlm_password = "Passw0rd-for-alice";
constexpr const char* target_text = "host@localhost";

// What the application asks for: mutual authentication, replay and
// sequence detection, confidentiality, integrity (0x3e).
constexpr OM_uint32 req_flags =
    GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
// What NTLM honours of them: all but mutual authentication.
constexpr OM_uint32 ntlm_flags = req_flags & ~OM_uint32{GSS_C_MUTUAL_FLAG};

bool g_mit = false;  // MIT's SPNEGO answers, not this module's interposer
bool g_kerberos = false;

// ---- small owners ----

struct Buffer {
    gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
    ~Buffer() {
        OM_uint32 minor = 0;
        gss_release_buffer(&minor, &b);
    }
    std::string text() const { return std::string(static_cast<const char*>(b.value), b.length); }
    std::vector<std::uint8_t> bytes() const {
        const auto* p = static_cast<const std::uint8_t*>(b.value);
        return std::vector<std::uint8_t>(p, p + b.length);
    }
};

struct Name {
    gss_name_t n = GSS_C_NO_NAME;
    Name() = default;
    Name(const std::string& text, gss_OID type) {
        OM_uint32 minor = 0;
        gss_buffer_desc buf{text.size(), const_cast<char*>(text.data())};
        if (gss_import_name(&minor, &buf, type, &n) != GSS_S_COMPLETE) fatal("gss_import_name " + text);
    }
    Name(const Name&) = delete;
    Name& operator=(const Name&) = delete;
    ~Name() {
        OM_uint32 minor = 0;
        gss_release_name(&minor, &n);
    }
};

struct Cred {
    gss_cred_id_t c = GSS_C_NO_CREDENTIAL;
    Cred() = default;
    Cred(const Cred&) = delete;
    Cred& operator=(const Cred&) = delete;
    ~Cred() {
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &c);
    }
};

struct Context {
    gss_ctx_id_t c = GSS_C_NO_CONTEXT;
    Context() = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context() {
        OM_uint32 minor = 0;
        gss_delete_sec_context(&minor, &c, GSS_C_NO_BUFFER);
    }
};

// ---- names ----

// What a returned name must look like: its display text and name type.
struct NameExpectation {
    std::string text;
    gss_OID type;
};

// Displays, inquires, duplicates, compares and exports a name an inquiry
// returned, then releases it. The name type must outlive the name (the
// mechglue keeps what the mechanism returned, so a type pointing into the
// name would be gone) and gss_release_oid must take it back.
void check_returned_name(gss_name_t& name, const NameExpectation& want) {
    const std::string where = g_where;
    OM_uint32 minor = 0;
    Buffer text;
    gss_OID type = GSS_C_NO_OID;
    g_where = where + " gss_display_name";
    CHECK_MAJOR(gss_display_name(&minor, name, &text.b, &type), GSS_S_COMPLETE);
    CHECK(text.text() == want.text);
    if (text.text() != want.text) std::fprintf(stderr, "    displayed \"%s\"\n", text.text().c_str());

    g_where = where + " gss_display_name_ext";
    {
        Buffer ext;
        CHECK_MAJOR(gss_display_name_ext(&minor, name, want.type, &ext.b), GSS_S_COMPLETE);
        CHECK(ext.text() == want.text);
        Buffer other;
        CHECK_MAJOR(gss_display_name_ext(&minor, name, &nt_anonymous, &other.b), GSS_S_UNAVAILABLE);
    }

    g_where = where + " gss_inquire_name";
    {
        int is_mn = -1;
        gss_OID mn_mech = GSS_C_NO_OID;
        gss_buffer_set_t attrs = GSS_C_NO_BUFFER_SET;
        CHECK_MAJOR(gss_inquire_name(&minor, name, &is_mn, &mn_mech, &attrs), GSS_S_COMPLETE);
        CHECK(is_mn == 1);
        CHECK(mn_mech != GSS_C_NO_OID);
        CHECK_MAJOR(gss_release_oid(&minor, &mn_mech), GSS_S_COMPLETE);
        CHECK_MAJOR(gss_release_buffer_set(&minor, &attrs), GSS_S_COMPLETE);
    }

    g_where = where + " gss_duplicate_name";
    {
        Name copy;
        CHECK_MAJOR(gss_duplicate_name(&minor, name, &copy.n), GSS_S_COMPLETE);
        int equal = -1;
        CHECK_MAJOR(gss_compare_name(&minor, name, copy.n, &equal), GSS_S_COMPLETE);
        CHECK(equal == 1);
        Buffer copy_text;
        gss_OID copy_type = GSS_C_NO_OID;
        CHECK_MAJOR(gss_display_name(&minor, copy.n, &copy_text.b, &copy_type), GSS_S_COMPLETE);
        CHECK(copy_text.text() == want.text);
        CHECK(gss_oid_equal(copy_type, want.type));
        CHECK_MAJOR(gss_release_oid(&minor, &copy_type), GSS_S_COMPLETE);
    }

    g_where = where + " gss_export_name";
    {
        Buffer exported;
        CHECK_MAJOR(gss_export_name(&minor, name, &exported.b), GSS_S_COMPLETE);
        const auto token = exported.bytes();
        // RFC 2743 3.2: TOK_ID 04 01.
        CHECK(token.size() > 2 && token[0] == 0x04 && token[1] == 0x01);
    }

    g_where = where + " gss_release_name";
    CHECK_MAJOR(gss_release_name(&minor, &name), GSS_S_COMPLETE);
    CHECK(name == GSS_C_NO_NAME);
    g_where = where + " name type after gss_release_name";
    CHECK(gss_oid_equal(type, want.type));
    CHECK_MAJOR(gss_release_oid(&minor, &type), GSS_S_COMPLETE);
    CHECK(type == GSS_C_NO_OID);
    g_where = where;
}

void check_no_name(gss_name_t& name) {
    CHECK(name == GSS_C_NO_NAME);
    OM_uint32 minor = 0;
    gss_release_name(&minor, &name);
}

// ---- credentials ----

struct CredExpectation {
    bool has_name;  // gss_inquire_cred can report a name
    NameExpectation name;
    bool lifetime_indefinite;
    gss_cred_usage_t usage;
};

void check_cred(const char* side, gss_cred_id_t cred, const CredExpectation& want) {
    OM_uint32 minor = 0;
    g_where = std::string(side) + " credential: gss_inquire_cred";
    {
        gss_name_t name = GSS_C_NO_NAME;
        OM_uint32 lifetime = 12345;
        gss_cred_usage_t usage = -1;
        gss_OID_set mechs = GSS_C_NO_OID_SET;
        // The mechglue displays every name the mechanism returns; a
        // credential without one (an NTLM acceptor's) fails there, for MIT's
        // SPNEGO as for this module.
        CHECK_MAJOR(gss_inquire_cred(&minor, cred, &name, &lifetime, &usage, &mechs),
                    want.has_name ? GSS_S_COMPLETE : GSS_S_BAD_NAME);
        if (want.has_name) {
            CHECK(usage == want.usage);
            CHECK(want.lifetime_indefinite ? lifetime == GSS_C_INDEFINITE
                                           : lifetime > 0 && lifetime != GSS_C_INDEFINITE);
            int present = 0;
            CHECK(mechs != GSS_C_NO_OID_SET && mechs->count == 1);
            CHECK_MAJOR(gss_test_oid_set_member(&minor, &spnego_oid, mechs, &present), GSS_S_COMPLETE);
            CHECK(present == 1);
            check_returned_name(name, want.name);
        } else {
            check_no_name(name);
            CHECK(mechs == GSS_C_NO_OID_SET);
        }
        gss_release_oid_set(&minor, &mechs);
    }
    g_where = std::string(side) + " credential: gss_inquire_cred without the name";
    {
        OM_uint32 lifetime = 12345;
        gss_cred_usage_t usage = -1;
        gss_OID_set mechs = GSS_C_NO_OID_SET;
        CHECK_MAJOR(gss_inquire_cred(&minor, cred, nullptr, &lifetime, &usage, &mechs), GSS_S_COMPLETE);
        CHECK(usage == want.usage);
        CHECK(want.lifetime_indefinite ? lifetime == GSS_C_INDEFINITE : lifetime > 0 && lifetime != GSS_C_INDEFINITE);
        CHECK(mechs != GSS_C_NO_OID_SET && mechs->count == 1 && gss_oid_equal(&mechs->elements[0], &spnego_oid));
        CHECK_MAJOR(gss_release_oid_set(&minor, &mechs), GSS_S_COMPLETE);
    }
    g_where = std::string(side) + " credential: gss_inquire_cred_by_mech";
    {
        // Neither MIT's SPNEGO nor this interposer has
        // gss_inquire_cred_by_mech: the mechglue answers GSS_S_BAD_BINDINGS
        // for a mechanism without one. The credential holds SPNEGO only.
        gss_name_t name = GSS_C_NO_NAME;
        OM_uint32 init_life = 7, accept_life = 7;
        gss_cred_usage_t usage = -1;
        CHECK_MAJOR(gss_inquire_cred_by_mech(&minor, cred, &spnego_oid, &name, &init_life, &accept_life, &usage),
                    GSS_S_BAD_BINDINGS);
        check_no_name(name);
        for (gss_OID mech : {&krb5_oid, &ntlm_oid}) {
            CHECK_MAJOR(gss_inquire_cred_by_mech(&minor, cred, mech, &name, &init_life, &accept_life, &usage),
                        GSS_S_NO_CRED);
            check_no_name(name);
        }
    }
}

void check_mech_inquiries() {
    OM_uint32 minor = 0;
    g_where = "gss_inquire_names_for_mech(SPNEGO)";
    gss_OID_set types = GSS_C_NO_OID_SET;
    CHECK_MAJOR(gss_inquire_names_for_mech(&minor, &spnego_oid, &types), GSS_S_COMPLETE);
    for (gss_OID type : {&nt_user_name, &nt_hostbased_service}) {
        int present = 0;
        CHECK_MAJOR(gss_test_oid_set_member(&minor, type, types, &present), GSS_S_COMPLETE);
        CHECK(present == 1);
    }
    CHECK_MAJOR(gss_release_oid_set(&minor, &types), GSS_S_COMPLETE);

    g_where = "gss_inquire_attrs_for_mech(SPNEGO)";
    gss_OID_set attrs = GSS_C_NO_OID_SET;
    gss_OID_set known = GSS_C_NO_OID_SET;
    CHECK_MAJOR(gss_inquire_attrs_for_mech(&minor, &spnego_oid, &attrs, &known), GSS_S_COMPLETE);
    int present = 0;
    CHECK_MAJOR(gss_test_oid_set_member(&minor, &ma_mech_nego, attrs, &present), GSS_S_COMPLETE);
    CHECK(present == 1);
    CHECK_MAJOR(gss_release_oid_set(&minor, &attrs), GSS_S_COMPLETE);
    CHECK_MAJOR(gss_release_oid_set(&minor, &known), GSS_S_COMPLETE);
}

// ---- contexts ----

enum class Stage {
    no_mech_context,  // SPNEGO only: NegTokenInit2 hints sent, or request-mic for another mechanism
    establishing,     // the mechanism's context is partial
    mech_complete,    // the mechanism is done, SPNEGO is not (the last mechListMIC or accept-completed is due)
    open,
    failed,           // a leg failed
};

const char* stage_name(Stage s) {
    switch (s) {
    case Stage::no_mech_context: return "no mechanism context";
    case Stage::establishing: return "establishing";
    case Stage::mech_complete: return "mechanism complete";
    case Stage::open: return "open";
    case Stage::failed: return "failed";
    }
    return "?";
}

struct ContextExpectation {
    Stage stage;
    bool initiator;
    gss_OID mech = GSS_C_NO_OID;  // the mechanism in use
    OM_uint32 flags = 0;          // gss_inquire_context's ctx_flags
    const NameExpectation* src = nullptr;   // once the mechanism is done
    const NameExpectation* targ = nullptr;
};

// Every inquiry on one context at one stage.
void check_context(const std::string& where, gss_ctx_id_t ctx, const ContextExpectation& want) {
    OM_uint32 minor = 0;
    const std::string at = where + " (" + stage_name(want.stage) + ")";
    const bool failed = want.stage == Stage::failed;
    const bool none = want.stage == Stage::no_mech_context;
    const bool partial = want.stage == Stage::establishing;
    const bool has_names = want.stage == Stage::mech_complete || want.stage == Stage::open;

    g_where = at + ": gss_inquire_context";
    {
        gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
        OM_uint32 lifetime = 12345, flags = 12345;
        gss_OID mech = GSS_C_NO_OID;
        int local = -1, open = -1;
        // A failed leg: MIT's SPNEGO deletes its context and the mechglue
        // answers GSS_S_NO_CONTEXT; this module keeps it (the application
        // deletes it) and answers the same.
        CHECK_MAJOR(gss_inquire_context(&minor, ctx, &src, &targ, &lifetime, &mech, &flags, &local, &open),
                    failed ? GSS_S_NO_CONTEXT : GSS_S_COMPLETE);
        if (!failed) {
            CHECK(local == (want.initiator ? 1 : 0));
            CHECK(open == (want.stage == Stage::open ? 1 : 0));
            CHECK(gss_oid_equal(mech, want.stage == Stage::open ? want.mech : &spnego_oid));
            CHECK_FLAGS(flags, want.flags);
            if (has_names) {
                CHECK(lifetime > 0 && lifetime != GSS_C_INDEFINITE);
            } else {
                CHECK(lifetime == 0);
            }
        }
        g_where = at + ": gss_inquire_context's initiator name";
        if (has_names && want.src != nullptr)
            check_returned_name(src, *want.src);
        else
            check_no_name(src);
        g_where = at + ": gss_inquire_context's acceptor name";
        if (has_names && want.targ != nullptr)
            check_returned_name(targ, *want.targ);
        else
            check_no_name(targ);
    }

    g_where = at + ": gss_inquire_context, no outputs";
    CHECK_MAJOR(gss_inquire_context(&minor, ctx, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr),
                failed ? GSS_S_NO_CONTEXT : GSS_S_COMPLETE);

    // Until the mechanism's context is done these go to it (MIT's SPNEGO),
    // which is not ready: GSS_S_NO_CONTEXT, as without one.
    const bool usable = has_names;
    g_where = at + ": gss_context_time";
    {
        OM_uint32 time_rec = 12345;
        CHECK_MAJOR(gss_context_time(&minor, ctx, &time_rec), usable ? GSS_S_COMPLETE : GSS_S_NO_CONTEXT);
        if (usable) CHECK(time_rec > 0 && time_rec != GSS_C_INDEFINITE);
    }
    g_where = at + ": gss_wrap_size_limit";
    {
        OM_uint32 max_input = 12345;
        CHECK_MAJOR(gss_wrap_size_limit(&minor, ctx, 1, GSS_C_QOP_DEFAULT, 1000, &max_input),
                    usable ? GSS_S_COMPLETE : GSS_S_NO_CONTEXT);
        if (usable) CHECK(max_input > 900 && max_input < 1000);
    }
    g_where = at + ": gss_get_mic";
    {
        // Not an inquiry: this module protects messages only once the
        // exchange is complete (the mechListMIC verified); MIT's SPNEGO as
        // soon as the mechanism is done.
        const bool protects = want.stage == Stage::open || (g_mit && want.stage == Stage::mech_complete);
        gss_buffer_desc message{5, const_cast<char*>("hello")};
        Buffer mic;
        CHECK_MAJOR(gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &message, &mic.b),
                    protects ? GSS_S_COMPLETE : GSS_S_NO_CONTEXT);
        CHECK(protects ? mic.b.length > 0 : mic.b.length == 0);
    }
    // MIT's mechglue hands gss_inquire_sec_context_by_oid on to MIT's SPNEGO
    // even after that deleted its context (it crashes): not asked there.
    if (failed && g_mit) {
        g_where.clear();
        return;
    }
    g_where = at + ": gss_inquire_sec_context_by_oid(GSS_C_INQ_SSPI_SESSION_KEY)";
    {
        // SPNEGO has no objects of its own: GSS_S_UNAVAILABLE with no
        // mechanism context to ask.
        gss_buffer_set_t data = GSS_C_NO_BUFFER_SET;
        CHECK_MAJOR(gss_inquire_sec_context_by_oid(&minor, ctx, &sspi_session_key, &data),
                    usable ? GSS_S_COMPLETE : none ? GSS_S_UNAVAILABLE : GSS_S_NO_CONTEXT);
        if (usable) CHECK(data != GSS_C_NO_BUFFER_SET && data->count >= 1 && data->elements[0].length >= 16);
        if (!usable) CHECK(data == GSS_C_NO_BUFFER_SET);
        CHECK_MAJOR(gss_release_buffer_set(&minor, &data), GSS_S_COMPLETE);
    }
    g_where = at + ": gss_inquire_sec_context_by_oid(an unknown OID)";
    {
        // A partial krb5 context refuses every object; NTLM answers the
        // objects it knows and refuses the others.
        const bool refused = failed || (partial && gss_oid_equal(want.mech, &krb5_oid));
        const OM_uint32 want_major = refused ? GSS_S_NO_CONTEXT : GSS_S_UNAVAILABLE;
        gss_buffer_set_t data = GSS_C_NO_BUFFER_SET;
        CHECK_MAJOR(gss_inquire_sec_context_by_oid(&minor, ctx, &unknown_object, &data), want_major);
        CHECK(data == GSS_C_NO_BUFFER_SET);
    }
    g_where.clear();
}

// One leg of the exchange and its outputs.
struct Leg {
    bool initiator;
    OM_uint32 major;
    OM_uint32 ret_flags;
    // time_rec while continuing: the mechanism's (krb5 reports its ticket's
    // from the first call; a done NTLM its context's), or 0
    bool lifetime = false;
    gss_OID mech = GSS_C_NO_OID;  // at GSS_S_COMPLETE
    const NameExpectation* src = nullptr;  // the acceptor's src_name at GSS_S_COMPLETE
};

struct Exchange {
    gss_cred_id_t icred;
    gss_cred_id_t acred;
    OM_uint32 flags;
    Name target{target_text, &nt_hostbased_service};
    Context ictx;
    Context actx;
    std::vector<std::uint8_t> to_acceptor;
    std::vector<std::uint8_t> to_initiator;
    int leg = 0;

    Exchange(gss_cred_id_t i, gss_cred_id_t a, OM_uint32 f) : icred(i), acred(a), flags(f) {}

    std::string label(bool initiator) const {
        return std::string(initiator ? "initiator" : "acceptor") + " after leg " + std::to_string(leg);
    }

    // The acceptor's NegTokenInit2 (MS-SPNG 3.2.5.2): an empty first token.
    void hints() {
        OM_uint32 minor = 0;
        gss_buffer_desc empty = GSS_C_EMPTY_BUFFER;
        Buffer out;
        g_where = "acceptor: gss_accept_sec_context with an empty token";
        CHECK_MAJOR(gss_accept_sec_context(&minor, &actx.c, acred, &empty, GSS_C_NO_CHANNEL_BINDINGS, nullptr,
                                           nullptr, &out.b, nullptr, nullptr, nullptr),
                    GSS_S_CONTINUE_NEEDED);
        CHECK(out.b.length > 0);
    }

    void step(const Leg& want) {
        ++leg;
        OM_uint32 minor = 0;
        OM_uint32 ret_flags = 0x7777;
        OM_uint32 time_rec = 12345;
        gss_OID mech = GSS_C_NO_OID;
        Buffer out;
        OM_uint32 major;
        g_where = label(want.initiator) + ": " + (want.initiator ? "gss_init_sec_context" : "gss_accept_sec_context");
        gss_name_t src = GSS_C_NO_NAME;
        if (want.initiator) {
            gss_buffer_desc in{to_initiator.size(), to_initiator.data()};
            major = gss_init_sec_context(&minor, icred, &ictx.c, target.n, &spnego_oid, flags, 0,
                                         GSS_C_NO_CHANNEL_BINDINGS, leg == 1 ? GSS_C_NO_BUFFER : &in, &mech, &out.b,
                                         &ret_flags, &time_rec);
            to_acceptor = out.bytes();
        } else {
            gss_buffer_desc in{to_acceptor.size(), to_acceptor.data()};
            major = gss_accept_sec_context(&minor, &actx.c, acred, &in, GSS_C_NO_CHANNEL_BINDINGS, &src, &mech,
                                           &out.b, &ret_flags, &time_rec, nullptr);
            to_initiator = out.bytes();
        }
        CHECK_MAJOR(major, want.major);
        if (major == GSS_S_COMPLETE) {
            CHECK_FLAGS(ret_flags, want.ret_flags);
            CHECK(gss_oid_equal(mech, want.mech));
            CHECK(time_rec > 0 && time_rec != GSS_C_INDEFINITE);
        } else if (major == GSS_S_CONTINUE_NEEDED) {
            // The mechglue passes an acceptor's ret_flags on only at
            // GSS_S_COMPLETE.
            CHECK_FLAGS(ret_flags, want.initiator ? want.ret_flags : 0);
            CHECK(want.lifetime ? time_rec > 0 && time_rec != GSS_C_INDEFINITE : time_rec == 0);
            // MIT's SPNEGO reports the mechanism only when it is chosen
            // for good; this module reports SPNEGO while it negotiates.
            if (want.initiator) CHECK(g_mit ? mech == GSS_C_NO_OID : gss_oid_equal(mech, &spnego_oid));
        }
        if (!want.initiator) {
            g_where = label(false) + ": gss_accept_sec_context's src_name";
            if (major == GSS_S_COMPLETE && want.src != nullptr)
                check_returned_name(src, *want.src);
            else
                check_no_name(src);
        }
        g_where.clear();
    }

    // The next token in flight, altered in its last byte.
    void tamper(bool to_the_initiator) {
        auto& token = to_the_initiator ? to_initiator : to_acceptor;
        if (token.empty()) fatal("no token to alter");
        token.back() ^= 0x01;
    }
};

// After the exchange: each context is exported (the handle is gone then)
// and imported again, and the imported one inquired as an open context.
// The mechglue heads an exported Negotiate context with the interposer's
// OID for SPNEGO, which on import names the mechanism it interposes (MIT's
// SPNEGO, which reads the same layout); headed by SPNEGO's own OID, as
// MIT's SPNEGO exports it, the token comes back to the interposer. Both
// imports are checked. A complete context takes no further token.
void check_export_import(Context& ctx, const ContextExpectation& want) {
    OM_uint32 minor = 0;
    const std::string side = want.initiator ? "initiator" : "acceptor";
    g_where = side + ": gss_export_sec_context";
    Buffer token;
    CHECK_MAJOR(gss_export_sec_context(&minor, &ctx.c, &token.b), GSS_S_COMPLETE);
    CHECK(ctx.c == GSS_C_NO_CONTEXT);
    g_where = side + ": gss_inquire_context after the export";
    CHECK_MAJOR(gss_inquire_context(&minor, ctx.c, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr),
                GSS_S_CALL_INACCESSIBLE_READ | GSS_S_NO_CONTEXT);

    const auto exported = token.bytes();
    if (exported.size() < 4) fatal("exported context too short");
    const std::size_t outer = (std::size_t{exported[0]} << 24) | (std::size_t{exported[1]} << 16) |
                              (std::size_t{exported[2]} << 8) | exported[3];
    if (exported.size() < 4 + outer) fatal("exported context shorter than its OID");
    const auto* spnego_bytes = static_cast<const std::uint8_t*>(spnego_oid.elements);
    g_where = side + ": the exported context's OID";
    CHECK(g_mit ? outer == spnego_oid.length : outer > spnego_oid.length);
    const auto outer_end = exported.begin() + static_cast<std::ptrdiff_t>(4 + outer);
    CHECK(outer >= spnego_oid.length && std::equal(spnego_bytes, spnego_bytes + spnego_oid.length,
                                                   outer_end - static_cast<std::ptrdiff_t>(spnego_oid.length)));
    std::vector<std::uint8_t> as_spnego{0, 0, 0, static_cast<std::uint8_t>(spnego_oid.length)};
    as_spnego.insert(as_spnego.end(), spnego_bytes, spnego_bytes + spnego_oid.length);
    as_spnego.insert(as_spnego.end(), outer_end, exported.end());

    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> imports{{"as exported", exported}};
    if (!g_mit) imports.emplace_back("headed by SPNEGO's OID", as_spnego);
    for (auto& [how, bytes] : imports) {
        const std::string label = side + " imported " + how;
        g_where = label + ": gss_import_sec_context";
        gss_buffer_desc in{bytes.size(), bytes.data()};
        Context imported;
        CHECK_MAJOR(gss_import_sec_context(&minor, &in, &imported.c), GSS_S_COMPLETE);
        if (imported.c == GSS_C_NO_CONTEXT) continue;
        check_context(label, imported.c, want);
        if (g_mit || how == "as exported") continue;
        g_where = label + ": another leg";
        gss_buffer_desc garbage{3, const_cast<char*>("abc")};
        Buffer out;
        Name target(target_text, &nt_hostbased_service);
        const OM_uint32 major =
            want.initiator ? gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &imported.c, target.n, &spnego_oid, 0,
                                                  0, GSS_C_NO_CHANNEL_BINDINGS, &garbage, nullptr, &out.b, nullptr,
                                                  nullptr)
                           : gss_accept_sec_context(&minor, &imported.c, GSS_C_NO_CREDENTIAL, &garbage,
                                                    GSS_C_NO_CHANNEL_BINDINGS, nullptr, nullptr, &out.b, nullptr,
                                                    nullptr, nullptr);
        CHECK_MAJOR(major, GSS_S_FAILURE);
        CHECK(out.b.length == 0);
        check_context(label + " after another leg", imported.c, want);
    }
    ctx.c = GSS_C_NO_CONTEXT;
    g_where.clear();
}

void check_partial_export(gss_ctx_id_t ctx, const char* side) {
    // Neither MIT's SPNEGO nor this module exports a partial context.
    OM_uint32 minor = 0;
    g_where = std::string(side) + ": gss_export_sec_context of a partial context";
    gss_ctx_id_t handle = ctx;
    Buffer token;
    CHECK_MAJOR(gss_export_sec_context(&minor, &handle, &token.b), GSS_S_UNAVAILABLE);
    CHECK(handle == ctx);
    g_where.clear();
}

// ---- the cases ----

void acquire(Cred& initiator, Cred& acceptor) {
    OM_uint32 minor = 0;
    g_where = "gss_acquire_cred(SPNEGO, initiate)";
    CHECK_MAJOR(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_only, GSS_C_INITIATE, &initiator.c,
                                 nullptr, nullptr),
                GSS_S_COMPLETE);
    g_where = "gss_acquire_cred(SPNEGO, accept)";
    CHECK_MAJOR(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_only, GSS_C_ACCEPT, &acceptor.c,
                                 nullptr, nullptr),
                GSS_S_COMPLETE);
    if (initiator.c == GSS_C_NO_CREDENTIAL || acceptor.c == GSS_C_NO_CREDENTIAL) fatal("no credentials");
}

const NameExpectation ntlm_client{std::string(ntlm_domain) + "\\" + ntlm_user, &nt_user_name};
const NameExpectation ntlm_target{target_text, &nt_hostbased_service};

// Negotiate over NTLM: NEGOTIATE, CHALLENGE, AUTHENTICATE with the
// mechListMIC, accept-completed with the acceptor's mechListMIC.
void ntlm_case() {
    Cred icred, acred;
    acquire(icred, acred);
    check_cred("initiator", icred.c, {true, ntlm_client, true, GSS_C_INITIATE});
    check_cred("acceptor", acred.c, {false, {}, true, GSS_C_ACCEPT});
    check_mech_inquiries();

    const ContextExpectation i_partial{Stage::establishing, true, &ntlm_oid, ntlm_flags};
    const ContextExpectation a_partial{Stage::establishing, false, &ntlm_oid, ntlm_flags};
    const ContextExpectation i_mech_done{Stage::mech_complete, true, &ntlm_oid, ntlm_flags, &ntlm_client, &ntlm_target};
    const ContextExpectation i_open{Stage::open, true, &ntlm_oid, ntlm_flags, &ntlm_client, &ntlm_target};
    // An NTLM acceptor credential has no name: no acceptor name.
    const ContextExpectation a_open{Stage::open, false, &ntlm_oid, ntlm_flags, &ntlm_client, nullptr};

    {
        Exchange x(icred.c, acred.c, req_flags);
        x.hints();
        check_context("acceptor after NegTokenInit2", x.actx.c, {Stage::no_mech_context, false});
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags});
        check_context(x.label(true), x.ictx.c, i_partial);
        check_partial_export(x.ictx.c, "initiator");
        x.step({false, GSS_S_CONTINUE_NEEDED, 0});
        check_context(x.label(false), x.actx.c, a_partial);
        check_partial_export(x.actx.c, "acceptor");
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags, true});
        check_context(x.label(true), x.ictx.c, i_mech_done);
        x.step({false, GSS_S_COMPLETE, ntlm_flags, false, &ntlm_oid, &ntlm_client});
        check_context(x.label(false), x.actx.c, a_open);
        x.step({true, GSS_S_COMPLETE, ntlm_flags, false, &ntlm_oid});
        check_context(x.label(true), x.ictx.c, i_open);
        check_export_import(x.ictx, i_open);
        check_export_import(x.actx, a_open);
    }

    {
        // The acceptor's leg fails: the initiator's password is wrong.
        OM_uint32 minor = 0;
        Name user(std::string(ntlm_domain) + "\\" + ntlm_user, &nt_user_name);
        gss_buffer_desc wrong{12, const_cast<char*>("not-the-pass")};
        Cred bad;
        g_where = "gss_acquire_cred_with_password(SPNEGO)";
        CHECK_MAJOR(gss_acquire_cred_with_password(&minor, user.n, &wrong, GSS_C_INDEFINITE, &spnego_only,
                                                   GSS_C_INITIATE, &bad.c, nullptr, nullptr),
                    GSS_S_COMPLETE);
        Exchange x(bad.c, acred.c, req_flags);
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags});
        x.step({false, GSS_S_CONTINUE_NEEDED, 0});
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags, true});
        x.step({false, GSS_S_DEFECTIVE_CREDENTIAL, 0});
        check_context(x.label(false), x.actx.c, {Stage::failed, false});
        check_context(x.label(false) + ", the initiator", x.ictx.c, i_mech_done);
    }

    {
        // The initiator's last leg fails: the acceptor's mechListMIC is
        // altered in transit.
        Exchange x(icred.c, acred.c, req_flags);
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags});
        x.step({false, GSS_S_CONTINUE_NEEDED, 0});
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags, true});
        x.step({false, GSS_S_COMPLETE, ntlm_flags, false, &ntlm_oid, &ntlm_client});
        x.tamper(true);
        x.step({true, GSS_S_BAD_SIG, 0});
        check_context(x.label(true), x.ictx.c, {Stage::failed, true});
        check_context(x.label(true) + ", the acceptor", x.actx.c, a_open);
    }
}

// Negotiate over Kerberos: mutual (AP-REQ, AP-REP), without mutual
// authentication (the AP-REQ completes krb5; SPNEGO waits for
// accept-completed), an altered AP-REP, and an acceptor that takes NTLM
// only (request-mic: no acceptor mechanism context after its first leg).
void kerberos_case() {
    const char* realm = std::getenv("GSSNEG_REALM");
    if (realm == nullptr || std::getenv("GSSNEG_KDC_DIR") == nullptr) fatal("run under test/kdc/with-kdc.sh");
    const NameExpectation client{std::string("alice@") + realm, &krb5_nt_principal_name};
    const NameExpectation service{std::string("host/localhost@") + realm, &krb5_nt_principal_name};

    Cred icred, acred;
    acquire(icred, acred);
    // The first mechanism of the credential answers: Kerberos, with the
    // ticket's lifetime; a keytab credential's is indefinite.
    check_cred("initiator", icred.c, {true, client, false, GSS_C_INITIATE});
    check_cred("acceptor", acred.c, {true, service, true, GSS_C_ACCEPT});
    check_mech_inquiries();

    // krb5 adds GSS_C_TRANS_FLAG, and GSS_C_PROT_READY_FLAG once an
    // acceptor is done; SPNEGO drops both while negotiating, and
    // PROT_READY from every ret_flags.
    const OM_uint32 trans = GSS_C_TRANS_FLAG;
    const OM_uint32 prot_ready = GSS_C_PROT_READY_FLAG;
    {
        Exchange x(icred.c, acred.c, req_flags);
        x.hints();
        check_context("acceptor after NegTokenInit2", x.actx.c, {Stage::no_mech_context, false});
        x.step({true, GSS_S_CONTINUE_NEEDED, req_flags | trans, true});
        check_context(x.label(true), x.ictx.c, {Stage::establishing, true, &krb5_oid, req_flags});
        check_partial_export(x.ictx.c, "initiator");
        x.step({false, GSS_S_COMPLETE, req_flags | trans, false, &krb5_oid, &client});
        const ContextExpectation a_open{Stage::open, false, &krb5_oid, req_flags | trans | prot_ready, &client,
                                        &service};
        check_context(x.label(false), x.actx.c, a_open);
        x.step({true, GSS_S_COMPLETE, req_flags | trans, false, &krb5_oid});
        const ContextExpectation i_open{Stage::open, true, &krb5_oid, req_flags | trans, &client, &service};
        check_context(x.label(true), x.ictx.c, i_open);
        check_export_import(x.ictx, i_open);
        check_export_import(x.actx, a_open);
    }

    {
        const OM_uint32 flags = req_flags & ~OM_uint32{GSS_C_MUTUAL_FLAG};
        Exchange x(icred.c, acred.c, flags);
        x.step({true, GSS_S_CONTINUE_NEEDED, flags | trans, true});
        check_context(x.label(true), x.ictx.c, {Stage::mech_complete, true, &krb5_oid, flags, &client, &service});
        // Without mutual authentication krb5 marks the initiator prot-ready
        // and not the acceptor.
        x.step({false, GSS_S_COMPLETE, flags | trans, false, &krb5_oid, &client});
        check_context(x.label(false), x.actx.c, {Stage::open, false, &krb5_oid, flags | trans, &client, &service});
        x.step({true, GSS_S_COMPLETE, flags | trans, false, &krb5_oid});
        check_context(x.label(true), x.ictx.c,
                      {Stage::open, true, &krb5_oid, flags | trans | prot_ready, &client, &service});
    }

    {
        Exchange x(icred.c, acred.c, req_flags);
        x.step({true, GSS_S_CONTINUE_NEEDED, req_flags | trans, true});
        x.step({false, GSS_S_COMPLETE, req_flags | trans, false, &krb5_oid, &client});
        x.tamper(true);
        x.step({true, GSS_S_FAILURE, 0});
        check_context(x.label(true), x.ictx.c, {Stage::failed, true});
    }

    {
        OM_uint32 minor = 0;
        Cred ntlm_acceptor;
        g_where = "gss_acquire_cred(SPNEGO, accept) for NTLM only";
        CHECK_MAJOR(gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_only, GSS_C_ACCEPT,
                                     &ntlm_acceptor.c, nullptr, nullptr),
                    GSS_S_COMPLETE);
        CHECK_MAJOR(gss_set_neg_mechs(&minor, ntlm_acceptor.c, &ntlm_only), GSS_S_COMPLETE);
        Exchange x(icred.c, ntlm_acceptor.c, req_flags);
        x.step({true, GSS_S_CONTINUE_NEEDED, req_flags | trans, true});
        x.step({false, GSS_S_CONTINUE_NEEDED, 0});
        check_context(x.label(false), x.actx.c, {Stage::no_mech_context, false});
        // The initiator starts NTLM.
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags});
        check_context(x.label(true), x.ictx.c, {Stage::establishing, true, &ntlm_oid, ntlm_flags});
        x.step({false, GSS_S_CONTINUE_NEEDED, 0});
        check_context(x.label(false), x.actx.c, {Stage::establishing, false, &ntlm_oid, ntlm_flags});
        x.step({true, GSS_S_CONTINUE_NEEDED, ntlm_flags, true});
        check_context(x.label(true), x.ictx.c,
                      {Stage::mech_complete, true, &ntlm_oid, ntlm_flags, &ntlm_client, &ntlm_target});
        x.step({false, GSS_S_COMPLETE, ntlm_flags, false, &ntlm_oid, &ntlm_client});
        check_context(x.label(false), x.actx.c, {Stage::open, false, &ntlm_oid, ntlm_flags, &ntlm_client, nullptr});
        x.step({true, GSS_S_COMPLETE, ntlm_flags, false, &ntlm_oid});
        check_context(x.label(true), x.ictx.c,
                      {Stage::open, true, &ntlm_oid, ntlm_flags, &ntlm_client, &ntlm_target});
    }
}

// A directory of this run's files, removed at exit.
std::filesystem::path g_dir;

void cleanup() {
    if (g_dir.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
}

void set_up_environment() {
    const char* mech = std::getenv(g_mit ? "GSSNEG_BUILD_MECH_NTLM" : "GSSNEG_BUILD_MECH");
    if (mech == nullptr) fatal(g_mit ? "set GSSNEG_BUILD_MECH_NTLM" : "set GSSNEG_BUILD_MECH");
    setenv("GSS_MECH_CONFIG", mech, 1);
    char tmpl[] = "/tmp/gssneg-inquiries.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) fatal("mkdtemp");
    g_dir = tmpl;
    std::atexit(cleanup);
    const auto users = g_dir / "users";
    std::ofstream(users) << ntlm_domain << ':' << ntlm_user << ':' << ntlm_password << '\n';
    setenv("NTLM_USER_FILE", users.c_str(), 1);
    setenv("NTLMUSER", (std::string(ntlm_domain) + "\\" + ntlm_user).c_str(), 1);
    unsetenv("GSS_NEGOTIATE_TRACE");
    if (!g_kerberos) {
        // No initiator or acceptor Kerberos credential at all (DESIGN.md:
        // a client keytab would find one without a ccache).
        const auto missing = "FILE:" + (g_dir / "missing").string();
        setenv("KRB5CCNAME", missing.c_str(), 1);
        setenv("KRB5_CLIENT_KTNAME", missing.c_str(), 1);
        setenv("KRB5_KTNAME", missing.c_str(), 1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc >= 2 ? argv[1] : "";
    if ((mode != "ntlm" && mode != "kerberos") || argc > 3 || (argc == 3 && std::strcmp(argv[2], "mit") != 0)) {
        std::fprintf(stderr, "usage: %s ntlm|kerberos [mit]\n", argv[0]);
        return 2;
    }
    g_kerberos = mode == "kerberos";
    g_mit = argc == 3;
    set_up_environment();
    if (g_kerberos)
        kerberos_case();
    else
        ntlm_case();
    std::printf("context_inquiries %s%s: %d checks, %d failed\n", mode.c_str(), g_mit ? " (MIT's SPNEGO)" : "",
                g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
