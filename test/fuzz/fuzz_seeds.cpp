// Writes seed inputs for the fuzz targets from real messages:
//   - in-process handshakes between the core initiator and acceptor with the
//     fuzz targets' credentials and deterministic random stream, so that the
//     AUTHENTICATE seeds are exactly what fuzz_authenticate's acceptor
//     expects after its own NEGOTIATE / CHALLENGE;
//   - the whole messages, sealed data and signatures of MS-NLMP 4.2;
//   - the captured and hand-built SPNEGO tokens of test/data/spnego.vectors;
//   - contexts established through the module's own entry points
//     (fuzz_context_pair): their exports, and the wrap and MIC tokens each
//     side of the fuzz_protect pair makes for the other;
//   - Negotiate exchanges between the module's own interposer initiator and
//     acceptor (fuzz_nego), and the SPNEGO tokens of other peers at the leg
//     they belong to, for fuzz_nego_accept and fuzz_nego_init.
//
//   fuzz_seeds NLMP_VECTORS SPNEGO_VECTORS OUT_DIR
//                                        (writes OUT_DIR/<target>/<name>)

#include "fuzz_common.h"
#include "fuzz_context_pair.h"
#include "fuzz_nego.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/context_export.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/ntlm_crypto.h"
#include "ntlm/session_security.h"
#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/token_kind.h"
#include "util/errors.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

using namespace gssneg;
namespace fs = std::filesystem;

namespace {

fs::path g_out;

void write(const std::string& target, const std::string& name, ByteView data) {
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::ofstream f(dir / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
}

std::map<std::string, std::string> read_vectors(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::map<std::string, std::string> v;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        v[line.substr(0, eq)] = line.substr(eq + 3);
    }
    return v;
}

Bytes with_selector(uint8_t selector, ByteView token) {
    Bytes out{selector};
    out.insert(out.end(), token.begin(), token.end());
    return out;
}

// One fuzz_session record (see fuzz_session.cpp).
void add_record(Bytes& out, uint8_t op, uint32_t seq, ByteView signature, ByteView data) {
    ByteWriter w;
    w.u8(op);
    w.u32le(seq);
    w.u8(signature.size() == 16 ? 0x80 : static_cast<uint8_t>(signature.size()));
    w.u16le(static_cast<uint16_t>(data.size()));
    w.bytes(signature);
    w.bytes(data);
    out.insert(out.end(), w.data().begin(), w.data().end());
}

void negotiate_seeds();

// The acceptor's view of a handshake as fuzz_authenticate replays it.
void handshakes() {
    for (const int level : {0, 1, 2, 3, 5}) {
        for (const bool bindings : {false, true}) {
            fuzz::reset_random();
            ntlm::NtlmClient client(fuzz::initiator_credential(), fuzz::client_params(level));
            ntlm::NtlmServer server(fuzz::acceptor_credential(), fuzz::server_params(bindings));
            const Bytes negotiate = client.step({});
            const Bytes challenge = server.step(negotiate);
            const Bytes authenticate = client.step(challenge);
            const uint8_t selector = static_cast<uint8_t>(level | (bindings ? 0x08 : 0));
            const std::string tag = "ours-level" + std::to_string(level) + (bindings ? "-cb" : "");
            write("fuzz_authenticate", tag, with_selector(selector, authenticate));
            if (bindings) continue;
            write("fuzz_negotiate", tag, negotiate);
            write("fuzz_challenge", tag, challenge);
            write("fuzz_av_pairs", tag + "-target-info", ntlm::ChallengeMessage(challenge).target_info_bytes());
            const ntlm::AuthenticateMessage parsed(authenticate);
            const Bytes& nt = parsed.fields().nt_response;
            if (nt.size() > 16 + 28) write("fuzz_av_pairs", tag + "-client-blob", ByteView(nt).subspan(16 + 28));
            try {
                server.step(authenticate);
                std::cerr << tag << ": the acceptor accepted\n";
            } catch (const GssError& e) {
                // NTLMv2 MICs cover the CHALLENGE's timestamp: expected.
                std::cerr << tag << ": the acceptor said " << e.what() << "\n";
            }
        }
    }
    // An anonymous initiator answering the same CHALLENGE.
    fuzz::reset_random();
    ntlm::NtlmClient client(fuzz::initiator_credential(), fuzz::client_params(3));
    ntlm::NtlmServer server(fuzz::acceptor_credential(), fuzz::server_params(false));
    const Bytes challenge = server.step(client.step({}));
    const ntlm::Name anonymous = ntlm::Name::anonymous();
    const auto anon_cred =
        ntlm::Credential::acquire(&anonymous, ntlm::CredUsage::initiate, {}, *fuzz::config());
    ntlm::NtlmClient anon(anon_cred, fuzz::client_params(3));
    anon.step({});
    write("fuzz_authenticate", "ours-anonymous", with_selector(3, anon.step(challenge)));
    // A NEGOTIATE with OEM domain and workstation and no Version.
    write("fuzz_negotiate", "ours-oem-strings",
          ntlm::NegotiateMessage(ntlm::flag::oem | ntlm::flag::ntlm | ntlm::flag::request_target, "EXAMPLE",
                                 "CLIENT", std::nullopt)
              .serialize());
    negotiate_seeds();
}

// NEGOTIATEs as this module's initiator makes them for each combination of
// what an application asks (integrity, confidentiality, identify,
// anonymous), and as older clients send them: without Version, with OEM
// domain and workstation names, NTLMv1 flags.
void negotiate_seeds() {
    using namespace ntlm;
    for (uint32_t asked = 0; asked < 16; ++asked) {
        uint32_t flags = flag::unicode | flag::oem | flag::request_target | flag::ntlm | flag::always_sign |
                         flag::extended_session_security | flag::negotiate_128 | flag::negotiate_56 |
                         flag::key_exch;
        if (asked & 1) flags |= flag::sign;
        if (asked & 2) flags |= flag::seal | flag::sign;
        if (asked & 4) flags |= flag::identify;
        if (asked & 8) flags |= flag::anonymous;
        const std::string tag = "ours-asked" + std::to_string(asked);
        write("fuzz_negotiate", tag, NegotiateMessage(flags | flag::version, {}, {}, Version{}).serialize());
        write("fuzz_negotiate", tag + "-no-version", NegotiateMessage(flags, {}, {}, std::nullopt).serialize());
        write("fuzz_negotiate", tag + "-oem-names",
              NegotiateMessage(flags, "DOMAIN" + std::to_string(asked), "WS", std::nullopt).serialize());
    }
    const uint32_t v1 = flag::oem | flag::request_target | flag::ntlm | flag::sign | flag::seal | flag::lm_key;
    write("fuzz_negotiate", "ntlmv1-lm-key", NegotiateMessage(v1, {}, {}, std::nullopt).serialize());
    write("fuzz_negotiate", "ntlmv1-lm-key-names", NegotiateMessage(v1, "EXAMPLE", "CLIENT", std::nullopt).serialize());
}

void add_field(Bytes& out, ByteView data) {
    ByteWriter w;
    w.u16le(static_cast<uint16_t>(data.size()));
    w.bytes(data);
    out.insert(out.end(), w.data().begin(), w.data().end());
}

// fuzz_mech_accept: the AUTHENTICATE of the fixed initiator behind its
// selector, then, for a context that completes (NTLMv1 seeds: no MIC over
// the timestamped CHALLENGE), the initiator's first wrap and MIC tokens.
void mech_accept_seeds() {
    for (const int level : {1, 2, 3}) {
        for (const bool bindings : {false, true}) {
            fuzz::reset_random();
            ntlm::ClientParams params = fuzz::client_params(level);
            params.channel_bindings.reset();
            if (bindings)
                params.channel_bindings = ntlm::channel_bindings_hash(GSS_C_AF_UNSPEC, {}, GSS_C_AF_UNSPEC, {},
                                                                      as_bytes(fuzz::binding_data));
            ntlm::NtlmClient client(fuzz::initiator_credential(), params);
            ntlm::ServerParams sp = fuzz::server_params(false);
            sp.channel_bindings = params.channel_bindings;
            ntlm::NtlmServer server(fuzz::acceptor_credential(), sp);
            const Bytes authenticate = client.step(server.step(client.step({})));
            Bytes out{static_cast<uint8_t>(level | (bindings ? 0x08 : 0))};
            add_field(out, authenticate);

            ntlm::SessionSecurity peer(client.session().flags, client.session().exported_session_key, true);
            const Bytes message = {'p', 'i', 'n', 'g'};
            uint32_t seq = 0;
            if (peer.can_seal()) {
                Bytes sealed = message;
                const auto sig = peer.seal(seq++, sealed);
                Bytes token(sig.begin(), sig.end());
                token.insert(token.end(), sealed.begin(), sealed.end());
                out.push_back(0);
                add_field(out, token);
                add_field(out, {});
            }
            const auto mic = peer.sign(seq++, {ByteView(message)});
            out.push_back(1);
            add_field(out, message);
            add_field(out, mic);
            out.push_back(2);
            add_field(out, message);
            add_field(out, {});
            out.push_back(3);
            add_field(out, message);
            add_field(out, {});
            write("fuzz_mech_accept", "ours-level" + std::to_string(level) + (bindings ? "-cb" : ""), out);
        }
    }
    // A fuzzed-NEGOTIATE seed: selector bit 4 and our NEGOTIATE.
    ntlm::NtlmClient client(fuzz::initiator_credential(), fuzz::client_params(3));
    Bytes out{0x13};
    add_field(out, client.step({}));
    write("fuzz_mech_accept", "ours-negotiate", out);
}

// Traffic of an established context in both directions, replayed by the
// acceptor side of fuzz_session.
void session_traffic() {
    const Key16 key = [] {
        std::array<uint8_t, 16> k{};
        k.fill(0x55);
        return Key16(k);
    }();
    const std::map<std::string, uint8_t> selectors = {
        {"ess-128-keyexch", 0x1f | 0x20}, {"ess-sign-only", 0x01 | 0x04 | 0x10}, {"v1-seal", 0x03 | 0x10},
        {"v1-seal-56", 0x03 | 0x20}, {"v1-seal-40", 0x03}, {"dummy", 0x00}, {"ess-datagram", 0x17 | 0x40},
    };
    const Bytes message = {'h', 'e', 'l', 'l', 'o', ' ', 'f', 'u', 'z', 'z'};
    for (const auto& [name, selector] : selectors) {
        uint32_t flags = ntlm::flag::ntlm | ntlm::flag::unicode;
        const uint32_t bits[] = {ntlm::flag::sign, ntlm::flag::seal, ntlm::flag::extended_session_security,
                                 ntlm::flag::key_exch, ntlm::flag::negotiate_128, ntlm::flag::negotiate_56,
                                 ntlm::flag::datagram};
        for (size_t i = 0; i < 7; ++i)
            if (selector & (1u << i)) flags |= bits[i];
        ntlm::SessionSecurity peer(flags, key, true);
        Bytes out{selector};
        for (uint32_t seq = 0; seq < 3; ++seq) {
            const auto mic = peer.sign(seq, {ByteView(message)});
            add_record(out, 0, seq, mic, message);
            if (peer.can_seal()) {
                Bytes sealed = message;
                const auto sig = peer.seal(seq, sealed);
                add_record(out, 1, seq, sig, sealed);
            }
        }
        add_record(out, 5, 7, {}, message);
        add_record(out, 7, 0, {}, {});
        write("fuzz_session", "ours-" + name, out);
    }
}

void vectors(const std::map<std::string, std::string>& v) {
    const auto hex = [&](const std::string& key) { return from_hex(v.at(key)); };
    write("fuzz_challenge", "ms-nlmp-4.2.2.3", hex("v1_challenge_message"));
    write("fuzz_challenge", "ms-nlmp-4.2.4.3", hex("v2_challenge_message"));
    write("fuzz_authenticate", "ms-nlmp-4.2.2.3", with_selector(1, hex("v1_authenticate_message")));
    write("fuzz_authenticate", "ms-nlmp-4.2.4.3", with_selector(3, hex("v2_authenticate_message")));
    write("fuzz_av_pairs", "ms-nlmp-4.2.4.1.3", hex("v2_target_info"));
    const Bytes blob = hex("v2_client_blob");
    write("fuzz_av_pairs", "ms-nlmp-4.2.4.1.3-blob", ByteView(blob).subspan(28));

    // 4.2.4.4 and 4.2.2.4: the client's sealed "Plaintext" at the acceptor.
    Bytes v2{0x3f};
    add_record(v2, 1, 0, hex("v2_signature"), hex("v2_sealed_data"));
    write("fuzz_session", "ms-nlmp-4.2.4.4", v2);
    Bytes v1{0x3b};
    add_record(v1, 1, 0, hex("v1_signature_wire"), hex("v1_sealed_data"));
    write("fuzz_session", "ms-nlmp-4.2.2.4", v1);
    Bytes ess{0x27};
    add_record(ess, 1, 0, hex("ess_signature"), hex("ess_sealed_data"));
    write("fuzz_session", "ms-nlmp-4.2.3.4", ess);
}

// Every token of spnego.vectors, and what the Kerberos NegTokenInit carries:
// its mechToken (an AP-REQ in the RFC 2743 3.1 framing) and the AP-REQ
// alone, as a GSS_C_DCE_STYLE peer sends it.
void spnego_seeds(const std::map<std::string, std::string>& v) {
    for (const auto& [name, hex] : v) write("fuzz_spnego", name, from_hex(hex));
    const spnego::NegTokenInit init(from_hex(v.at("mit_krb5_init")));
    const Bytes& framed = init.mech_token().value();
    write("fuzz_spnego", "mit_krb5_init-mech-token", framed);
    write("fuzz_spnego", "mit_krb5_init-ap-req", spnego::classify(framed).inner);
    // The Samba AD DC's CHALLENGE, from its LDAP server, and the NEGOTIATEs
    // of gss-ntlmssp and of Samba's client that it answered.
    const spnego::NegTokenResp dc(from_hex(v.at("samba_dc_ldap_2_challenge")));
    write("fuzz_challenge", "samba-dc-ldap", dc.response_token().value());
    const spnego::NegTokenInit gss_ntlmssp(from_hex(v.at("samba_dc_ldap_1_init")));
    write("fuzz_negotiate", "gss-ntlmssp-ldap", gss_ntlmssp.mech_token().value());
    const spnego::NegTokenInit samba_client(from_hex(v.at("samba_client_ldap_1_init")));
    write("fuzz_negotiate", "samba-client-ldap", samba_client.mech_token().value());
}

// An exported context never expires in the corpus: a real export carries
// the moment of the handshake plus the context lifetime (10 h).
constexpr int64_t seed_expiry = 4102444800;  // 2100-01-01T00:00:00Z

void write_export(const std::string& name, gss_ctx_id_t& ctx) {
    ntlm::ExportedContext e = ntlm::ExportedContext::parse(fuzz::export_context(ctx));
    e.expiry = seed_expiry;
    write("fuzz_export", name, ByteView(e.serialize()));
}

// One message each way, so that sequence numbers and RC4 positions are not
// those of a fresh context.
void exchange(fuzz::ContextPair& pair) {
    static constexpr std::string_view text = "traffic";
    gss_buffer_desc message = fuzz::buffer_of(as_bytes(text));
    OM_uint32 minor = 0;
    gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
    gss_buffer_desc plain = GSS_C_EMPTY_BUFFER;
    if (gss_wrap(&minor, pair.initiator(), 1, GSS_C_QOP_DEFAULT, &message, nullptr, &token) != GSS_S_COMPLETE ||
        gss_unwrap(&minor, pair.acceptor(), &token, &plain, nullptr, nullptr) != GSS_S_COMPLETE)
        throw std::runtime_error("wrap from the initiator failed");
    fuzz::take(token);
    fuzz::take(plain);
    if (gss_get_mic(&minor, pair.acceptor(), GSS_C_QOP_DEFAULT, &message, &token) != GSS_S_COMPLETE ||
        gss_verify_mic(&minor, pair.initiator(), &message, &token, nullptr) != GSS_S_COMPLETE)
        throw std::runtime_error("MIC from the acceptor failed");
    fuzz::take(token);
}

// fuzz_export: both ends of contexts with sealing, signing only, no
// protection (dummy signatures), NTLMv1 with ESS, and after traffic.
void export_seeds() {
    struct Variant {
        const char* name;
        OM_uint32 flags;
        int level;
        bool traffic;
    };
    const Variant variants[] = {
        {"ntlmv2-seal", fuzz::protect_flags, 3, false},
        {"ntlmv2-seal-after-traffic", fuzz::protect_flags, 3, true},
        {"ntlmv2-sign", GSS_C_INTEG_FLAG, 3, false},
        {"ntlmv2-no-protection", 0, 3, false},
        {"ntlmv1-ess-seal-after-traffic", fuzz::protect_flags, 1, true},
    };
    for (const Variant& v : variants) {
        fuzz::ContextPair pair(v.flags, v.level);
        if (v.traffic) exchange(pair);
        write_export(std::string(v.name) + "-initiator", pair.initiator());
        write_export(std::string(v.name) + "-acceptor", pair.acceptor());
    }
}

void protect_seeds_for(const Bytes (&saved)[2], const std::string& text, const std::string& tag);

// fuzz_protect: what each end of the target's pair sends the other, made by
// the same deterministic handshake, behind the selector of each call.
// Messages of several lengths (empty, one byte, around the 16-byte
// signature and RC4's lack of blocks, a long one), "ping" under the
// original names.
void protect_seeds() {
    fuzz::ContextPair pair;
    const Bytes saved[2] = {fuzz::export_context(pair.initiator()), fuzz::export_context(pair.acceptor())};
    for (const size_t length : {size_t{4}, size_t{0}, size_t{1}, size_t{3}, size_t{15}, size_t{16}, size_t{17},
                                size_t{64}, size_t{255}}) {
        const std::string text = length == 4 ? std::string("ping") : std::string(length, 'm');
        const std::string tag = length == 4 ? std::string() : "-len" + std::to_string(length);
        protect_seeds_for(saved, text, tag);
    }
}

void protect_seeds_for(const Bytes (&saved)[2], const std::string& text, const std::string& tag) {
    gss_buffer_desc message = fuzz::buffer_of(as_bytes(std::string_view(text)));
    for (const bool initiator_receives : {false, true}) {
        const uint8_t direction = initiator_receives ? 0x04 : 0x00;
        const std::string suffix = (initiator_receives ? "-to-initiator" : "-to-acceptor") + tag;
        const std::pair<uint8_t, const char*> wraps[] = {
            {0, "unwrap"}, {2, "unwrap-iov-stream"}, {2 | 0x08, "unwrap-iov-stream-allocate"},
            {3, "unwrap-iov-header"}, {3 | 0x08, "unwrap-iov-header-padding"},
        };
        for (const auto& [op, name] : wraps) {
            // The sender starts from the exported state for every seed, as
            // the target's receiver does.
            gss_ctx_id_t sender = fuzz::import_context(saved[initiator_receives ? 1 : 0]);
            OM_uint32 minor = 0;
            gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
            if (gss_wrap(&minor, sender, 1, GSS_C_QOP_DEFAULT, &message, nullptr, &token) != GSS_S_COMPLETE)
                throw std::runtime_error("gss_wrap for a seed");
            write("fuzz_protect", name + suffix, with_selector(static_cast<uint8_t>(op | direction), fuzz::take(token)));
            gss_delete_sec_context(&minor, &sender, GSS_C_NO_BUFFER);
        }
        gss_ctx_id_t sender = fuzz::import_context(saved[initiator_receives ? 1 : 0]);
        OM_uint32 minor = 0;
        gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
        if (gss_get_mic(&minor, sender, GSS_C_QOP_DEFAULT, &message, &mic) != GSS_S_COMPLETE)
            throw std::runtime_error("gss_get_mic for a seed");
        Bytes token = fuzz::take(mic);
        token.insert(token.end(), text.begin(), text.end());
        write("fuzz_protect", "verify-mic" + suffix, with_selector(static_cast<uint8_t>(1 | direction), token));
        gss_delete_sec_context(&minor, &sender, GSS_C_NO_BUFFER);
    }
}

// fuzz_nego_accept and fuzz_nego_init. For each set of options: the real
// exchange (edit mode with no edits), the same with a call after the end,
// and the tokens the receiver got replayed as fields (replace mode), from
// its first leg and from its second. The random stream and the order of
// the calls are those of the targets, so a replayed CHALLENGE makes the
// same AUTHENTICATE again: the initiator completes on a replayed
// accept-completed, and an acceptor on a replayed NTLMv1 AUTHENTICATE
// (an NTLMv2 one carries a MIC over the CHALLENGE, whose timestamp moves).
void nego_seeds(const std::map<std::string, std::string>& v) {
    namespace sel = fuzz::nego_selector;
    struct Variant {
        const char* name;
        uint8_t options;
    };
    const Variant variants[] = {
        {"ntlmv2-protect", static_cast<uint8_t>(sel::level_bits(3) | sel::protect)},
        {"ntlmv2-mutual", sel::level_bits(3)},
        {"ntlmv2-bindings",
         static_cast<uint8_t>(sel::level_bits(3) | sel::protect | sel::initiator_bindings | sel::acceptor_bindings)},
        {"ntlmv2-level5-default-cred",
         static_cast<uint8_t>(sel::level_bits(5) | sel::protect | sel::default_acceptor_cred)},
        {"ntlmv1-protect", static_cast<uint8_t>(sel::level_bits(1) | sel::protect)},
        {"ntlmv1-level2-mutual", sel::level_bits(2)},
    };
    const std::pair<fuzz::Side, const char*> targets[] = {
        {fuzz::Side::acceptor, "fuzz_nego_accept"},
        {fuzz::Side::initiator, "fuzz_nego_init"},
    };
    for (const auto& [receiver, target] : targets) {
        // Legs 1, 3 ... go to the acceptor, 2, 4 ... to the initiator.
        const size_t parity = receiver == fuzz::Side::acceptor ? 0 : 1;
        for (const Variant& variant : variants) {
            const std::string name = variant.name;
            const Bytes live{static_cast<uint8_t>(variant.options | sel::edit)};
            const fuzz::NegoTranscript t = fuzz::run_nego_input(receiver, live.data(), live.size());
            if (t.initiator_major != GSS_S_COMPLETE || t.acceptor_major != GSS_S_COMPLETE)
                throw std::runtime_error(name + ": the Negotiate exchange did not complete");
            write(target, name + "-live", live);

            std::vector<Bytes> incoming;
            for (size_t i = parity; i < t.legs.size(); i += 2) incoming.push_back(t.legs[i]);
            Bytes after_end = live;
            for (size_t i = 0; i < incoming.size(); ++i) fuzz::append_field(after_end, {});
            fuzz::append_field(after_end, incoming.back());
            write(target, name + "-after-end", after_end);

            for (const size_t first : {size_t{0}, size_t{1}}) {
                Bytes replay{static_cast<uint8_t>(variant.options | (first == 1 ? sel::second_leg : 0))};
                for (size_t i = first; i < incoming.size(); ++i) fuzz::append_field(replay, incoming[i]);
                const std::string replay_name = name + (first == 1 ? "-replay-second" : "-replay");
                write(target, replay_name, replay);
                const fuzz::NegoTranscript r = fuzz::run_nego_input(receiver, replay.data(), replay.size());
                const OM_uint32 major = receiver == fuzz::Side::acceptor ? r.acceptor_major : r.initiator_major;
                std::cerr << target << " " << replay_name << ": the receiver "
                          << (major == GSS_S_COMPLETE ? "completes" : "does not complete") << "\n";
            }
        }
    }
    // Other peers' tokens (test/data/spnego.vectors) at their leg.
    const auto with_field = [](uint8_t selector, ByteView token) {
        Bytes out{selector};
        fuzz::append_field(out, token);
        return out;
    };
    const uint8_t v2 = static_cast<uint8_t>(sel::level_bits(3) | sel::protect);
    for (const char* name : {"mit_ntlm_1_init", "mit_krb5_init", "mit_krb5_init_only_krb5", "ms_krb5_first_init",
                             "rfc4178_init_mic", "windows_init2"})
        write("fuzz_nego_accept", name, with_field(v2, from_hex(v.at(name))));
    write("fuzz_nego_accept", "empty-first-token", with_field(v2, {}));
    write("fuzz_nego_accept", "mit_ntlm_3_authenticate",
          with_field(v2 | sel::second_leg, from_hex(v.at("mit_ntlm_3_authenticate"))));
    for (const char* name : {"mit_ntlm_2_challenge", "mit_acceptor_init2", "mit_krb5_reject", "resp_request_mic",
                             "resp_empty"})
        write("fuzz_nego_init", name, with_field(v2, from_hex(v.at(name))));
    for (const char* name : {"mit_ntlm_4_completed", "mit_krb5_completed"})
        write("fuzz_nego_init", name, with_field(v2 | sel::second_leg, from_hex(v.at(name))));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: fuzz_seeds NLMP_VECTORS SPNEGO_VECTORS OUT_DIR\n";
        return 2;
    }
    try {
        g_out = argv[3];
        fuzz::use_module_environment();
        handshakes();
        session_traffic();
        mech_accept_seeds();
        vectors(read_vectors(argv[1]));
        spnego_seeds(read_vectors(argv[2]));
        export_seeds();
        protect_seeds();
        nego_seeds(read_vectors(argv[2]));
    } catch (const std::exception& e) {
        std::cerr << "fuzz_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
