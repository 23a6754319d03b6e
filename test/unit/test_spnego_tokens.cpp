#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "ntlm/negotiate_message.h"
#include "spnego/der.h"
#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/oid.h"
#include "spnego/token_kind.h"
#include "util/errors.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::spnego;

namespace {

const test::Vectors& v() {
    static const test::Vectors vectors("spnego.vectors");
    return vectors;
}

std::string minor_name(OM_uint32 m) {
    const char* text = minor_text(m);
    return text != nullptr ? text : "no error (" + std::to_string(m) + ")";
}

// DER built by hand in the tests, independent of DerWriter.
std::string tlv(const std::string& tag, const std::string& contents) {
    const size_t n = contents.size() / 2;
    char len[32];
    if (n < 0x80) {
        std::snprintf(len, sizeof len, "%02zx", n);
    } else if (n < 0x100) {
        std::snprintf(len, sizeof len, "81%02zx", n);
    } else {
        std::snprintf(len, sizeof len, "82%04zx", n);
    }
    return tag + len + contents;
}

const std::string spnego_oid = "06062b0601050502";
const std::string ntlm_oid = "060a2b06010401823702020a";
const std::string krb5_oid = "06092a864886f712010202";

std::string framed(const std::string& fields) {
    return tlv("60", spnego_oid + tlv("a0", tlv("30", fields)));
}

std::string mech_types(const std::string& oids) {
    return tlv("a0", tlv("30", oids));
}

std::string resp(const std::string& fields) {
    return tlv("a1", tlv("30", fields));
}

Bytes hex_of(const std::optional<Bytes>& b) {
    REQUIRE(b.has_value());
    return *b;
}

enum class Parser { init, resp };

bool parses(Parser parser, ByteView token) {
    if (parser == Parser::init) {
        (void)NegTokenInit(token);
    } else {
        (void)NegTokenResp(token);
    }
    return true;
}

struct Named {
    const char* name;
    Parser parser;
};

const std::vector<Named> all_vectors = {
    {"mit_ntlm_1_init", Parser::init},
    {"mit_ntlm_2_challenge", Parser::resp},
    {"mit_ntlm_3_authenticate", Parser::resp},
    {"mit_ntlm_4_completed", Parser::resp},
    {"mit_acceptor_init2", Parser::init},
    {"mit_krb5_init", Parser::init},
    {"mit_krb5_completed", Parser::resp},
    {"mit_krb5_init_only_krb5", Parser::init},
    {"mit_krb5_reject", Parser::resp},
    {"windows_init2", Parser::init},
    {"ms_krb5_first_init", Parser::init},
    {"init2_hints_address_mic", Parser::init},
    {"rfc4178_init_mic", Parser::init},
    {"resp_request_mic", Parser::resp},
    {"resp_empty", Parser::resp},
    {"samba_dc_smb2_init2", Parser::init},
    {"samba_dc_ldap_1_init", Parser::init},
    {"samba_dc_ldap_2_challenge", Parser::resp},
    {"samba_dc_ldap_3_authenticate", Parser::resp},
    {"samba_dc_ldap_4_completed", Parser::resp},
    {"samba_client_ldap_1_init", Parser::init},
    {"samba_client_ldap_2_challenge", Parser::resp},
    {"samba_client_ldap_3_authenticate", Parser::resp},
    {"samba_client_ldap_4_completed", Parser::resp},
};

}  // namespace

TEST_CASE("MIT's SPNEGO over NTLM: the four captured tokens", "[spnego]") {
    const Bytes t1 = v().hex("mit_ntlm_1_init");
    const NegTokenInit init(t1);
    CHECK(init.form() == NegTokenInit::Form::rfc4178);
    CHECK(init.mech_types() == std::vector<Oid>{oids::ntlm()});
    CHECK(to_hex(init.mech_types_der()) == "300c" + ntlm_oid);
    CHECK_FALSE(init.req_flags().has_value());
    CHECK_FALSE(init.mech_list_mic().has_value());
    CHECK_FALSE(init.neg_hints().has_value());
    const Bytes negotiate = hex_of(init.mech_token());
    CHECK(negotiate.size() == 40);
    CHECK(ntlm::NegotiateMessage(negotiate).flags() == 0xe2088237);
    CHECK(init.serialize() == t1);
    CHECK(NegTokenInit({oids::ntlm()}, negotiate).serialize() == t1);
    CHECK(to_hex(init.serialize_unframed()) == to_hex(t1).substr(20));

    const Bytes t2 = v().hex("mit_ntlm_2_challenge");
    const NegTokenResp challenge(t2);
    CHECK(challenge.neg_state() == NegState::accept_incomplete);
    CHECK(challenge.supported_mech() == oids::ntlm());
    const Bytes challenge_msg = hex_of(challenge.response_token());
    CHECK(challenge_msg.size() == 114);
    CHECK(ntlm::ChallengeMessage(challenge_msg).target_name() == "VM");
    CHECK_FALSE(challenge.mech_list_mic().has_value());
    CHECK(challenge.serialize() == t2);
    CHECK(NegTokenResp(NegState::accept_incomplete, oids::ntlm(), challenge_msg).serialize() == t2);

    const Bytes t3 = v().hex("mit_ntlm_3_authenticate");
    const NegTokenResp authenticate(t3);
    CHECK(authenticate.neg_state() == NegState::accept_incomplete);
    CHECK_FALSE(authenticate.supported_mech().has_value());
    const Bytes authenticate_msg = hex_of(authenticate.response_token());
    CHECK(authenticate_msg.size() == 298);
    const ntlm::AuthenticateMessage auth(authenticate_msg);
    CHECK(auth.fields().user == "alice");
    CHECK(auth.fields().domain == "TESTDOM");
    CHECK(to_hex(hex_of(authenticate.mech_list_mic())) == "01000000045118a3f4e952f400000000");
    CHECK(authenticate.serialize() == t3);
    CHECK(NegTokenResp(NegState::accept_incomplete, std::nullopt, authenticate_msg,
                       from_hex("01000000045118a3f4e952f400000000"))
              .serialize() == t3);

    const Bytes t4 = v().hex("mit_ntlm_4_completed");
    const NegTokenResp completed(t4);
    CHECK(completed.neg_state() == NegState::accept_completed);
    CHECK_FALSE(completed.supported_mech().has_value());
    CHECK_FALSE(completed.response_token().has_value());
    CHECK(to_hex(hex_of(completed.mech_list_mic())) == "01000000763a01e21ebd9be800000000");
    CHECK(completed.serialize() == t4);
    CHECK(NegTokenResp(NegState::accept_completed, std::nullopt, std::nullopt,
                       from_hex("01000000763a01e21ebd9be800000000"))
              .serialize() == t4);
}

TEST_CASE("The Samba AD DC's tokens: its SMB2 NegTokenInit2 and an NTLM bind over LDAP", "[spnego]") {
    const Bytes smb2 = v().hex("samba_dc_smb2_init2");
    const NegTokenInit init2(smb2);
    CHECK(init2.form() == NegTokenInit::Form::ms_spng_init2);
    CHECK(init2.mech_types() == std::vector<Oid>{oids::ms_kerberos(), oids::kerberos(), oids::ntlm()});
    REQUIRE(init2.neg_hints().has_value());
    CHECK(init2.neg_hints()->hint_name == std::string("not_defined_in_RFC4178@please_ignore"));
    CHECK_FALSE(init2.neg_hints()->hint_address.has_value());
    CHECK_FALSE(init2.mech_token().has_value());
    CHECK_FALSE(init2.mech_list_mic().has_value());
    CHECK(init2.serialize() == smb2);

    const Bytes t1 = v().hex("samba_dc_ldap_1_init");
    const NegTokenInit init(t1);
    CHECK(init.mech_types() == std::vector<Oid>{oids::ntlm()});
    CHECK(ntlm::NegotiateMessage(hex_of(init.mech_token())).flags() != 0);
    CHECK(init.serialize() == t1);

    const Bytes t2 = v().hex("samba_dc_ldap_2_challenge");
    const NegTokenResp challenge(t2);
    CHECK(challenge.neg_state() == NegState::accept_incomplete);
    CHECK(challenge.supported_mech() == oids::ntlm());
    CHECK_FALSE(challenge.mech_list_mic().has_value());
    const ntlm::ChallengeMessage dc_challenge(hex_of(challenge.response_token()));
    CHECK(dc_challenge.target_name() == "ADEX");
    const auto& info = dc_challenge.target_info();
    CHECK(info.string(ntlm::AvId::nb_domain_name) == std::optional<std::string>("ADEX"));
    CHECK(info.string(ntlm::AvId::nb_computer_name) == std::optional<std::string>("DC1"));
    CHECK(info.string(ntlm::AvId::dns_domain_name) == std::optional<std::string>("ad.example.test"));
    CHECK(info.string(ntlm::AvId::dns_computer_name) == std::optional<std::string>("dc1.ad.example.test"));
    CHECK(info.timestamp().has_value());
    CHECK(challenge.serialize() == t2);

    const Bytes t3 = v().hex("samba_dc_ldap_3_authenticate");
    const NegTokenResp authenticate(t3);
    const ntlm::AuthenticateMessage auth(hex_of(authenticate.response_token()));
    CHECK(auth.fields().user == "alice");
    CHECK(auth.fields().domain == "ADEX");
    CHECK(hex_of(authenticate.mech_list_mic()).size() == 16);
    CHECK(authenticate.serialize() == t3);

    const Bytes t4 = v().hex("samba_dc_ldap_4_completed");
    const NegTokenResp completed(t4);
    CHECK(completed.neg_state() == NegState::accept_completed);
    CHECK_FALSE(completed.supported_mech().has_value());
    CHECK_FALSE(completed.response_token().has_value());
    // An NTLM signature: version 1, then checksum and sequence number.
    CHECK(to_hex(hex_of(completed.mech_list_mic())).substr(0, 8) == "01000000");
    CHECK(completed.serialize() == t4);
}

TEST_CASE("Samba's own client (ntlm_auth) binding to the Samba DC over LDAP", "[spnego]") {
    const Bytes t1 = v().hex("samba_client_ldap_1_init");
    const NegTokenInit init(t1);
    CHECK(init.mech_types() == std::vector<Oid>{oids::ntlm()});
    const ntlm::NegotiateMessage negotiate(hex_of(init.mech_token()));
    CHECK((negotiate.flags() & 0x00000010) != 0);  // SIGN, as the helper was told
    CHECK(init.serialize() == t1);

    const Bytes t2 = v().hex("samba_client_ldap_2_challenge");
    const NegTokenResp challenge(t2);
    CHECK(challenge.neg_state() == NegState::accept_incomplete);
    CHECK(challenge.supported_mech() == oids::ntlm());
    CHECK(ntlm::ChallengeMessage(hex_of(challenge.response_token())).target_name() == "ADEX");
    CHECK(challenge.serialize() == t2);

    const Bytes t3 = v().hex("samba_client_ldap_3_authenticate");
    const NegTokenResp authenticate(t3);
    // Samba's client sends no negState with its AUTHENTICATE.
    CHECK_FALSE(authenticate.neg_state().has_value());
    const ntlm::AuthenticateMessage auth(hex_of(authenticate.response_token()));
    CHECK(auth.fields().user == "alice");
    CHECK(auth.fields().domain == "ADEX");
    CHECK(auth.fields().mic.has_value());
    CHECK(hex_of(authenticate.mech_list_mic()).size() == 16);
    CHECK(authenticate.serialize() == t3);

    const Bytes t4 = v().hex("samba_client_ldap_4_completed");
    const NegTokenResp completed(t4);
    CHECK(completed.neg_state() == NegState::accept_completed);
    CHECK(hex_of(completed.mech_list_mic()).size() == 16);
    CHECK(completed.serialize() == t4);
}

TEST_CASE("MIT's SPNEGO over Kerberos: AP-REQ, AP-REP and KRB-ERROR inside", "[spnego]") {
    const Bytes t1 = v().hex("mit_krb5_init");
    const NegTokenInit init(t1);
    CHECK(init.mech_types() == std::vector<Oid>{oids::kerberos(), oids::ntlm()});
    CHECK(to_hex(init.mech_types_der()) == "3017" + krb5_oid + ntlm_oid);
    const Bytes ap_req = hex_of(init.mech_token());
    CHECK(ap_req.size() == 721);
    const TokenClass inner = classify(ap_req);
    CHECK(inner.kind == TokenKind::krb5_ap_req);
    CHECK(inner.framing_mech == oids::kerberos());
    CHECK(inner.inner.size() == 721 - 17);
    CHECK(classify(inner.inner).kind == TokenKind::krb5_ap_req);
    CHECK(init.serialize() == t1);
    CHECK(NegTokenInit({oids::kerberos(), oids::ntlm()}, ap_req).serialize() == t1);

    const Bytes t2 = v().hex("mit_krb5_completed");
    const NegTokenResp completed(t2);
    CHECK(completed.neg_state() == NegState::accept_completed);
    CHECK(completed.supported_mech() == oids::kerberos());
    const Bytes ap_rep = hex_of(completed.response_token());
    CHECK(ap_rep.size() == 156);
    CHECK(classify(ap_rep).kind == TokenKind::krb5_ap_rep);
    CHECK_FALSE(completed.mech_list_mic().has_value());
    CHECK(NegTokenResp(NegState::accept_completed, oids::kerberos(), ap_rep).serialize() == t2);

    const NegTokenInit only_krb5(v().hex("mit_krb5_init_only_krb5"));
    CHECK(only_krb5.mech_types() == std::vector<Oid>{oids::kerberos()});
    CHECK(classify(hex_of(only_krb5.mech_token())).kind == TokenKind::krb5_ap_req);

    const Bytes t3 = v().hex("mit_krb5_reject");
    const NegTokenResp reject(t3);
    CHECK(reject.neg_state() == NegState::reject);
    CHECK_FALSE(reject.supported_mech().has_value());
    const Bytes krb_error = hex_of(reject.response_token());
    CHECK(krb_error.size() == 106);
    const TokenClass error_class = classify(krb_error);
    CHECK(error_class.kind == TokenKind::krb5_error);
    CHECK(error_class.inner.size() == 106 - 2 - 11 - 2);
    CHECK(reject.serialize() == t3);
}

TEST_CASE("NegTokenInit2 with negHints, from MIT and built by hand in Windows' layout", "[spnego]") {
    const Bytes mit = v().hex("mit_acceptor_init2");
    const NegTokenInit init2(mit);
    CHECK(init2.form() == NegTokenInit::Form::ms_spng_init2);
    CHECK(init2.mech_types() == std::vector<Oid>{oids::ntlm()});
    REQUIRE(init2.neg_hints().has_value());
    CHECK(init2.neg_hints()->hint_name == std::string("not_defined_in_RFC4178@please_ignore"));
    CHECK_FALSE(init2.neg_hints()->hint_address.has_value());
    CHECK_FALSE(init2.mech_token().has_value());
    CHECK_FALSE(init2.mech_list_mic().has_value());
    CHECK(init2.serialize() == mit);
    CHECK(NegTokenInit({oids::ntlm()}, std::nullopt, std::nullopt, NegHints{ignored_hint_name, std::nullopt})
              .serialize() == mit);

    const Bytes windows = v().hex("windows_init2");
    const NegTokenInit win(windows);
    CHECK(win.form() == NegTokenInit::Form::ms_spng_init2);
    const std::vector<Oid> windows_order = {oids::ms_kerberos(), oids::kerberos(), oids::negoex(), oids::ntlm()};
    CHECK(win.mech_types() == windows_order);
    CHECK(win.neg_hints() == NegHints{ignored_hint_name, std::nullopt});
    CHECK(win.serialize() == windows);
    CHECK(NegTokenInit(windows_order, std::nullopt, std::nullopt, NegHints{ignored_hint_name, std::nullopt})
              .serialize() == windows);

    const Bytes with_mic = v().hex("init2_hints_address_mic");
    const NegTokenInit full(with_mic);
    CHECK(full.form() == NegTokenInit::Form::ms_spng_init2);
    CHECK(full.neg_hints() == NegHints{ignored_hint_name, from_hex("7f000001")});
    CHECK(to_hex(hex_of(full.mech_list_mic())) == "101112131415161718191a1b1c1d1e1f");
    CHECK(full.serialize() == with_mic);
    const NegTokenInit built({oids::ntlm()}, std::nullopt, from_hex("101112131415161718191a1b1c1d1e1f"),
                             NegHints{ignored_hint_name, from_hex("7f000001")});
    CHECK(built.serialize() == with_mic);
    CHECK(to_hex(built.serialize()).find("a4120410") != std::string::npos);

    // NegTokenInit2 with mechListMIC [4] but no negHints keeps its form.
    const Bytes mic_at_4 = from_hex(framed(mech_types(ntlm_oid) + tlv("a4", tlv("04", "aabb"))));
    const NegTokenInit no_hints(mic_at_4);
    CHECK(no_hints.form() == NegTokenInit::Form::ms_spng_init2);
    CHECK_FALSE(no_hints.neg_hints().has_value());
    CHECK(to_hex(hex_of(no_hints.mech_list_mic())) == "aabb");
    CHECK(no_hints.serialize() == mic_at_4);
}

TEST_CASE("NegTokenInit with the Microsoft Kerberos OID first and reqFlags", "[spnego]") {
    const Bytes token = v().hex("ms_krb5_first_init");
    const NegTokenInit init(token);
    CHECK(init.form() == NegTokenInit::Form::rfc4178);
    const std::vector<Oid> order = {oids::ms_kerberos(), oids::kerberos(), oids::ntlm()};
    CHECK(init.mech_types() == order);
    CHECK(describe(init.mech_types().front()) == "Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2)");
    REQUIRE(init.req_flags().has_value());
    CHECK(init.req_flags()->bit(context_flag::mutual));
    CHECK(init.req_flags()->bit(context_flag::integ));
    CHECK_FALSE(init.req_flags()->bit(context_flag::deleg));
    CHECK(context_flags_to_string(*init.req_flags()) == "mutual|integ");
    CHECK(init.mech_token() == NegTokenInit(v().hex("mit_krb5_init")).mech_token());
    CHECK(init.serialize() == token);
    CHECK(NegTokenInit(order, init.mech_token(), std::nullopt, std::nullopt, BitString{{0x42}, 1}).serialize() ==
          token);

    CHECK(context_flags_to_string(BitString{{0xff, 0x80}, 0}) ==
          "deleg|mutual|replay|sequence|anon|conf|integ|bit7|bit8");
    CHECK(context_flags_to_string(BitString{}) == "none");
}

TEST_CASE("RFC 4178 NegTokenInit with mechListMIC at [3]; NegTokenResp variants", "[spnego]") {
    const Bytes token = v().hex("rfc4178_init_mic");
    const NegTokenInit init(token);
    CHECK(init.form() == NegTokenInit::Form::rfc4178);
    CHECK_FALSE(init.mech_token().has_value());
    CHECK(to_hex(hex_of(init.mech_list_mic())) == "101112131415161718191a1b1c1d1e1f");
    CHECK(NegTokenInit({oids::kerberos(), oids::ntlm()}, std::nullopt, from_hex("101112131415161718191a1b1c1d1e1f"))
              .serialize() == token);

    const Bytes request_mic = v().hex("resp_request_mic");
    const NegTokenResp r(request_mic);
    CHECK(r.neg_state() == NegState::request_mic);
    CHECK(r.supported_mech() == oids::ntlm());
    CHECK(NegTokenResp(NegState::request_mic, oids::ntlm(), std::nullopt).serialize() == request_mic);

    const Bytes empty = v().hex("resp_empty");
    const NegTokenResp e(empty);
    CHECK_FALSE(e.neg_state().has_value());
    CHECK_FALSE(e.supported_mech().has_value());
    CHECK_FALSE(e.response_token().has_value());
    CHECK_FALSE(e.mech_list_mic().has_value());
    CHECK(NegTokenResp(std::nullopt, std::nullopt, std::nullopt).serialize() == empty);

    CHECK(std::string(neg_state_name(NegState::accept_completed)) == "accept-completed");
    CHECK(std::string(neg_state_name(NegState::accept_incomplete)) == "accept-incomplete");
    CHECK(std::string(neg_state_name(NegState::reject)) == "reject");
    CHECK(std::string(neg_state_name(NegState::request_mic)) == "request-mic");

    CHECK_THROWS_AS(NegTokenInit({}, std::nullopt), std::invalid_argument);
}

TEST_CASE("Malformed SPNEGO tokens fail with the exact minor code", "[spnego]") {
    struct Row {
        const char* what;
        Parser parser;
        std::string hex;
        Minor expected;
    };
    const std::string init_ok = to_hex(v().hex("rfc4178_init_mic"));
    const std::string resp_ok = to_hex(v().hex("resp_request_mic"));
    const std::string challenge = to_hex(v().hex("mit_ntlm_2_challenge"));
    const std::string mic = tlv("04", "00112233");
    const std::vector<Row> rows = {
        {"empty NegTokenInit", Parser::init, "", Minor::der_truncated},
        {"empty NegTokenResp", Parser::resp, "", Minor::der_truncated},
        {"indefinite outer length", Parser::init,
         "6080" + spnego_oid + tlv("a0", tlv("30", mech_types(ntlm_oid))) + "0000", Minor::der_indefinite_length},
        {"indefinite SEQUENCE in NegTokenResp", Parser::resp, "a1093080a0030a01000000", Minor::der_indefinite_length},
        {"long form for a length below 128", Parser::init, "60813b" + init_ok.substr(4), Minor::der_non_minimal_length},
        {"leading zero in a long-form length", Parser::resp, "a182008c" + challenge.substr(6),
         Minor::der_non_minimal_length},
        {"outer length one past the end", Parser::init, "603c" + init_ok.substr(4), Minor::der_length_past_end},
        {"outer length one short", Parser::resp, "a114" + resp_ok.substr(4), Minor::der_trailing_data},
        {"field length one past its SEQUENCE", Parser::resp, resp(tlv("a0", "0a0101")).substr(0, 8) + "a0040a0101",
         Minor::der_length_past_end},
        {"wrong outer tag for NegTokenInit", Parser::init, "61" + init_ok.substr(2), Minor::der_unexpected_tag},
        {"NegTokenResp given to the NegTokenInit parser", Parser::init, resp_ok, Minor::der_unexpected_tag},
        {"NegTokenInit given to the NegTokenResp parser", Parser::resp, init_ok, Minor::der_unexpected_tag},
        {"NegTokenInit choice [0] without framing", Parser::resp, tlv("a0", tlv("30", mech_types(ntlm_oid))),
         Minor::der_unexpected_tag},
        {"framed with another OID", Parser::init,
         tlv("60", "06062b0601050503" + tlv("a0", tlv("30", mech_types(ntlm_oid)))), Minor::spnego_wrong_framing_oid},
        {"a framed Kerberos AP-REQ", Parser::init, to_hex(hex_of(NegTokenInit(v().hex("mit_krb5_init")).mech_token())),
         Minor::spnego_wrong_framing_oid},
        {"framing without an OID", Parser::init, tlv("60", tlv("a0", tlv("30", mech_types(ntlm_oid)))),
         Minor::der_unexpected_tag},
        {"framing OID not base-128", Parser::init, tlv("60", "06022b80" + tlv("a0", tlv("30", mech_types(ntlm_oid)))),
         Minor::der_bad_oid},
        {"NegTokenResp choice [1] inside the framing", Parser::init,
         tlv("60", spnego_oid + tlv("a1", tlv("30", ""))), Minor::der_unexpected_tag},
        {"empty mechTypes", Parser::init, framed(mech_types("")), Minor::spnego_no_mech_types},
        {"no mechTypes at all", Parser::init, framed(tlv("a2", tlv("04", "00"))), Minor::spnego_no_mech_types},
        {"mechTypes not a SEQUENCE", Parser::init, framed(tlv("a0", ntlm_oid)), Minor::der_unexpected_tag},
        {"mechTypes holding an OCTET STRING", Parser::init, framed(mech_types(ntlm_oid + "0400")),
         Minor::der_unexpected_tag},
        {"bad OID in mechTypes", Parser::init, framed(mech_types("06022b86")), Minor::der_bad_oid},
        {"negState 4", Parser::resp, resp(tlv("a0", "0a0104")), Minor::spnego_bad_neg_state},
        {"negState -1", Parser::resp, resp(tlv("a0", "0a01ff")), Minor::spnego_bad_neg_state},
        {"negState 256", Parser::resp, resp(tlv("a0", "0a020100")), Minor::spnego_bad_neg_state},
        {"negState not minimal", Parser::resp, resp(tlv("a0", "0a020001")), Minor::der_bad_integer},
        {"negState as INTEGER", Parser::resp, resp(tlv("a0", "020101")), Minor::der_unexpected_tag},
        {"negState twice", Parser::resp, resp(tlv("a0", "0a0101") + tlv("a0", "0a0101")), Minor::der_field_order},
        {"supportedMech before negState", Parser::resp, resp(tlv("a1", ntlm_oid) + tlv("a0", "0a0101")),
         Minor::der_field_order},
        {"mechListMIC before responseToken", Parser::resp, resp(tlv("a3", mic) + tlv("a2", mic)),
         Minor::der_field_order},
        {"unknown field [4] in NegTokenResp", Parser::resp, resp(tlv("a4", mic)), Minor::der_unexpected_tag},
        {"mechToken before mechTypes", Parser::init, framed(tlv("a2", mic) + mech_types(ntlm_oid)),
         Minor::der_field_order},
        {"mechTypes twice", Parser::init, framed(mech_types(ntlm_oid) + mech_types(ntlm_oid)), Minor::der_field_order},
        {"mechListMIC at [3] and at [4]", Parser::init, framed(mech_types(ntlm_oid) + tlv("a3", mic) + tlv("a4", mic)),
         Minor::der_field_order},
        {"negHints after mechListMIC [4]", Parser::init,
         framed(mech_types(ntlm_oid) + tlv("a4", mic) + tlv("a3", tlv("30", ""))), Minor::der_field_order},
        {"unknown field [5] in NegTokenInit", Parser::init, framed(mech_types(ntlm_oid) + tlv("a5", mic)),
         Minor::der_unexpected_tag},
        {"implicit (primitive) [2] mechToken", Parser::init, framed(mech_types(ntlm_oid) + tlv("82", "00112233")),
         Minor::der_unexpected_tag},
        {"constructed OCTET STRING mechToken", Parser::init, framed(mech_types(ntlm_oid) + tlv("a2", tlv("24", mic))),
         Minor::der_unexpected_tag},
        {"hintName as UTF8String", Parser::init,
         framed(mech_types(ntlm_oid) + tlv("a3", tlv("30", tlv("a0", tlv("0c", "6869"))))), Minor::der_unexpected_tag},
        {"hintAddress before hintName", Parser::init,
         framed(mech_types(ntlm_oid) + tlv("a3", tlv("30", tlv("a1", mic) + tlv("a0", tlv("1b", "6869"))))),
         Minor::der_field_order},
        {"reqFlags with nine unused bits", Parser::init, framed(mech_types(ntlm_oid) + tlv("a1", "03020900")),
         Minor::der_bad_bit_string},
        {"reqFlags padding not zero", Parser::init, framed(mech_types(ntlm_oid) + tlv("a1", "03020143")),
         Minor::der_bad_bit_string},
        {"high tag number among the fields", Parser::resp, resp("bf1f020400"), Minor::der_high_tag_number},
        {"trailing octet after NegTokenInit", Parser::init, init_ok + "00", Minor::der_trailing_data},
        {"trailing octet after NegTokenResp", Parser::resp, resp_ok + "00", Minor::der_trailing_data},
        {"data after the [0] choice inside the framing", Parser::init,
         tlv("60", spnego_oid + tlv("a0", tlv("30", mech_types(ntlm_oid))) + "0500"), Minor::der_trailing_data},
        {"data after the SEQUENCE inside [1]", Parser::resp, tlv("a1", tlv("30", "") + "0500"),
         Minor::der_trailing_data},
        {"two values in the negState field", Parser::resp, resp(tlv("a0", "0a01010a0101")), Minor::der_trailing_data},
        {"16 MiB NegTokenResp claimed", Parser::resp, "a18401000000" + resp_ok, Minor::der_length_over_limit},
        {"16 MiB NegTokenInit claimed", Parser::init, "608401000000" + init_ok.substr(4), Minor::der_length_over_limit},
        {"16 MiB mechToken claimed", Parser::init,
         tlv("60", spnego_oid + tlv("a0", tlv("30", mech_types(ntlm_oid) + "a2840100000004"))),
         Minor::der_length_over_limit},
    };
    for (const Row& row : rows) {
        INFO(row.what << ": " << row.hex);
        const Bytes token = from_hex(row.hex);
        try {
            parses(row.parser, token);
            FAIL("parsed");
        } catch (const DecodeError& e) {
            CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(minor_name(e.minor()) == minor_name(minor_value(row.expected)));
        }
    }
}

TEST_CASE("A token may be larger than 64 KiB only when the caller allows it", "[spnego]") {
    const Bytes big_token(70 * 1024, 0x4e);
    const Bytes token = NegTokenInit({oids::kerberos()}, big_token).serialize();
    try {
        (void)NegTokenInit(token);
        FAIL("parsed");
    } catch (const DecodeError& e) {
        CHECK(e.minor() == minor_value(Minor::der_length_over_limit));
    }
    const NegTokenInit parsed(token, 1024 * 1024);
    CHECK(parsed.mech_token() == big_token);

    const Bytes big_resp = NegTokenResp(NegState::accept_completed, std::nullopt, big_token).serialize();
    CHECK_THROWS_AS(NegTokenResp(big_resp), DecodeError);
    CHECK(NegTokenResp(big_resp, 1024 * 1024).response_token() == big_token);
}

TEST_CASE("Every prefix of every SPNEGO vector is refused", "[spnego]") {
    for (const Named& vec : all_vectors) {
        const Bytes token = v().hex(vec.name);
        REQUIRE(parses(vec.parser, token));
        for (size_t n = 0; n < token.size(); ++n) {
            INFO(vec.name << " cut to " << n << " octets");
            CHECK_THROWS_AS(parses(vec.parser, ByteView(token).first(n)), DecodeError);
        }
    }
}

TEST_CASE("Flipped bits in SPNEGO vectors parse or fail as DecodeError", "[spnego]") {
    for (const Named& vec : all_vectors) {
        const Bytes original = v().hex(vec.name);
        for (size_t pos = 0; pos < original.size(); ++pos) {
            for (const uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
                Bytes token = original;
                token[pos] = static_cast<uint8_t>(token[pos] ^ mask);
                try {
                    parses(vec.parser, token);
                } catch (const DecodeError&) {
                } catch (const std::exception& e) {
                    FAIL(vec.name << " octet " << pos << " ^ " << int{mask} << ": " << e.what());
                }
            }
        }
    }
}

TEST_CASE("classify names each kind of context token", "[spnego]") {
    struct Row {
        const char* what;
        std::string hex;
        TokenKind kind;
    };
    const std::string ap_req = to_hex(hex_of(NegTokenInit(v().hex("mit_krb5_init")).mech_token()));
    const std::string raw_ap_req = ap_req.substr(34);
    const std::vector<Row> rows = {
        {"empty", "", TokenKind::empty},
        {"NegTokenInit", to_hex(v().hex("mit_ntlm_1_init")), TokenKind::spnego_init},
        {"NegTokenInit2", to_hex(v().hex("windows_init2")), TokenKind::spnego_init},
        {"truncated NegTokenInit header", "608201020606 2b0601050502a081f7", TokenKind::spnego_init},
        {"NegTokenResp", to_hex(v().hex("mit_ntlm_4_completed")), TokenKind::spnego_resp},
        {"NTLM NEGOTIATE", to_hex(hex_of(NegTokenInit(v().hex("mit_ntlm_1_init")).mech_token())), TokenKind::ntlmssp},
        {"NTLMSSP signature alone", "4e544c4d53535000", TokenKind::ntlmssp},
        {"framed AP-REQ", ap_req, TokenKind::krb5_ap_req},
        {"framed AP-REP", to_hex(hex_of(NegTokenResp(v().hex("mit_krb5_completed")).response_token())),
         TokenKind::krb5_ap_rep},
        {"framed KRB-ERROR", to_hex(hex_of(NegTokenResp(v().hex("mit_krb5_reject")).response_token())),
         TokenKind::krb5_error},
        {"framed with the Microsoft Kerberos OID", tlv("60", "06092a864882f712010202" "0100" "6e00"),
         TokenKind::krb5_ap_req},
        {"framed Kerberos, TOK_ID 04 04", tlv("60", krb5_oid + "0404" "00"), TokenKind::krb5_other},
        {"framed Kerberos cut before TOK_ID", tlv("60", krb5_oid), TokenKind::unknown},
        {"raw AP-REQ (DCE style)", raw_ap_req, TokenKind::krb5_ap_req},
        {"raw AP-REP", "6f03020100", TokenKind::krb5_ap_rep},
        {"raw KRB-ERROR", "7e03020100", TokenKind::krb5_error},
        {"raw AP-REQ cut short", raw_ap_req.substr(0, 40), TokenKind::unknown},
        {"raw AP-REQ with trailing data", raw_ap_req + "00", TokenKind::unknown},
        {"framed with the NTLM OID", tlv("60", ntlm_oid + "00"), TokenKind::unknown},
        {"0x60 alone", "60", TokenKind::unknown},
        {"framing without an OID", "6003a00100", TokenKind::unknown},
        {"framing with a bad OID", "6004060280", TokenKind::unknown},
        {"one zero octet", "00", TokenKind::unknown},
        {"text", "474554202f", TokenKind::unknown},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        std::string hex = row.hex;
        std::erase(hex, ' ');
        const Bytes token = from_hex(hex);
        const TokenClass c = classify(token);
        CHECK(std::string(token_kind_name(c.kind)) == token_kind_name(row.kind));
    }
    const Bytes ntlm_framed = from_hex(tlv("60", ntlm_oid + "00"));
    CHECK(classify(ntlm_framed).framing_mech == oids::ntlm());
    CHECK_FALSE(classify(from_hex(raw_ap_req)).framing_mech.has_value());
    CHECK(classify(from_hex(raw_ap_req)).inner.size() == raw_ap_req.size() / 2);
    CHECK(std::string(token_kind_name(TokenKind::krb5_error)) == "KRB-ERROR");
    CHECK(std::string(token_kind_name(TokenKind::spnego_init)) == "NegTokenInit");
}
