// Hostile inputs through the real mechglue (libgssapi_krb5), both sides in
// this process. Each row of the table takes a token from a live handshake,
// rewrites it with one of the small mutation helpers below and delivers it
// to one leg: the acceptor's NEGOTIATE, the initiator's CHALLENGE, the
// acceptor's AUTHENTICATE, or unwrap/verify_mic on an established context.
// Every row names the exact major status it expects; a failing row must
// also come with a minor status that gss_display_status can explain. After
// the table a fresh handshake must still succeed, and the trace written
// during the whole run (GSS_NEGOTIATE_TRACE) must hold neither the
// password, nor its NT hash, nor any session key.
//
// Links the mechglue and Catch2 only. Environment:
//   GSSNEG_BUILD_MECH the build tree's mech file (set by meson), copied to
//                     GSS_MECH_CONFIG; GSSNEG_OURS_MECH overrides it.
// The program writes its own user file and trace file under $TMPDIR.
//
// Configuration is read by the module when a context is created (the
// initiator's first gss_init_sec_context, the acceptor's first
// gss_accept_sec_context) from the environment as it is at that moment, so
// one process can give its initiator and its acceptor different
// LM_COMPAT_LEVELs by setting the variable before each side's first call.
#include <catch2/catch.hpp>

#include "test_main.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr const char* domain = "HOSTILE";
constexpr const char* user = "alice";
// A password no status text can contain by chance (a failure's text says
// "password"), and its NT hash, MD4(UTF-16LE(password)), computed once with
//   printf %s PASSWORD | iconv -t utf-16le | openssl dgst -md4 -provider legacy
// so that this test needs no MD4 of its own.
constexpr const char* password = "Hostile-Pa55-q7Zx";
constexpr const char* password_nt_hash_hex = "9d61a065ad82a8530efdca2c90f56138";

gss_OID_desc ntlm_oid{10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};

std::string g_trace_file;
std::string g_user_file;
std::set<std::string> g_session_keys_hex;  // every key negotiated during the run

// ---------------------------------------------------------------- GSS helpers

std::string major_name(OM_uint32 routine)
{
    switch (routine) {
    case 0: return "GSS_S_COMPLETE";
    case GSS_S_BAD_BINDINGS: return "GSS_S_BAD_BINDINGS";
    case GSS_S_BAD_SIG: return "GSS_S_BAD_SIG (GSS_S_BAD_MIC)";
    case GSS_S_DEFECTIVE_TOKEN: return "GSS_S_DEFECTIVE_TOKEN";
    case GSS_S_DEFECTIVE_CREDENTIAL: return "GSS_S_DEFECTIVE_CREDENTIAL";
    case GSS_S_NO_CRED: return "GSS_S_NO_CRED";
    case GSS_S_FAILURE: return "GSS_S_FAILURE";
    case GSS_S_BAD_MECH: return "GSS_S_BAD_MECH";
    case GSS_S_NO_CONTEXT: return "GSS_S_NO_CONTEXT";
    default: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%08x", routine);
        return buf;
    }
    }
}

std::string display_status(OM_uint32 code, int type)
{
    std::string out;
    OM_uint32 message_context = 0;
    do {
        OM_uint32 minor = 0;
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (gss_display_status(&minor, code, type, &ntlm_oid, &message_context, &text) != GSS_S_COMPLETE)
            return out;
        out.append(static_cast<const char*>(text.value), text.length);
        gss_release_buffer(&minor, &text);
    } while (message_context != 0);
    return out;
}

std::string hex(const Bytes& b)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t c : b) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

struct Name {
    gss_name_t name = GSS_C_NO_NAME;
    Name(const std::string& text, gss_OID type)
    {
        OM_uint32 minor = 0;
        gss_buffer_desc buf{text.size(), const_cast<char*>(text.data())};
        REQUIRE(gss_import_name(&minor, &buf, type, &name) == GSS_S_COMPLETE);
    }
    Name(const Name&) = delete;
    Name& operator=(const Name&) = delete;
    ~Name()
    {
        OM_uint32 minor = 0;
        gss_release_name(&minor, &name);
    }
};

struct Ctx {
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    Ctx() = default;
    Ctx(const Ctx&) = delete;
    Ctx& operator=(const Ctx&) = delete;
    ~Ctx()
    {
        OM_uint32 minor = 0;
        if (ctx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    }
};

Bytes take(gss_buffer_desc& buf)
{
    const auto* p = static_cast<const std::uint8_t*>(buf.value);
    Bytes out = p != nullptr ? Bytes(p, p + buf.length) : Bytes{};
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &buf);
    return out;
}

void remember_session_key(gss_ctx_id_t ctx)
{
    OM_uint32 minor = 0;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    if (gss_inquire_sec_context_by_oid(&minor, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set) != GSS_S_COMPLETE)
        return;
    if (set != GSS_C_NO_BUFFER_SET && set->count > 0) {
        const auto* p = static_cast<const std::uint8_t*>(set->elements[0].value);
        g_session_keys_hex.insert(hex(Bytes(p, p + set->elements[0].length)));
    }
    gss_release_buffer_set(&minor, &set);
}

struct Bindings {
    std::string data;
    gss_channel_bindings_struct cb{};
    explicit Bindings(std::string d) : data(std::move(d))
    {
        cb.initiator_addrtype = GSS_C_AF_UNSPEC;
        cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
        cb.application_data.length = data.size();
        cb.application_data.value = data.data();
    }
};

// Sets an environment variable for the lifetime of the object.
class ScopedEnv final {
public:
    ScopedEnv(const char* name, const std::optional<std::string>& value) : m_name(name)
    {
        if (const char* old = std::getenv(name))
            m_old = old;
        if (value)
            setenv(name, value->c_str(), 1);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv()
    {
        if (m_old)
            setenv(m_name, m_old->c_str(), 1);
        else
            unsetenv(m_name);
    }

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

// ------------------------------------------------------------ the handshake

enum class Leg { negotiate = 1, challenge = 2, authenticate = 3, protection = 4 };

const char* leg_name(Leg leg)
{
    switch (leg) {
    case Leg::negotiate: return "acceptor NEGOTIATE";
    case Leg::challenge: return "initiator CHALLENGE";
    case Leg::authenticate: return "acceptor AUTHENTICATE";
    case Leg::protection: return "unwrap/verify_mic";
    }
    return "?";
}

// Rewrites the token of one leg before it is delivered; `earlier` holds the
// tokens of the earlier legs as they were delivered.
using Mutation = std::function<void(Bytes& token, const std::vector<Bytes>& earlier)>;

struct Setup {
    std::optional<Leg> target_leg;
    Mutation mutation;
    std::optional<std::string> initiator_bindings;
    std::optional<std::string> acceptor_bindings;
    std::optional<std::string> initiator_lm_compat;  // LM_COMPAT_LEVEL at the initiator's creation
    std::optional<std::string> acceptor_lm_compat;   // ... and at the acceptor's
};

struct Handshake {
    std::vector<Bytes> legs;
    bool established = false;
    std::optional<Leg> failed_leg;
    OM_uint32 major = 0;
    OM_uint32 minor = 0;
    Ctx initiator;
    Ctx acceptor;
};

std::unique_ptr<Handshake> run_handshake(const Setup& setup)
{
    auto hs = std::make_unique<Handshake>();
    OM_uint32 minor = 0;
    Name target("host@localhost", GSS_C_NT_HOSTBASED_SERVICE);
    std::optional<Bindings> icb;
    std::optional<Bindings> acb;
    if (setup.initiator_bindings)
        icb.emplace(*setup.initiator_bindings);
    if (setup.acceptor_bindings)
        acb.emplace(*setup.acceptor_bindings);

    auto deliver = [&](Leg leg, Bytes token) {
        if (setup.target_leg == leg && setup.mutation)
            setup.mutation(token, hs->legs);
        hs->legs.push_back(token);
        return token;
    };
    auto fail = [&](Leg leg, OM_uint32 major, OM_uint32 min) {
        hs->failed_leg = leg;
        hs->major = major;
        hs->minor = min;
    };

    // Leg 1: the initiator's NEGOTIATE.
    Bytes negotiate;
    {
        const ScopedEnv lm("LM_COMPAT_LEVEL", setup.initiator_lm_compat);
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        const OM_uint32 major = gss_init_sec_context(
            &minor, GSS_C_NO_CREDENTIAL, &hs->initiator.ctx, target.name, &ntlm_oid,
            GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG, GSS_C_INDEFINITE,
            icb ? &icb->cb : GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr, &out, nullptr, nullptr);
        REQUIRE(major == GSS_S_CONTINUE_NEEDED);
        negotiate = deliver(Leg::negotiate, take(out));
    }
    // Leg 2: the acceptor's CHALLENGE.
    Bytes challenge;
    {
        const ScopedEnv lm("LM_COMPAT_LEVEL", setup.acceptor_lm_compat);
        gss_buffer_desc in{negotiate.size(), negotiate.data()};
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        const OM_uint32 major =
            gss_accept_sec_context(&minor, &hs->acceptor.ctx, GSS_C_NO_CREDENTIAL, &in,
                                   acb ? &acb->cb : GSS_C_NO_CHANNEL_BINDINGS, nullptr, nullptr, &out, nullptr,
                                   nullptr, nullptr);
        Bytes token = take(out);
        if (major != GSS_S_CONTINUE_NEEDED) {
            fail(Leg::negotiate, major, minor);
            return hs;
        }
        challenge = deliver(Leg::challenge, std::move(token));
    }
    // Leg 3: the initiator's AUTHENTICATE.
    Bytes authenticate;
    {
        gss_buffer_desc in{challenge.size(), challenge.data()};
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        const OM_uint32 major = gss_init_sec_context(
            &minor, GSS_C_NO_CREDENTIAL, &hs->initiator.ctx, target.name, &ntlm_oid,
            GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG, GSS_C_INDEFINITE,
            icb ? &icb->cb : GSS_C_NO_CHANNEL_BINDINGS, &in, nullptr, &out, nullptr, nullptr);
        Bytes token = take(out);
        if (major != GSS_S_COMPLETE) {
            fail(Leg::challenge, major, minor);
            return hs;
        }
        authenticate = deliver(Leg::authenticate, std::move(token));
    }
    {
        gss_buffer_desc in{authenticate.size(), authenticate.data()};
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        const OM_uint32 major =
            gss_accept_sec_context(&minor, &hs->acceptor.ctx, GSS_C_NO_CREDENTIAL, &in,
                                   acb ? &acb->cb : GSS_C_NO_CHANNEL_BINDINGS, nullptr, nullptr, &out, nullptr,
                                   nullptr, nullptr);
        take(out);
        if (major != GSS_S_COMPLETE) {
            fail(Leg::authenticate, major, minor);
            return hs;
        }
    }
    hs->established = true;
    remember_session_key(hs->initiator.ctx);
    remember_session_key(hs->acceptor.ctx);
    return hs;
}

// ------------------------------------------------------- mutation helpers

std::uint16_t get_u16(const Bytes& b, std::size_t at)
{
    REQUIRE(at + 2 <= b.size());
    return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}

std::uint32_t get_u32(const Bytes& b, std::size_t at)
{
    REQUIRE(at + 4 <= b.size());
    return static_cast<std::uint32_t>(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) |
           (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

void set_u16(Bytes& b, std::size_t at, std::uint16_t v)
{
    REQUIRE(at + 2 <= b.size());
    b[at] = static_cast<std::uint8_t>(v);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

void set_u32(Bytes& b, std::size_t at, std::uint32_t v)
{
    set_u16(b, at, static_cast<std::uint16_t>(v));
    set_u16(b, at + 2, static_cast<std::uint16_t>(v >> 16));
}

// MS-NLMP 2.2: a payload field is Len (2), MaxLen (2), BufferOffset (4).
struct Field {
    std::size_t length;
    std::size_t offset;
};

Field get_field(const Bytes& b, std::size_t at)
{
    return {get_u16(b, at), get_u32(b, at + 4)};
}

void set_field(Bytes& b, std::size_t at, std::uint16_t length, std::uint32_t offset)
{
    set_u16(b, at, length);
    set_u16(b, at + 2, length);
    set_u32(b, at + 4, offset);
}

Bytes field_bytes(const Bytes& b, std::size_t at)
{
    const Field f = get_field(b, at);
    REQUIRE(f.offset + f.length <= b.size());
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(f.offset),
                 b.begin() + static_cast<std::ptrdiff_t>(f.offset + f.length));
}

int message_type(const Bytes& token)
{
    REQUIRE(token.size() >= 12);
    REQUIRE(std::memcmp(token.data(), "NTLMSSP\0", 8) == 0);
    return static_cast<int>(get_u32(token, 8));
}

Mutation truncate_to(std::size_t size)
{
    return [size](Bytes& t, const std::vector<Bytes>&) {
        REQUIRE(size < t.size());
        t.resize(size);
    };
}

Mutation truncate_by(std::size_t count)
{
    return [count](Bytes& t, const std::vector<Bytes>&) {
        REQUIRE(count < t.size());
        t.resize(t.size() - count);
    };
}

Mutation grow_to(std::size_t size)
{
    return [size](Bytes& t, const std::vector<Bytes>&) { t.resize(size, 0x41); };
}

Mutation put_u32(std::size_t at, std::uint32_t v)
{
    return [=](Bytes& t, const std::vector<Bytes>&) { set_u32(t, at, v); };
}

Mutation put_field(std::size_t at, std::uint16_t length, std::uint32_t offset)
{
    return [=](Bytes& t, const std::vector<Bytes>&) { set_field(t, at, length, offset); };
}

// Points the field at `at` past the end of the token, keeping its length.
Mutation field_past_end(std::size_t at)
{
    return [at](Bytes& t, const std::vector<Bytes>&) {
        const Field f = get_field(t, at);
        set_field(t, at, static_cast<std::uint16_t>(std::max<std::size_t>(f.length, 8)),
                  static_cast<std::uint32_t>(t.size() - 2));
    };
}

// Points the field at `at` at the same bytes as the field at `other`.
Mutation field_overlaps(std::size_t at, std::size_t other)
{
    return [=](Bytes& t, const std::vector<Bytes>&) {
        const Field f = get_field(t, other);
        set_field(t, at, static_cast<std::uint16_t>(f.length), static_cast<std::uint32_t>(f.offset));
    };
}

// The field at `at` points at the first AV pair of the TargetInfo field at
// `target_info` (MsvAvNbDomainName: its AvId, AvLen and the UTF-16 name):
// fixed content that is valid UTF-16, unlike the whole TargetInfo, whose
// MsvAvTimestamp changes with the clock.
Mutation field_overlaps_first_av_pair(std::size_t at, std::size_t target_info)
{
    return [=](Bytes& t, const std::vector<Bytes>&) {
        const Field f = get_field(t, target_info);
        REQUIRE(f.length >= 4);
        REQUIRE(get_u16(t, f.offset) == 2);
        const std::size_t pair_length = 4 + get_u16(t, f.offset + 2);
        REQUIRE(pair_length <= f.length);
        set_field(t, at, static_cast<std::uint16_t>(pair_length), static_cast<std::uint32_t>(f.offset));
    };
}

// Sets NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED (MS-NLMP 2.2.2.5, 0x1000) in a
// NEGOTIATE, so that its DomainNameFields must be read, then mutates.
Mutation announce_domain(Mutation then)
{
    return [then](Bytes& t, const std::vector<Bytes>& earlier) {
        set_u32(t, 12, get_u32(t, 12) | 0x1000);
        then(t, earlier);
    };
}

Mutation replace_with_leg(std::size_t index)
{
    return [index](Bytes& t, const std::vector<Bytes>& earlier) { t = earlier.at(index); };
}

// MS-NLMP 2.2.2.1: AV_PAIR is AvId (2), AvLen (2), Value.
struct AvPair {
    std::uint16_t id;
    Bytes value;
};

std::vector<AvPair> parse_av_pairs(const Bytes& b, std::size_t begin, std::size_t end, bool& saw_eol)
{
    std::vector<AvPair> pairs;
    saw_eol = false;
    std::size_t at = begin;
    while (at + 4 <= end) {
        const std::uint16_t id = get_u16(b, at);
        const std::size_t len = get_u16(b, at + 2);
        REQUIRE(at + 4 + len <= end);
        if (id == 0) {  // MsvAvEOL
            saw_eol = true;
            break;
        }
        pairs.push_back({id, Bytes(b.begin() + static_cast<std::ptrdiff_t>(at + 4),
                                   b.begin() + static_cast<std::ptrdiff_t>(at + 4 + len))});
        at += 4 + len;
    }
    return pairs;
}

Bytes serialize_av_pairs(const std::vector<AvPair>& pairs, bool with_eol)
{
    Bytes out;
    for (const AvPair& p : pairs) {
        Bytes head(4);
        set_u16(head, 0, p.id);
        set_u16(head, 2, static_cast<std::uint16_t>(p.value.size()));
        out.insert(out.end(), head.begin(), head.end());
        out.insert(out.end(), p.value.begin(), p.value.end());
    }
    if (with_eol)
        out.insert(out.end(), 4, 0);
    return out;
}

// CHALLENGE (MS-NLMP 2.2.1.2): TargetNameFields at 12, TargetInfoFields at
// 40, payload from 56 (after the Version). Rebuilds it with a new TargetInfo.
constexpr std::size_t challenge_target_name = 12;
constexpr std::size_t challenge_target_info = 40;

Bytes challenge_with_target_info(const Bytes& challenge, const Bytes& target_info)
{
    const Bytes name = field_bytes(challenge, challenge_target_name);
    const std::size_t header = std::min<std::size_t>(
        {get_field(challenge, challenge_target_name).offset, get_field(challenge, challenge_target_info).offset});
    REQUIRE(header >= 48);
    Bytes out(challenge.begin(), challenge.begin() + static_cast<std::ptrdiff_t>(header));
    set_field(out, challenge_target_name, static_cast<std::uint16_t>(name.size()), static_cast<std::uint32_t>(header));
    out.insert(out.end(), name.begin(), name.end());
    set_field(out, challenge_target_info, static_cast<std::uint16_t>(target_info.size()),
              static_cast<std::uint32_t>(out.size()));
    out.insert(out.end(), target_info.begin(), target_info.end());
    return out;
}

Mutation rewrite_target_info(std::function<Bytes(std::vector<AvPair>)> rewrite)
{
    return [rewrite](Bytes& t, const std::vector<Bytes>&) {
        REQUIRE(message_type(t) == 2);
        const Field f = get_field(t, challenge_target_info);
        bool eol = false;
        const auto pairs = parse_av_pairs(t, f.offset, f.offset + f.length, eol);
        REQUIRE(eol);
        t = challenge_with_target_info(t, rewrite(pairs));
    };
}

// AUTHENTICATE (MS-NLMP 2.2.1.3): six payload fields from offset 12, the
// MIC at 72 (present when the payload starts at 88 or later).
constexpr std::size_t auth_lm = 12;
constexpr std::size_t auth_nt = 20;
constexpr std::size_t auth_domain = 28;
constexpr std::size_t auth_user = 36;
constexpr std::size_t auth_workstation = 44;
constexpr std::size_t auth_session_key = 52;
constexpr std::size_t auth_mic = 72;
constexpr std::size_t auth_fields[] = {auth_lm, auth_nt, auth_domain, auth_user, auth_workstation, auth_session_key};

std::size_t first_payload_offset(const Bytes& auth)
{
    std::size_t first = auth.size();
    for (const std::size_t field : auth_fields) {
        const Field f = get_field(auth, field);
        if (f.length != 0)
            first = std::min(first, f.offset);
    }
    return first;
}

// The same message with the same responses, without a MIC field: the
// 16 bytes at 72 are cut and every payload offset moves down by 16, so that
// nothing the NT response covers changes.
Mutation remove_mic_field()
{
    return [](Bytes& t, const std::vector<Bytes>&) {
        REQUIRE(message_type(t) == 3);
        REQUIRE(first_payload_offset(t) >= auth_mic + 16);
        Bytes out(t.begin(), t.begin() + auth_mic);
        out.insert(out.end(), t.begin() + auth_mic + 16, t.end());
        for (const std::size_t field : auth_fields) {
            const Field f = get_field(out, field);
            set_field(out, field, static_cast<std::uint16_t>(f.length), static_cast<std::uint32_t>(f.offset - 16));
        }
        t = std::move(out);
    };
}

// MS-NLMP 2.2.2.8 NTLMv2_RESPONSE: NTProofStr (16), then the
// NTLMv2_CLIENT_CHALLENGE, whose AvPairs start 28 bytes in.
constexpr std::size_t v2_av_pairs = 16 + 28;

Mutation alter_response_av_flags()
{
    return [](Bytes& t, const std::vector<Bytes>&) {
        REQUIRE(message_type(t) == 3);
        const Field nt = get_field(t, auth_nt);
        REQUIRE(nt.length > v2_av_pairs);
        std::size_t at = nt.offset + v2_av_pairs;
        const std::size_t end = nt.offset + nt.length;
        bool found = false;
        while (at + 4 <= end) {
            const std::uint16_t id = get_u16(t, at);
            const std::size_t len = get_u16(t, at + 2);
            if (id == 0)
                break;
            if (id == 6 && len == 4) {  // MsvAvFlags
                REQUIRE((get_u32(t, at + 4) & 0x2) != 0);  // "the client is providing a MIC"
                set_u32(t, at + 4, get_u32(t, at + 4) & ~std::uint32_t{0x2});
                found = true;
                break;
            }
            at += 4 + len;
        }
        REQUIRE(found);
    };
}

// --------------------------------------------------------------- the table

struct Outcome {
    std::optional<Leg> failed_leg;  // none: everything succeeded
    OM_uint32 major = 0;
    OM_uint32 minor = 0;
};

Outcome outcome_of(const Handshake& hs)
{
    return {hs.failed_leg, hs.major, hs.minor};
}

Outcome at_leg(Leg leg, Mutation mutation)
{
    Setup setup;
    setup.target_leg = leg;
    setup.mutation = std::move(mutation);
    return outcome_of(*run_handshake(setup));
}

enum class Protection { wrap, mic };

// Establishes a context, wraps (or signs) a message at the initiator,
// mutates the token and gives it to the acceptor.
Outcome protection(Protection kind, std::function<void(Bytes&)> mutation)
{
    const auto hs = run_handshake(Setup{});
    REQUIRE(hs->established);
    OM_uint32 minor = 0;
    std::string message = "a message the acceptor must not accept once changed";
    gss_buffer_desc in{message.size(), message.data()};
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    if (kind == Protection::wrap)
        REQUIRE(gss_wrap(&minor, hs->initiator.ctx, 1, GSS_C_QOP_DEFAULT, &in, nullptr, &out) == GSS_S_COMPLETE);
    else
        REQUIRE(gss_get_mic(&minor, hs->initiator.ctx, GSS_C_QOP_DEFAULT, &in, &out) == GSS_S_COMPLETE);
    Bytes token = take(out);
    mutation(token);
    gss_buffer_desc tok{token.size(), token.data()};
    Outcome result;
    if (kind == Protection::wrap) {
        gss_buffer_desc plain = GSS_C_EMPTY_BUFFER;
        result.major = gss_unwrap(&result.minor, hs->acceptor.ctx, &tok, &plain, nullptr, nullptr);
        take(plain);
    } else {
        result.major = gss_verify_mic(&result.minor, hs->acceptor.ctx, &in, &tok, nullptr);
    }
    if (result.major != GSS_S_COMPLETE)
        result.failed_leg = Leg::protection;
    return result;
}

std::function<void(Bytes&)> flip(std::ptrdiff_t at)  // negative: from the end
{
    return [at](Bytes& t) {
        const std::size_t i = at >= 0 ? static_cast<std::size_t>(at) : t.size() - static_cast<std::size_t>(-at);
        REQUIRE(i < t.size());
        t[i] ^= 0x01;
    };
}

struct Row {
    const char* name;
    Leg leg;
    OM_uint32 expected;  // the routine error that refuses the attack
    const char* note;
    std::function<Outcome()> attack;
    std::optional<Leg> detected_at{};  // where the failure shows, when not at `leg`
};

std::vector<Row> hostile_rows()
{
    constexpr OM_uint32 defective = GSS_S_DEFECTIVE_TOKEN;
    constexpr OM_uint32 bad_cred = GSS_S_DEFECTIVE_CREDENTIAL;
    constexpr OM_uint32 bad_mic = GSS_S_BAD_MIC;
    constexpr std::size_t sixteen_mib = std::size_t{16} << 20;
    // NEGOTIATE (MS-NLMP 2.2.1.1): DomainNameFields at 16, WorkstationFields at 24.
    constexpr std::size_t neg_domain = 16;
    return {
        // ---- acceptor, NEGOTIATE
        {"NEGOTIATE truncated to 10 bytes", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, truncate_to(10)); }},
        {"NEGOTIATE truncated to 14 bytes (no flags word complete)", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, truncate_to(14)); }},
        {"NEGOTIATE truncated inside its payload fields", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, truncate_to(20)); }},
        {"NEGOTIATE of 16 MiB", Leg::negotiate, defective, "a size limit, not a parse of 16 MiB", [] {
             return at_leg(Leg::negotiate, grow_to(sixteen_mib)); }},
        {"NEGOTIATE DomainName (announced) offset past the end", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, announce_domain(put_field(neg_domain, 8, 4096))); }},
        {"NEGOTIATE DomainName (announced) offset 0xffffffff length 0xffff", Leg::negotiate, defective,
         "offset + length overflows 32 bits", [] {
             return at_leg(Leg::negotiate, announce_domain(put_field(neg_domain, 0xffff, 0xffffffff))); }},
        {"NEGOTIATE DomainName (not announced) offset 0xffffffff length 0xffff", Leg::negotiate, bad_mic,
         "MS-NLMP 2.2.1.1: without NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED the field is not read; the acceptor "
         "goes on, and the MIC, which covers the NEGOTIATE as sent, fails at the AUTHENTICATE", [] {
             return at_leg(Leg::negotiate, put_field(neg_domain, 0xffff, 0xffffffff)); },
         Leg::authenticate},
        {"NEGOTIATE with message type 3", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, put_u32(8, 3)); }},
        {"NEGOTIATE with message type 2", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, put_u32(8, 2)); }},
        {"NEGOTIATE with message type 0xffffffff", Leg::negotiate, defective, "", [] {
             return at_leg(Leg::negotiate, put_u32(8, 0xffffffff)); }},

        // ---- initiator, CHALLENGE
        {"CHALLENGE truncated to 10 bytes", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, truncate_to(10)); }},
        {"CHALLENGE truncated inside the server challenge", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, truncate_to(28)); }},
        {"CHALLENGE truncated before its payload", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, truncate_to(48)); }},
        {"CHALLENGE missing its last byte", Leg::challenge, defective, "TargetInfo runs past the end", [] {
             return at_leg(Leg::challenge, truncate_by(1)); }},
        {"CHALLENGE of 16 MiB", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, grow_to(sixteen_mib)); }},
        {"CHALLENGE TargetInfo offset past the end", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, field_past_end(challenge_target_info)); }},
        {"CHALLENGE TargetInfo offset 0xffffffff length 0xffff", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, put_field(challenge_target_info, 0xffff, 0xffffffff)); }},
        {"CHALLENGE TargetName offset 0xffffffff length 0xffff", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, put_field(challenge_target_name, 0xffff, 0xffffffff)); }},
        {"CHALLENGE TargetName overlapping TargetInfo", Leg::challenge, bad_mic,
         "overlap alone is not malformed (each field is in bounds) and the initiator goes on; the MIC covers "
         "the CHALLENGE as the initiator received it, so the acceptor detects the change", [] {
             return at_leg(Leg::challenge,
                           field_overlaps_first_av_pair(challenge_target_name, challenge_target_info)); },
         Leg::authenticate},
        {"a NEGOTIATE in place of the CHALLENGE", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, replace_with_leg(0)); }},
        {"CHALLENGE with message type 3", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, put_u32(8, 3)); }},
        {"CHALLENGE TargetInfo with MsvAvTimestamp twice", Leg::challenge, defective,
         "MS-NLMP 2.2.2.1 lets each AvId occur once at most", [] {
             return at_leg(Leg::challenge, rewrite_target_info([](std::vector<AvPair> pairs) {
                 const auto ts = std::find_if(pairs.begin(), pairs.end(), [](const AvPair& p) { return p.id == 7; });
                 REQUIRE(ts != pairs.end());
                 AvPair copy = *ts;
                 copy.value[0] ^= 0x55;
                 pairs.push_back(copy);
                 return serialize_av_pairs(pairs, true);
             })); }},
        {"CHALLENGE TargetInfo with MsvAvNbDomainName twice", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, rewrite_target_info([](std::vector<AvPair> pairs) {
                 REQUIRE(!pairs.empty());
                 pairs.insert(pairs.begin(), pairs.front());
                 return serialize_av_pairs(pairs, true);
             })); }},
        {"CHALLENGE TargetInfo without MsvAvEOL", Leg::challenge, defective,
         "MS-NLMP 2.2.2.1: the list ends with MsvAvEOL", [] {
             return at_leg(Leg::challenge, rewrite_target_info([](std::vector<AvPair> pairs) {
                 return serialize_av_pairs(pairs, false);
             })); }},
        {"CHALLENGE TargetInfo AV pair longer than the list", Leg::challenge, defective, "", [] {
             return at_leg(Leg::challenge, rewrite_target_info([](std::vector<AvPair> pairs) {
                 Bytes ti = serialize_av_pairs(pairs, true);
                 set_u16(ti, 2, 0xfff0);
                 return ti;
             })); }},

        // ---- acceptor, AUTHENTICATE
        {"AUTHENTICATE truncated to 10 bytes", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, truncate_to(10)); }},
        {"AUTHENTICATE truncated inside its fields", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, truncate_to(40)); }},
        {"AUTHENTICATE truncated inside the MIC", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, truncate_to(80)); }},
        {"AUTHENTICATE missing its last byte", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, truncate_by(1)); }},
        {"AUTHENTICATE of 16 MiB", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, grow_to(sixteen_mib)); }},
        {"AUTHENTICATE NtChallengeResponse offset past the end", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, field_past_end(auth_nt)); }},
        {"AUTHENTICATE UserName offset past the end", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, field_past_end(auth_user)); }},
        {"AUTHENTICATE NtChallengeResponse offset 0xffffffff length 0xffff", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, put_field(auth_nt, 0xffff, 0xffffffff)); }},
        {"AUTHENTICATE EncryptedRandomSessionKey offset 0xffffffff length 0xffff", Leg::authenticate, defective,
         "", [] { return at_leg(Leg::authenticate, put_field(auth_session_key, 0xffff, 0xffffffff)); }},
        {"AUTHENTICATE UserName overlapping DomainName", Leg::authenticate, bad_cred,
         "in bounds, so not malformed: the user becomes HOSTILE\\HOSTILE, unknown, and the response cannot "
         "verify", [] { return at_leg(Leg::authenticate, field_overlaps(auth_user, auth_domain)); }},
        {"AUTHENTICATE LmChallengeResponse overlapping NtChallengeResponse", Leg::authenticate, bad_mic,
         "in bounds, so not malformed, and the NTLMv2 response still verifies; the MIC covers the "
         "AUTHENTICATE as sent, so the changed field descriptor is detected", [] {
             return at_leg(Leg::authenticate, field_overlaps(auth_lm, auth_nt)); }},
        {"a NEGOTIATE in place of the AUTHENTICATE", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, replace_with_leg(0)); }},
        {"AUTHENTICATE with message type 1", Leg::authenticate, defective, "", [] {
             return at_leg(Leg::authenticate, put_u32(8, 1)); }},
        {"MIC field removed while MsvAvFlags announces one", Leg::authenticate, defective,
         "same responses, offsets shifted by 16: the NT response still verifies, the missing MIC is the "
         "failure (MS-NLMP 3.3.2)", [] { return at_leg(Leg::authenticate, remove_mic_field()); }},
        {"MsvAvFlags altered inside the NTLMv2 response", Leg::authenticate, bad_cred,
         "the AV pairs are under NTProofStr, which no longer verifies", [] {
             return at_leg(Leg::authenticate, alter_response_av_flags()); }},
        {"NTLMv1 response while the acceptor allows NTLMv2 only", Leg::authenticate, bad_cred,
         "initiator created at LM_COMPAT_LEVEL=2, acceptor at 5", [] {
             Setup setup;
             setup.initiator_lm_compat = "2";
             setup.acceptor_lm_compat = "5";
             setup.target_leg = Leg::authenticate;
             setup.mutation = [](Bytes& t, const std::vector<Bytes>&) {
                 REQUIRE(get_field(t, auth_nt).length == 24);  // an NTLMv1 response indeed
             };
             return outcome_of(*run_handshake(setup));
         }},
        {"channel bindings mismatched", Leg::authenticate, GSS_S_BAD_BINDINGS, "", [] {
             Setup setup;
             setup.initiator_bindings = "tls-server-end-point:what-the-client-saw";
             setup.acceptor_bindings = "tls-server-end-point:what-the-server-has";
             return outcome_of(*run_handshake(setup));
         }},
        {"an AUTHENTICATE replayed on a new acceptor context", Leg::authenticate, defective,
         "the new context sent another MsvAvTimestamp, which the replayed response does not echo (and a new "
         "server challenge, which its NTProofStr does not answer)", [] {
             const auto first = run_handshake(Setup{});
             REQUIRE(first->established);
             const Bytes recorded = first->legs.at(2);
             return at_leg(Leg::authenticate, [recorded](Bytes& t, const std::vector<Bytes>&) { t = recorded; });
         }},
        {"the acceptor's own CHALLENGE reflected to a local initiator", Leg::challenge, defective,
         "the attacker sends the acceptor a NEGOTIATE (the same bytes as the victim's) and hands the acceptor's "
         "CHALLENGE to an initiator of the same process that meant to reach the attacker's host, to relay its "
         "AUTHENTICATE back as a logon of the victim; the initiator sees a challenge its own process issued for "
         "a target that is not that acceptor (server_challenge_reflected)",
         [] {
             OM_uint32 minor = 0;
             const OM_uint32 flags = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
             Name victim_target("host@attacker.example", GSS_C_NT_HOSTBASED_SERVICE);
             Ctx victim;
             gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
             REQUIRE(gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &victim.ctx, victim_target.name, &ntlm_oid,
                                          flags, GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
                                          nullptr, &out, nullptr, nullptr) == GSS_S_CONTINUE_NEEDED);
             Bytes negotiate = take(out);
             Ctx acceptor;
             gss_buffer_desc in{negotiate.size(), negotiate.data()};
             REQUIRE(gss_accept_sec_context(&minor, &acceptor.ctx, GSS_C_NO_CREDENTIAL, &in,
                                            GSS_C_NO_CHANNEL_BINDINGS, nullptr, nullptr, &out, nullptr, nullptr,
                                            nullptr) == GSS_S_CONTINUE_NEEDED);
             Bytes reflected = take(out);
             gss_buffer_desc challenge{reflected.size(), reflected.data()};
             const OM_uint32 major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &victim.ctx,
                                                          victim_target.name, &ntlm_oid, flags, GSS_C_INDEFINITE,
                                                          GSS_C_NO_CHANNEL_BINDINGS, &challenge, nullptr, &out,
                                                          nullptr, nullptr);
             take(out);
             if (!GSS_ERROR(major))
                 return Outcome{};
             return Outcome{Leg::challenge, major, minor};
         }},

        // ---- message protection
        {"wrap token with a sealed data byte changed", Leg::protection, GSS_S_BAD_SIG, "", [] {
             return protection(Protection::wrap, flip(-1)); }},
        {"wrap token with its checksum changed", Leg::protection, GSS_S_BAD_SIG, "", [] {
             return protection(Protection::wrap, flip(5)); }},
        {"wrap token with its sequence number changed", Leg::protection, GSS_S_BAD_SIG, "", [] {
             return protection(Protection::wrap, flip(12)); }},
        {"wrap token of 1 byte", Leg::protection, defective, "", [] {
             return protection(Protection::wrap, [](Bytes& t) { t.resize(1); }); }},
        {"MIC token with its checksum changed", Leg::protection, GSS_S_BAD_SIG, "", [] {
             return protection(Protection::mic, flip(5)); }},
        {"MIC token of 15 bytes", Leg::protection, defective, "", [] {
             return protection(Protection::mic, [](Bytes& t) { t.resize(15); }); }},
        {"MIC token of 17 bytes", Leg::protection, defective, "", [] {
             return protection(Protection::mic, [](Bytes& t) { t.push_back(0); }); }},
    };
}

}  // namespace

TEST_CASE("hostile inputs: every row gives its exact major status", "[hostile]")
{
    for (const Row& row : hostile_rows()) {
        DYNAMIC_SECTION(leg_name(row.leg) << ": " << row.name)
        {
            const Outcome outcome = row.attack();
            const std::string minor_text = display_status(outcome.minor, GSS_C_MECH_CODE);
            INFO("expected " << major_name(row.expected) << " at " << leg_name(row.leg) << "; got "
                             << major_name(GSS_ROUTINE_ERROR(outcome.major)) << " at "
                             << (outcome.failed_leg ? leg_name(*outcome.failed_leg) : "no leg") << ", minor \""
                             << minor_text << "\"" << (*row.note ? "; note: " : "") << row.note);
            // Every row is an attack that must be refused: none may pass.
            REQUIRE(row.expected != 0);
            REQUIRE(outcome.failed_leg.has_value());
            CHECK(*outcome.failed_leg == row.detected_at.value_or(row.leg));
            CHECK(major_name(GSS_ROUTINE_ERROR(outcome.major)) == major_name(row.expected));
            CHECK_FALSE(minor_text.empty());
            CHECK(minor_text.rfind("Unknown", 0) == std::string::npos);
        }
    }
}

// Catch2 runs test cases in declaration order: these two come last.
TEST_CASE("after the table a fresh handshake succeeds", "[hostile][healthy]")
{
    const auto hs = run_handshake(Setup{});
    REQUIRE(hs->established);
    OM_uint32 minor = 0;
    std::string message = "still healthy";
    gss_buffer_desc in{message.size(), message.data()};
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_wrap(&minor, hs->initiator.ctx, 1, GSS_C_QOP_DEFAULT, &in, nullptr, &wrapped) == GSS_S_COMPLETE);
    gss_buffer_desc plain = GSS_C_EMPTY_BUFFER;
    REQUIRE(gss_unwrap(&minor, hs->acceptor.ctx, &wrapped, &plain, nullptr, nullptr) == GSS_S_COMPLETE);
    CHECK(std::string(static_cast<const char*>(plain.value), plain.length) == message);
    gss_release_buffer(&minor, &wrapped);
    gss_release_buffer(&minor, &plain);
}

TEST_CASE("the trace of the whole run holds no secret", "[hostile][trace]")
{
    std::ifstream f(g_trace_file);
    const std::string trace((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(trace.find("acceptor <- AUTHENTICATE") != std::string::npos);
    REQUIRE_FALSE(g_session_keys_hex.empty());
    std::string lower = trace;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string lower_password = password;
    for (char& c : lower_password)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(lower.find(lower_password) == std::string::npos);
    CHECK(lower.find(password_nt_hash_hex) == std::string::npos);
    for (const std::string& key : g_session_keys_hex) {
        INFO("session key " << key);
        CHECK(lower.find(key) == std::string::npos);
    }
}

// Peer strings reach the trace (the CHALLENGE TargetName, the AUTHENTICATE
// user and domain, AV pair values); rows such as "TargetName overlapping
// TargetInfo" put binary bytes there. The trace must escape every control
// byte, so each event stays one printable line.
TEST_CASE("the trace holds only printable text", "[hostile][trace]")
{
    std::ifstream f(g_trace_file);
    const std::string trace((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto bad = std::find_if(trace.begin(), trace.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u != '\n' && u != '\t' && (u < 0x20 || u == 0x7f);
    });
    if (bad != trace.end()) {
        const auto line_start = trace.rfind('\n', static_cast<std::size_t>(bad - trace.begin()));
        INFO("first control byte in: " << trace.substr(line_start == std::string::npos ? 0 : line_start + 1, 200));
        CHECK(bad == trace.end());
    }
}

int test_setup()
{
    // The mechglue reads GSS_MECH_CONFIG when it first loads modules, at the
    // first GSS call below this point.
    for (const char* var : {"GSSNEG_BUILD_MECH", "GSSNEG_OURS_MECH"}) {
        if (const char* mech = std::getenv(var); mech != nullptr && *mech != '\0')
            setenv("GSS_MECH_CONFIG", mech, 1);
    }
    const char* mech_file = std::getenv("GSS_MECH_CONFIG");
    if (mech_file == nullptr || *mech_file == '\0') {
        std::fprintf(stderr, "hostile: set GSS_MECH_CONFIG (or GSSNEG_OURS_MECH) to the mech file under test\n");
        return 2;
    }
    const auto dir = std::filesystem::temp_directory_path();
    const std::string pid = std::to_string(getpid());
    g_user_file = (dir / ("gssneg-hostile-" + pid + ".users")).string();
    const std::string& user_file = g_user_file;
    g_trace_file = (dir / ("gssneg-hostile-" + pid + ".trace")).string();
    {
        std::ofstream out(user_file, std::ios::trunc);
        out << domain << ':' << user << ':' << password << '\n';
        if (!out) {
            std::fprintf(stderr, "hostile: cannot write %s\n", user_file.c_str());
            return 2;
        }
    }
    std::remove(g_trace_file.c_str());
    setenv("NTLM_USER_FILE", user_file.c_str(), 1);
    setenv("NTLMUSER", (std::string(domain) + "\\" + user).c_str(), 1);
    setenv("GSS_NEGOTIATE_TRACE", g_trace_file.c_str(), 1);
    unsetenv("LM_COMPAT_LEVEL");
    std::printf("mech file: %s\nuser file: %s\ntrace file: %s\n", mech_file, user_file.c_str(),
                g_trace_file.c_str());
    return 0;
}

void test_teardown(int failures)
{
    std::remove(g_user_file.c_str());
    if (failures == 0)
        std::remove(g_trace_file.c_str());
}
