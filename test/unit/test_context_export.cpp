// Context export/import, the sequence window and the supplementary status
// of incoming messages (ntlm/context_export.h, ntlm/sequence_window.h,
// ntlm/message_protection.h).
#include "ntlm/context_export.h"
#include "ntlm/flags.h"
#include "ntlm/message_protection.h"
#include "ntlm/sequence_window.h"
#include "ntlm/session_security.h"

#include "crypto/crypto.h"
#include "util/bytes.h"
#include "util/ct.h"
#include "util/errors.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include <memory>
#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

constexpr uint32_t base_flags = flag::ntlm | flag::sign | flag::seal | flag::always_sign | flag::unicode;
constexpr uint32_t ess_kx = base_flags | flag::extended_session_security | flag::negotiate_128 | flag::key_exch;
constexpr uint32_t ess_plain = base_flags | flag::extended_session_security | flag::negotiate_128;
constexpr uint32_t v1 = base_flags | flag::negotiate_128 | flag::key_exch;

Key16 random_key() {
    Key16 k;
    crypto::random_bytes(k.span());
    return k;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// One side of a context as the mech layer holds it.
struct Side {
    Side(uint32_t f, const Key16& k, bool ini) : flags(f), key(k), initiator(ini), sec(std::make_unique<SessionSecurity>(f, k, ini)) {}
    uint32_t flags;
    Key16 key;
    bool initiator;
    std::unique_ptr<SessionSecurity> sec;
    SequenceState seq;

    Bytes wrap(const Bytes& m, bool seal = true) {
        Bytes body = m;
        const SessionSecurity::Part part{body, seal};
        const auto sig = protect_message(*sec, seq, {&part, 1}, seal);
        Bytes out(16 + body.size());
        std::copy(sig.begin(), sig.end(), out.begin());
        std::copy(body.begin(), body.end(), out.begin() + 16);
        return out;
    }
    // The status, or GSS_S_BAD_SIG.
    OM_uint32 unwrap(const Bytes& token, Bytes& out, bool sealed = true, bool replay = true, bool sequence = true) {
        out.assign(token.begin() + 16, token.end());
        const SessionSecurity::Part part{out, sealed};
        try {
            return check_message(*sec, seq, {&part, 1}, ByteView(token).first(16), sealed, replay, sequence);
        } catch (const GssError& e) {
            CHECK(e.minor() == minor_value(Minor::bad_signature));
            return e.major();
        }
    }
    Bytes mic(const Bytes& m) {
        const SessionSecurity::Part part{std::span<uint8_t>(const_cast<uint8_t*>(m.data()), m.size()), false};
        const auto sig = protect_message(*sec, seq, {&part, 1}, false);
        return Bytes(sig.begin(), sig.end());
    }
    OM_uint32 verify(const Bytes& m, const Bytes& sig, bool replay = true, bool sequence = true) {
        Bytes copy = m;
        const SessionSecurity::Part part{copy, false};
        try {
            return check_message(*sec, seq, {&part, 1}, sig, false, replay, sequence);
        } catch (const GssError& e) {
            return e.major();
        }
    }

    SecureBytes export_token() const {
        ExportedContext e;
        e.initiator = initiator;
        e.negotiated_flags = flags;
        e.req_flags = GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
        e.ret_flags = GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
        e.expiry = 1900000000;
        e.exported_session_key = key;
        e.send_seq = seq.send_seq;
        e.recv_next = seq.received.next();
        e.recv_seen = seq.received.seen();
        const auto p = sec->stream_positions();
        e.outgoing_stream = p.outgoing;
        e.incoming_stream = p.incoming;
        e.initiator_name = Name::user("TESTDOM\\alice");
        e.target_name = Name::hostbased("host@server.example");
        return e.serialize();
    }
    static Side import_token(ByteView token) {
        const ExportedContext e = ExportedContext::parse(token);
        Side s(e.negotiated_flags, e.exported_session_key, e.initiator);
        s.sec->restore_stream_positions({e.outgoing_stream, e.incoming_stream});
        s.seq.send_seq = e.send_seq;
        s.seq.received = SequenceWindow(e.recv_next, e.recv_seen);
        return s;
    }
};

}  // namespace

TEST_CASE("the sequence window reports each supplementary code as MIT's g_seqstate does", "[export][sequence]") {
    SequenceWindow w;
    CHECK(w.check(0, true, true) == GSS_S_COMPLETE);
    CHECK(w.check(1, true, true) == GSS_S_COMPLETE);
    CHECK(w.check(3, true, true) == GSS_S_GAP_TOKEN);
    CHECK(w.check(2, true, true) == GSS_S_UNSEQ_TOKEN);
    CHECK(w.check(2, true, true) == GSS_S_DUPLICATE_TOKEN);
    CHECK(w.check(4, true, true) == GSS_S_COMPLETE);
    CHECK(w.next() == 5);
    CHECK(w.seen() == 0x1f);

    SECTION("replay only: out of order is fine, duplicates and old tokens are not") {
        SequenceWindow r;
        CHECK(r.check(0, true, false) == GSS_S_COMPLETE);
        CHECK(r.check(5, true, false) == GSS_S_COMPLETE);
        CHECK(r.check(3, true, false) == GSS_S_COMPLETE);
        CHECK(r.check(3, true, false) == GSS_S_DUPLICATE_TOKEN);
        CHECK(r.check(100, true, false) == GSS_S_COMPLETE);
        CHECK(r.check(37, true, false) == GSS_S_COMPLETE);   // 64 behind next (101): in the window
        CHECK(r.check(36, true, false) == GSS_S_OLD_TOKEN);  // 65 behind
    }
    SECTION("sequence only: no duplicate detection, everything late is UNSEQ") {
        SequenceWindow s;
        CHECK(s.check(1, false, true) == GSS_S_GAP_TOKEN);
        CHECK(s.check(0, false, true) == GSS_S_UNSEQ_TOKEN);
        CHECK(s.check(0, false, true) == GSS_S_UNSEQ_TOKEN);
        CHECK(s.check(200, false, true) == GSS_S_GAP_TOKEN);
        CHECK(s.check(2, false, true) == GSS_S_UNSEQ_TOKEN);
    }
    SECTION("neither: nothing reported, numbers still tracked") {
        SequenceWindow n;
        CHECK(n.check(7, false, false) == GSS_S_COMPLETE);
        CHECK(n.check(7, false, false) == GSS_S_COMPLETE);
        CHECK(n.next() == 8);
    }
    SECTION("a jump of 64 or more clears the bitmap") {
        SequenceWindow j;
        CHECK(j.check(0, true, true) == GSS_S_COMPLETE);
        CHECK(j.check(64, true, true) == GSS_S_GAP_TOKEN);
        CHECK(j.seen() == 1);
        CHECK(j.check(0, true, true) == GSS_S_UNSEQ_TOKEN);  // 65 behind
    }
    SECTION("wrap-around at 2^32") {
        SequenceWindow x(0xffffffffu, 0);
        CHECK(x.check(0xffffffffu, true, true) == GSS_S_COMPLETE);
        CHECK(x.next() == 0);
        CHECK(x.check(0, true, true) == GSS_S_COMPLETE);
    }
}

TEST_CASE("ESS without KEY_EXCH: integrity-only tokens get every supplementary code", "[export][sequence]") {
    const Key16 key = random_key();
    Side ini(ess_plain, key, true), acc(ess_plain, key, false);
    const Bytes m = text("message");
    std::vector<Bytes> mics;
    for (int i = 0; i < 70; ++i) mics.push_back(ini.mic(m));
    CHECK(acc.verify(m, mics[0]) == GSS_S_COMPLETE);
    CHECK(acc.verify(m, mics[0]) == GSS_S_DUPLICATE_TOKEN);
    CHECK(acc.verify(m, mics[2]) == GSS_S_GAP_TOKEN);
    CHECK(acc.verify(m, mics[1]) == GSS_S_UNSEQ_TOKEN);
    CHECK(acc.verify(m, mics[69]) == GSS_S_GAP_TOKEN);
    CHECK(acc.verify(m, mics[3]) == GSS_S_UNSEQ_TOKEN);  // 66 behind, sequence requested
    CHECK(acc.verify(m, mics[4], true, false) == GSS_S_OLD_TOKEN);
    CHECK(acc.verify(m, mics[5], false, false) == GSS_S_COMPLETE);
    // A wrong message is BAD_SIG whatever its number says.
    CHECK(acc.verify(text("other"), mics[68]) == GSS_S_BAD_SIG);
    CHECK(acc.verify(m, mics[68]) == GSS_S_UNSEQ_TOKEN);
}

TEST_CASE("ESS with KEY_EXCH: only the token at the stream position verifies; failures keep the state", "[export][sequence]") {
    const Key16 key = random_key();
    Side ini(ess_kx, key, true), acc(ess_kx, key, false);
    const Bytes m = text("payload");
    Bytes out;
    const Bytes t0 = ini.wrap(m), t1 = ini.wrap(m), t2 = ini.wrap(m);
    CHECK(acc.unwrap(t0, out) == GSS_S_COMPLETE);
    CHECK(acc.unwrap(t0, out) == GSS_S_BAD_SIG);  // replay: cannot be authenticated any more
    CHECK(acc.unwrap(t2, out) == GSS_S_BAD_SIG);  // early: the stream is not there yet
    CHECK(acc.unwrap(t1, out) == GSS_S_COMPLETE);
    CHECK(out == m);
    CHECK(acc.unwrap(t2, out) == GSS_S_COMPLETE);  // late tokens verify once their turn comes
    CHECK(out == m);

    SECTION("a token damaged in transit moves the receiver on with the sender") {
        Bytes t3 = ini.wrap(m);
        t3[20] ^= 1;
        CHECK(acc.unwrap(t3, out) == GSS_S_BAD_SIG);
        CHECK(acc.unwrap(ini.wrap(m), out) == GSS_S_COMPLETE);
        CHECK(out == m);
    }
    SECTION("MICs replayed are BAD_SIG, and the session goes on") {
        const Bytes s = ini.mic(m);
        CHECK(acc.verify(m, s) == GSS_S_COMPLETE);
        CHECK(acc.verify(m, s) == GSS_S_BAD_SIG);
        CHECK(acc.verify(m, ini.mic(m)) == GSS_S_COMPLETE);
    }
}

TEST_CASE("without ESS: one counter both ways, out-of-order is BAD_SIG and keeps the state", "[export][sequence]") {
    const Key16 key = random_key();
    Side ini(v1, key, true), acc(v1, key, false);
    const Bytes m = text("v1 data");
    Bytes out;
    const Bytes a = ini.wrap(m), b = ini.wrap(m);
    CHECK(acc.unwrap(b, out) == GSS_S_BAD_SIG);
    CHECK(acc.unwrap(a, out) == GSS_S_COMPLETE);
    CHECK(acc.unwrap(a, out) == GSS_S_BAD_SIG);
    CHECK(acc.unwrap(b, out) == GSS_S_COMPLETE);
    // The shared counter: the acceptor's reply takes number 2.
    const Bytes r = acc.wrap(m);
    CHECK(ini.seq.send_seq == 2);
    CHECK(ini.unwrap(r, out) == GSS_S_COMPLETE);
    CHECK(out == m);
    Bytes damaged = ini.wrap(m);
    damaged.back() ^= 0x40;
    CHECK(acc.unwrap(damaged, out) == GSS_S_BAD_SIG);
    CHECK(acc.unwrap(ini.wrap(m), out) == GSS_S_COMPLETE);
}

TEST_CASE("export and import mid-session carry keys, numbers and streams", "[export]") {
    for (const uint32_t flags : {ess_kx, ess_plain, v1, base_flags | flag::extended_session_security}) {
        INFO("flags " << std::hex << flags);
        const Key16 key = random_key();
        Side ini(flags, key, true), acc(flags, key, false);
        Side twin_ini(flags, key, true), twin_acc(flags, key, false);
        Bytes out, twin_out;
        for (int i = 0; i < 3; ++i) {
            const Bytes m = text("before export " + std::to_string(i));
            const Bytes t = ini.wrap(m);
            CHECK(t == twin_ini.wrap(m));
            REQUIRE(acc.unwrap(t, out) == GSS_S_COMPLETE);
            REQUIRE(twin_acc.unwrap(t, twin_out) == GSS_S_COMPLETE);
            const Bytes r = acc.wrap(out);
            CHECK(r == twin_acc.wrap(twin_out));
            REQUIRE(ini.unwrap(r, out) == GSS_S_COMPLETE);
            REQUIRE(twin_ini.unwrap(r, twin_out) == GSS_S_COMPLETE);
        }
        const SecureBytes ti = ini.export_token(), ta = acc.export_token();
        Side ini2 = Side::import_token(ti), acc2 = Side::import_token(ta);
        for (int i = 0; i < 3; ++i) {
            const Bytes m = text("after import " + std::to_string(i));
            const Bytes t = ini2.wrap(m);
            CHECK(t == twin_ini.wrap(m));
            CHECK(acc2.unwrap(t, out) == GSS_S_COMPLETE);
            CHECK(out == m);
            CHECK(twin_acc.unwrap(t, twin_out) == GSS_S_COMPLETE);
            const Bytes mic = acc2.mic(m);
            CHECK(mic == twin_acc.mic(m));
            CHECK(ini2.verify(m, mic) == GSS_S_COMPLETE);
            CHECK(twin_ini.verify(m, mic) == GSS_S_COMPLETE);
        }
        // The export carried what was already seen.
        if (flags & flag::extended_session_security) {
            CHECK(acc2.seq.received.next() == 6);
        } else {
            CHECK(acc2.seq.send_seq == 12);
        }
    }
}

TEST_CASE("an exported context round-trips its fields and names", "[export]") {
    ExportedContext e;
    e.initiator = false;
    e.negotiated_flags = ess_kx;
    e.req_flags = 0x3e;
    e.ret_flags = 0x3c;
    e.expiry = -5;
    e.response = ResponseKind::ntlmv1_ess;
    e.mic_present = true;
    e.exported_session_key = random_key();
    e.send_seq = 0xfffffffe;
    e.recv_next = 77;
    e.recv_seen = 0x8000000000000001ull;
    e.outgoing_stream = 1234;
    e.incoming_stream = 99;
    e.initiator_name = Name::anonymous();
    e.target_name = Name::hostbased("HTTP");
    const SecureBytes token = e.serialize();
    // Fixed part, anonymous name (1+1+4*2), service name "HTTP" (1+1+4*2+4).
    CHECK(token.size() == 88 + 10 + 14);
    const ExportedContext d = ExportedContext::parse(token);
    CHECK_FALSE(d.initiator);
    CHECK(d.negotiated_flags == ess_kx);
    CHECK(d.req_flags == 0x3e);
    CHECK(d.ret_flags == 0x3c);
    CHECK(d.expiry == -5);
    CHECK(d.response == ResponseKind::ntlmv1_ess);
    CHECK(d.mic_present);
    CHECK(ByteView(d.exported_session_key).size() == 16);
    CHECK(std::equal(d.exported_session_key.data(), d.exported_session_key.data() + 16, e.exported_session_key.data()));
    CHECK(d.send_seq == 0xfffffffe);
    CHECK(d.recv_next == 77);
    CHECK(d.recv_seen == 0x8000000000000001ull);
    CHECK(d.outgoing_stream == 1234);
    CHECK(d.incoming_stream == 99);
    REQUIRE(d.initiator_name);
    CHECK(d.initiator_name->kind() == NameKind::anonymous);
    REQUIRE(d.target_name);
    CHECK(d.target_name->display() == "HTTP");
    CHECK(ExportedContext::parse(Side(ess_kx, random_key(), true).export_token()).initiator_name->display() ==
          "TESTDOM\\alice");
}

TEST_CASE("malformed exported contexts are refused with bad_export_token", "[export]") {
    ExportedContext e;
    e.negotiated_flags = ess_kx;
    e.initiator_name = Name::user("DOM\\bob");
    e.target_name = Name::hostbased("host@h");
    const SecureBytes good_s = e.serialize();
    const Bytes good(good_s.begin(), good_s.end());
    REQUIRE_NOTHROW(ExportedContext::parse(good));
    Bytes at_limit = good;
    at_limit[75] = 0x01;  // outgoing stream exactly 2^32: the largest accepted
    CHECK(ExportedContext::parse(at_limit).outgoing_stream == ExportedContext::max_stream_position);

    struct Case {
        const char* name;
        Bytes token;
    };
    auto patched = [&](size_t at, uint8_t v) {
        Bytes b = good;
        b.at(at) = v;
        return b;
    };
    Bytes stream_too_far = good;
    stream_too_far[72] = 0x01;  // 2^56 bytes
    Bytes stream_just_past = good;
    stream_just_past[75] = 0x01;  // 2^32 + the original count
    stream_just_past[79] |= 0x01;
    Bytes bad_kind = good;
    bad_kind[88 + 1] = 7;  // initiator name kind
    Bytes extra = good;
    extra.push_back(0);
    const std::vector<Case> cases = {
        {"empty", {}},
        {"magic only", Bytes(good.begin(), good.begin() + 4)},
        {"wrong magic", patched(0, 'X')},
        {"version 2", patched(5, 2)},
        {"version 0", patched(5, 0)},
        {"OID length 9", patched(6, 9)},
        {"foreign OID (krb5's first byte)", patched(7, 0x2a)},
        {"role 0", patched(17, 0)},
        {"role 3", patched(17, 3)},
        {"response kind 4", patched(38, 4)},
        {"MIC byte 2", patched(39, 2)},
        {"stream position 2^56", stream_too_far},
        {"stream position just past 2^32", stream_just_past},
        {"name presence 2", patched(88, 2)},
        {"name kind 7", bad_kind},
        {"truncated in the key", Bytes(good.begin(), good.begin() + 50)},
        {"truncated in a name", Bytes(good.end() - 3, good.end())},
        {"one byte short", Bytes(good.begin(), good.end() - 1)},
        {"trailing byte", extra},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        try {
            ExportedContext::parse(c.token);
            FAIL("accepted");
        } catch (const GssError& err) {
            CHECK(err.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(err.minor() == minor_value(Minor::bad_export_token));
        }
    }
}

TEST_CASE("an exported credential round-trips, and malformed ones are refused", "[export][cred]") {
    ExportedCredential e;
    e.usage = 3;
    e.secret = ExportedCredential::Secret::nt_hash;
    e.nt_hash = random_key();
    e.lm_hash = random_key();
    e.name = Name::user("DOM\\bob");
    e.workstation = "WS1";
    e.user_file = "/etc/gss-negotiate/users";
    const SecureBytes good_s = e.serialize();
    const Bytes good(good_s.begin(), good_s.end());
    const ExportedCredential back = ExportedCredential::parse(good);
    CHECK(back.usage == 3);
    CHECK(back.secret == ExportedCredential::Secret::nt_hash);
    CHECK(ct_equal(back.nt_hash, e.nt_hash));
    REQUIRE(back.lm_hash);
    CHECK(ct_equal(*back.lm_hash, *e.lm_hash));
    REQUIRE(back.name);
    CHECK(back.name->display() == "DOM\\bob");
    CHECK(back.workstation == "WS1");
    CHECK(back.user_file == "/etc/gss-negotiate/users");

    ExportedCredential acceptor;
    acceptor.usage = 2;
    acceptor.name = Name::hostbased("HTTP@web");
    const SecureBytes acceptor_s = acceptor.serialize();
    CHECK(ExportedCredential::parse(Bytes(acceptor_s.begin(), acceptor_s.end())).secret ==
          ExportedCredential::Secret::none);

    auto patched = [&](size_t at, uint8_t v) {
        Bytes b = good;
        b.at(at) = v;
        return b;
    };
    ExportedCredential no_secret = e;
    no_secret.secret = ExportedCredential::Secret::none;
    ExportedCredential secret_acceptor = acceptor;
    secret_acceptor.secret = ExportedCredential::Secret::nt_hash;
    ExportedCredential service_initiator = e;
    service_initiator.usage = 1;
    service_initiator.name = Name::hostbased("HTTP@web");
    const auto bytes_of = [](const ExportedCredential& c) {
        const SecureBytes b = c.serialize();
        return Bytes(b.begin(), b.end());
    };
    Bytes extra = good;
    extra.push_back(0);
    const std::vector<std::pair<const char*, Bytes>> cases = {
        {"empty", {}},
        {"wrong magic", patched(0, 'X')},
        {"a context token's magic", patched(2, 'X')},
        {"version 2", patched(5, 2)},
        {"usage 0", patched(6, 0)},
        {"usage 4", patched(6, 4)},
        {"secret kind 3", patched(7, 3)},
        {"LM byte 2", patched(8 + 16, 2)},
        {"truncated in the NT hash", Bytes(good.begin(), good.begin() + 20)},
        {"one byte short", Bytes(good.begin(), good.end() - 1)},
        {"trailing byte", extra},
        {"an initiator without a secret", bytes_of(no_secret)},
        {"an acceptor with a secret", bytes_of(secret_acceptor)},
        {"an initiator named as a service", bytes_of(service_initiator)},
    };
    for (const auto& [what, token] : cases) {
        INFO(what);
        try {
            ExportedCredential::parse(token);
            FAIL("accepted");
        } catch (const GssError& err) {
            CHECK(err.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(err.minor() == minor_value(Minor::bad_export_token));
            CHECK(std::string(err.what()).find("exported credential: ") != std::string::npos);
        }
    }
}

TEST_CASE("import re-derives RC4 streams from byte counts", "[export]") {
    const Key16 key = random_key();
    SessionSecurity a(ess_kx, key, true), b(ess_kx, key, false);
    Bytes data(5000, 0x5a);
    for (int i = 0; i < 4; ++i) {
        const auto sig = a.seal(static_cast<uint32_t>(i), data);
        REQUIRE(b.unseal(static_cast<uint32_t>(i), data, sig));
    }
    CHECK(a.stream_positions().outgoing == 4 * (5000 + 8));
    SessionSecurity a2(ess_kx, key, true);
    a2.restore_stream_positions(a.stream_positions());
    Bytes x(100, 1), y(100, 1);
    CHECK(a.seal(4, x) == a2.seal(4, y));
    CHECK(x == y);
    SessionSecurity shared(v1, key, true);
    CHECK_THROWS_AS(shared.restore_stream_positions({10, 11}), GssError);
}

TEST_CASE("SASL SSF as gss-ntlmssp reports it", "[export]") {
    CHECK(sasl_ssf(flag::sign | flag::seal | flag::negotiate_128 | flag::negotiate_56) == 64);
    CHECK(sasl_ssf(flag::sign | flag::seal | flag::negotiate_56) == 56);
    CHECK(sasl_ssf(flag::sign | flag::seal) == 40);
    CHECK(sasl_ssf(flag::sign | flag::negotiate_128) == 1);
    CHECK(sasl_ssf(flag::always_sign | flag::negotiate_128) == 0);
}

TEST_CASE("RC4 reset per direction (MS-SPNG 3.3.5.1) leaves sequence numbers alone", "[export]") {
    const Key16 key = random_key();
    Side ini(ess_kx, key, true), acc(ess_kx, key, false);
    const Bytes mech_types = text("mechTypes DER");
    // Initiator: MIC, reset outgoing; acceptor: verify, reset incoming,
    // then MIC, reset outgoing; initiator: verify, reset incoming.
    const Bytes m1 = ini.mic(mech_types);
    ini.sec->reset_rc4(SessionSecurity::Stream::outgoing);
    REQUIRE(acc.verify(mech_types, m1) == GSS_S_COMPLETE);
    acc.sec->reset_rc4(SessionSecurity::Stream::incoming);
    const Bytes m2 = acc.mic(mech_types);
    acc.sec->reset_rc4(SessionSecurity::Stream::outgoing);
    REQUIRE(ini.verify(mech_types, m2) == GSS_S_COMPLETE);
    ini.sec->reset_rc4(SessionSecurity::Stream::incoming);
    Bytes out;
    const Bytes t = ini.wrap(text("first"));
    CHECK(SessionSecurity::clear_sequence(ByteView(t).first(16)) == 1);
    CHECK(acc.unwrap(t, out) == GSS_S_COMPLETE);
    CHECK(ini.unwrap(acc.wrap(text("reply")), out) == GSS_S_COMPLETE);
    CHECK(out == text("reply"));
}
