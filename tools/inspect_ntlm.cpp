#include "inspect_ntlm.h"

#include "ntlm/authenticate_message.h"
#include "ntlm/av_pairs.h"
#include "ntlm/challenge_message.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/payload.h"
#include "util/errors.h"
#include "util/utf16.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace gssneg::inspect {

using namespace gssneg::ntlm;

namespace {

constexpr size_t ntlmv1_response_size = 24;
constexpr size_t nt_proof_size = 16;

std::string hex32(uint32_t v) {
    char buf[11];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

void add_flags(Value& out, uint32_t flags) {
    out.add("flags", Value::token(hex32(flags)));
    out.add("flag_names", Value::token(flags_to_string(flags)));
}

void add_version(Value& out, const std::optional<Version>& version) {
    out.add("version", version ? Value::token(version->to_string()) : Value::token("absent"));
}

std::string av_flags_to_string(uint32_t flags) {
    std::string names;
    auto name = [&](uint32_t bit, const char* text) {
        if ((flags & bit) == 0) return;
        if (!names.empty()) names += '|';
        names += text;
        flags &= ~bit;
    };
    name(av_flag::account_constrained, "ACCOUNT_CONSTRAINED");
    name(av_flag::mic_present, "MIC_PRESENT");
    name(av_flag::spn_untrusted, "SPN_UNTRUSTED");
    if (flags != 0) {
        if (!names.empty()) names += '|';
        names += hex32(flags);
    }
    return names;
}

Value av_value(const AvPairs::Entry& entry) {
    switch (static_cast<AvId>(entry.id)) {
    case AvId::nb_computer_name:
    case AvId::nb_domain_name:
    case AvId::dns_computer_name:
    case AvId::dns_domain_name:
    case AvId::dns_tree_name:
    case AvId::target_name:
        if (entry.value.size() % 2 == 0) {
            try {
                return Value::text(utf16le_to_utf8(entry.value));
            } catch (const DecodeError&) {
            }
        }
        return Value::token("invalid UTF-16: " + to_hex(entry.value));
    case AvId::flags:
        if (entry.value.size() == 4) {
            ByteReader r(entry.value);
            const uint32_t flags = r.u32le();
            return Value::token(hex32(flags) + " " + av_flags_to_string(flags));
        }
        break;
    case AvId::timestamp:
        if (entry.value.size() == 8) {
            ByteReader r(entry.value);
            return Value::token(filetime_to_iso8601(r.u64le()));
        }
        break;
    case AvId::channel_bindings:
    case AvId::single_host:
    case AvId::eol:
        break;
    }
    return Value::token(to_hex(entry.value));
}

Value av_pairs_value(const AvPairs& pairs) {
    Value out = Value::object();
    for (const AvPairs::Entry& entry : pairs.entries()) {
        std::string key = av_id_name(entry.id);
        if (key == "unknown") key = "AvId " + std::to_string(entry.id);
        out.add(key, av_value(entry));
    }
    return out;
}

void decode_negotiate(ByteView token, Value& out) {
    const NegotiateMessage msg(token);
    add_flags(out, msg.flags());
    if ((msg.flags() & flag::oem_domain_supplied) != 0) out.add("domain", Value::text(msg.domain()));
    if ((msg.flags() & flag::oem_workstation_supplied) != 0) out.add("workstation", Value::text(msg.workstation()));
    add_version(out, msg.version());
}

void decode_challenge(ByteView token, Value& out) {
    const ChallengeMessage msg(token);
    add_flags(out, msg.flags());
    out.add("target_name", Value::text(msg.target_name()));
    out.add("server_challenge", Value::token(to_hex(msg.server_challenge())));
    add_version(out, msg.version());
    out.add("target_info_length", Value::number(msg.target_info_bytes().size()));
    out.add("target_info", av_pairs_value(msg.target_info()));
}

// MS-NLMP 2.2.2.7 NTLMv2_CLIENT_CHALLENGE: RespType, HiRespType,
// Reserved1 (2), Reserved2 (4), TimeStamp, ChallengeFromClient, Reserved3
// (4), AvPairs.
void add_ntlmv2_response(Value& out, ByteView nt_response) {
    ByteReader r(nt_response);
    out.add("nt_proof_str", Value::token(to_hex(r.take(nt_proof_size))));
    Value& blob = out.add("client_blob", Value::object());
    blob.add("length", Value::number(r.remaining()));
    try {
        blob.add("resp_type", Value::number(r.u8()));
        blob.add("hi_resp_type", Value::number(r.u8()));
        r.skip(2 + 4);
        const uint64_t timestamp = r.u64le();
        blob.add("timestamp", Value::token(filetime_to_iso8601(timestamp)));
        blob.add("client_challenge", Value::token(to_hex(r.take(8))));
        r.skip(4);
        blob.add("av_pairs", av_pairs_value(AvPairs(r.rest())));
    } catch (const GssError& e) {
        blob.add("error", Value::token(minor_text(e.minor()) != nullptr ? minor_text(e.minor()) : e.what()));
    }
}

std::string lm_kind(const AuthenticateFields& f) {
    const Bytes& lm = f.lm_response;
    if (lm.empty()) return "empty";
    if (lm.size() == 1 && lm[0] == 0) return "anonymous (one zero byte)";
    if (lm.size() != ntlmv1_response_size) return "invalid length";
    if (std::all_of(lm.begin(), lm.end(), [](uint8_t b) { return b == 0; })) return "zeros (no LMv2)";
    if (f.nt_response.size() > ntlmv1_response_size) return "LMv2";
    if ((f.flags & flag::extended_session_security) != 0) return "client challenge (extended session security)";
    if (lm == f.nt_response) return "copy of the NT response";
    return "LMv1";
}

std::string nt_kind(const AuthenticateFields& f) {
    const size_t n = f.nt_response.size();
    if (n == 0) return "empty (anonymous)";
    if (n == ntlmv1_response_size)
        return (f.flags & flag::extended_session_security) != 0 ? "NTLMv1 with extended session security" : "NTLMv1";
    if (n > ntlmv1_response_size) return "NTLMv2";
    return "invalid length";
}

void decode_authenticate(ByteView token, Value& out) {
    const AuthenticateMessage msg(token);
    const AuthenticateFields& f = msg.fields();
    add_flags(out, f.flags);
    out.add("domain", Value::text(f.domain));
    out.add("user", Value::text(f.user));
    out.add("workstation", Value::text(f.workstation));
    add_version(out, f.version);

    Value& lm = out.add("lm_response", Value::object());
    lm.add("length", Value::number(f.lm_response.size()));
    lm.add("kind", Value::token(lm_kind(f)));
    if (!f.lm_response.empty()) lm.add("hex", Value::token(to_hex(f.lm_response)));

    Value& nt = out.add("nt_response", Value::object());
    nt.add("length", Value::number(f.nt_response.size()));
    const std::string kind = nt_kind(f);
    nt.add("kind", Value::token(kind));
    if (kind == "NTLMv2") {
        add_ntlmv2_response(nt, f.nt_response);
    } else if (!f.nt_response.empty()) {
        nt.add("hex", Value::token(to_hex(f.nt_response)));
    }

    out.add("mic_present", Value::boolean(f.mic.has_value()));
    if (f.mic) out.add("mic", Value::token(to_hex(*f.mic)));
    out.add("session_key_present", Value::boolean(!f.encrypted_random_session_key.empty()));
    if (!f.encrypted_random_session_key.empty())
        out.add("encrypted_random_session_key", Value::token(to_hex(f.encrypted_random_session_key)));
}

}  // namespace

bool looks_like_ntlm(ByteView token) noexcept {
    return token.size() >= ntlmssp_signature.size() &&
           std::equal(ntlmssp_signature.begin(), ntlmssp_signature.end(), token.begin());
}

Value decode_ntlm(ByteView token) {
    const uint32_t type = peek_message_type(token);
    Value out = Value::object();
    out.add("token", Value::token("NTLMSSP"));
    out.add("size", Value::number(token.size()));
    switch (type) {
    case message_type::negotiate:
        out.add("message", Value::token("NEGOTIATE (1)"));
        decode_negotiate(token, out);
        break;
    case message_type::challenge:
        out.add("message", Value::token("CHALLENGE (2)"));
        decode_challenge(token, out);
        break;
    case message_type::authenticate:
        out.add("message", Value::token("AUTHENTICATE (3)"));
        decode_authenticate(token, out);
        break;
    default: throw DecodeError(Minor::wrong_message_type, "unknown NTLM message type " + std::to_string(type));
    }
    return out;
}

std::string filetime_to_iso8601(uint64_t filetime) {
    using namespace std::chrono;
    constexpr uint64_t ticks_per_second = 10'000'000;
    constexpr int64_t seconds_1601_to_1970 = 11'644'473'600;
    constexpr uint64_t last_second_of_9999 = 265'046'774'399;
    const uint64_t whole = filetime / ticks_per_second;
    const uint64_t fraction = filetime % ticks_per_second;
    char buf[64];
    if (whole > last_second_of_9999) {
        std::snprintf(buf, sizeof buf, "FILETIME 0x%016llx (after 9999)", static_cast<unsigned long long>(filetime));
        return buf;
    }

    const sys_seconds t{seconds{static_cast<int64_t>(whole) - seconds_1601_to_1970}};
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{t - day};
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    std::string out = buf;
    if (fraction != 0) {
        std::snprintf(buf, sizeof buf, ".%07u", static_cast<unsigned>(fraction));
        out += buf;
    }
    return out + "Z";
}

}  // namespace gssneg::inspect
