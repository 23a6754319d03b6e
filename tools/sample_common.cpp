#include "sample_common.h"

#include "spnego/neg_token_init.h"
#include "spnego/neg_token_resp.h"
#include "spnego/token_kind.h"

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>

namespace gssneg::sample {

Name::~Name()
{
    OM_uint32 minor = 0;
    if (m_name != GSS_C_NO_NAME)
        gss_release_name(&minor, &m_name);
}

Cred::~Cred()
{
    OM_uint32 minor = 0;
    if (m_cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &m_cred);
}

Context::~Context()
{
    OM_uint32 minor = 0;
    if (m_ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &m_ctx, GSS_C_NO_BUFFER);
}

Buffer::~Buffer()
{
    OM_uint32 minor = 0;
    gss_release_buffer(&minor, &m_buf);
}

Bytes Buffer::bytes() const
{
    const auto* p = static_cast<const std::uint8_t*>(m_buf.value);
    return p == nullptr ? Bytes{} : Bytes(p, p + m_buf.length);
}

void OwnedOid::refresh()
{
    m_desc.length = static_cast<OM_uint32>(m_der.size());
    m_desc.elements = m_der.data();
}

namespace {

// DER body of a dotted OID (X.690 8.19).
std::optional<std::string> encode_oid(std::string_view dotted)
{
    std::vector<unsigned long> arcs;
    std::size_t pos = 0;
    while (pos <= dotted.size()) {
        const std::size_t dot = std::min(dotted.find('.', pos), dotted.size());
        unsigned long arc = 0;
        const auto* first = dotted.data() + pos;
        const auto* last = dotted.data() + dot;
        const auto [ptr, ec] = std::from_chars(first, last, arc);
        if (first == last || ec != std::errc{} || ptr != last)
            return std::nullopt;
        arcs.push_back(arc);
        pos = dot + 1;
    }
    if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
        return std::nullopt;
    std::string der;
    auto put = [&der](unsigned long value) {
        char tmp[16];
        int n = 0;
        do {
            tmp[n++] = static_cast<char>(value & 0x7f);
            value >>= 7;
        } while (value != 0);
        while (n > 1)
            der.push_back(static_cast<char>(tmp[--n] | 0x80));
        der.push_back(tmp[0]);
    };
    put(arcs[0] * 40 + arcs[1]);
    for (std::size_t i = 2; i < arcs.size(); ++i)
        put(arcs[i]);
    return der;
}

}  // namespace

std::optional<OwnedOid> parse_mech(std::string_view text)
{
    std::string_view dotted = text;
    if (text == "ntlm")
        dotted = "1.3.6.1.4.1.311.2.2.10";
    else if (text == "spnego")
        dotted = "1.3.6.1.5.5.2";
    else if (text == "krb5")
        dotted = "1.2.840.113554.1.2.2";
    auto der = encode_oid(dotted);
    if (!der)
        return std::nullopt;
    return OwnedOid(std::move(*der));
}

std::string oid_to_string(gss_const_OID oid)
{
    if (oid == GSS_C_NO_OID)
        return "(none)";
    const auto* p = static_cast<const std::uint8_t*>(oid->elements);
    std::string out;
    unsigned long value = 0;
    bool first = true;
    for (OM_uint32 i = 0; i < oid->length; ++i) {
        value = (value << 7) | (p[i] & 0x7fu);
        if (p[i] & 0x80u)
            continue;
        if (first) {
            const unsigned long top = value < 80 ? value / 40 : 2;
            out = std::to_string(top) + "." + std::to_string(value - top * 40);
            first = false;
        } else {
            out += "." + std::to_string(value);
        }
        value = 0;
    }
    return out;
}

std::string display_name(gss_name_t name)
{
    if (name == GSS_C_NO_NAME)
        return "(none)";
    OM_uint32 minor = 0;
    Buffer text;
    if (gss_display_name(&minor, name, text.out(), nullptr) != GSS_S_COMPLETE)
        return "(gss_display_name failed)";
    std::string s(static_cast<const char*>(text.get().value), text.get().length);
    // gss-ntlmssp counts a terminating NUL in the length.
    while (!s.empty() && s.back() == '\0')
        s.pop_back();
    return s;
}

Name import_name(std::string_view text, gss_OID type, OM_uint32* major, OM_uint32* minor)
{
    Name name;
    gss_buffer_desc buf{text.size(), const_cast<char*>(text.data())};
    *major = gss_import_name(minor, &buf, type, name.out());
    return name;
}

namespace {

struct FlagName {
    OM_uint32 bit;
    std::string_view word;
    std::string_view label;
};

constexpr FlagName flag_names[] = {
    {GSS_C_DELEG_FLAG, "deleg", "DELEG"},
    {GSS_C_MUTUAL_FLAG, "mutual", "MUTUAL"},
    {GSS_C_REPLAY_FLAG, "replay", "REPLAY"},
    {GSS_C_SEQUENCE_FLAG, "sequence", "SEQUENCE"},
    {GSS_C_CONF_FLAG, "conf", "CONF"},
    {GSS_C_INTEG_FLAG, "integ", "INTEG"},
    {GSS_C_ANON_FLAG, "anon", "ANON"},
    {GSS_C_PROT_READY_FLAG, "prot-ready", "PROT_READY"},
    {GSS_C_TRANS_FLAG, "trans", "TRANS"},
    {GSS_C_DELEG_POLICY_FLAG, "deleg-policy", "DELEG_POLICY"},
    {GSS_C_DCE_STYLE, "dce", "DCE_STYLE"},
    {GSS_C_IDENTIFY_FLAG, "identify", "IDENTIFY"},
    {GSS_C_EXTENDED_ERROR_FLAG, "extended-error", "EXTENDED_ERROR"},
    {GSS_C_CHANNEL_BOUND_FLAG, "channel-bound", "CHANNEL_BOUND"},
};

}  // namespace

std::optional<OM_uint32> parse_flags(std::string_view text)
{
    OM_uint32 flags = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const auto word = text.substr(pos, comma - pos);
        pos = comma + 1;
        if (word.empty() || word == "none")
            continue;
        bool known = false;
        for (const auto& f : flag_names) {
            if (f.word == word) {
                flags |= f.bit;
                known = true;
            }
        }
        if (!known)
            return std::nullopt;
    }
    return flags;
}

std::string flags_to_string(OM_uint32 flags)
{
    std::string out;
    OM_uint32 rest = flags;
    for (const auto& f : flag_names) {
        if (flags & f.bit) {
            out += out.empty() ? "" : " ";
            out += f.label;
            rest &= ~f.bit;
        }
    }
    if (rest != 0) {
        char tmp[16];
        std::snprintf(tmp, sizeof tmp, "0x%x", rest);
        out += out.empty() ? "" : " ";
        out += tmp;
    }
    return out.empty() ? "(none)" : out;
}

namespace {

std::string display_status_all(OM_uint32 code, int type, gss_OID mech)
{
    std::string out;
    OM_uint32 message_context = 0;
    do {
        OM_uint32 minor = 0;
        Buffer text;
        const OM_uint32 major = gss_display_status(&minor, code, type, mech, &message_context, text.out());
        if (major != GSS_S_COMPLETE) {
            out += out.empty() ? "" : "; ";
            out += "(gss_display_status failed)";
            break;
        }
        out += out.empty() ? "" : "; ";
        out.append(static_cast<const char*>(text.get().value), text.get().length);
    } while (message_context != 0);
    return out;
}

}  // namespace

std::string status_text(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    char head[64];
    std::snprintf(head, sizeof head, "  major 0x%08x: ", major);
    std::string out = head + display_status_all(major, GSS_C_GSS_CODE, GSS_C_NO_OID) + "\n";
    std::snprintf(head, sizeof head, "  minor %u: ", minor);
    out += head + display_status_all(minor, GSS_C_MECH_CODE, mech) + "\n";
    return out;
}

std::string status_one_line(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    return display_status_all(major, GSS_C_GSS_CODE, GSS_C_NO_OID) + " / " +
           display_status_all(minor, GSS_C_MECH_CODE, mech);
}

namespace {

std::string ntlm_kind(const std::uint8_t* p, std::size_t length)
{
    static constexpr std::uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    if (length < 9 || std::memcmp(p, signature, sizeof signature) != 0)
        return {};
    // MS-NLMP 2.2.1: MessageType is a 32-bit field after the signature;
    // its first (little-endian) byte names the message.
    switch (p[8]) {
    case 1: return "NEGOTIATE";
    case 2: return "CHALLENGE";
    case 3: return "AUTHENTICATE";
    default: return "NTLMSSP type " + std::to_string(p[8]);
    }
}

// What a token carried inside SPNEGO is: an NTLM message or the Kerberos
// message (AP-REQ, AP-REP, KRB-ERROR).
std::string inner_kind(const gssneg::Bytes& token)
{
    const std::string ntlm = ntlm_kind(token.data(), token.size());
    if (!ntlm.empty())
        return ntlm;
    return spnego::token_kind_name(spnego::classify(token).kind);
}

std::string mech_short_name(const spnego::Oid& oid)
{
    const char* name = spnego::oid_name(oid);
    return name != nullptr ? name : oid.to_string();
}

// "NegTokenInit [Kerberos 5 (Microsoft), Kerberos 5, NTLMSSP] with AP-REQ",
// "NegTokenResp accept-incomplete NTLMSSP with CHALLENGE, mechListMIC".
std::string describe_spnego(gssneg::ByteView token)
{
    std::string out;
    std::optional<gssneg::Bytes> inner;
    bool mic = false;
    if (spnego::classify(token).kind == spnego::TokenKind::spnego_init) {
        const spnego::NegTokenInit init(token);
        out = init.form() == spnego::NegTokenInit::Form::ms_spng_init2 ? "NegTokenInit2 [" : "NegTokenInit [";
        for (std::size_t i = 0; i < init.mech_types().size(); ++i)
            out += (i != 0 ? ", " : "") + mech_short_name(init.mech_types()[i]);
        out += "]";
        inner = init.mech_token();
        mic = init.mech_list_mic().has_value();
    } else {
        const spnego::NegTokenResp resp(token);
        out = "NegTokenResp";
        if (resp.neg_state())
            out += std::string(" ") + spnego::neg_state_name(*resp.neg_state());
        if (resp.supported_mech())
            out += " " + mech_short_name(*resp.supported_mech());
        inner = resp.response_token();
        mic = resp.mech_list_mic().has_value();
    }
    if (inner)
        out += " with " + inner_kind(*inner);
    if (mic)
        out += ", mechListMIC";
    return out;
}

}  // namespace

std::string describe_token(const void* data, std::size_t length)
{
    const auto* p = static_cast<const std::uint8_t*>(data);
    const gssneg::ByteView token(p, length);
    std::string kind = ntlm_kind(p, length);
    if (kind.empty()) {
        try {
            const spnego::TokenKind k = spnego::classify(token).kind;
            if (k == spnego::TokenKind::spnego_init || k == spnego::TokenKind::spnego_resp)
                kind = describe_spnego(token);
            else if (k != spnego::TokenKind::unknown && k != spnego::TokenKind::empty)
                kind = spnego::token_kind_name(k);
        } catch (const std::exception&) {
            // Not a well-formed token of a known kind: only its size.
        }
    }
    if (kind.empty())
        kind = "token";
    return kind + " " + std::to_string(length) + " bytes";
}

bool dump_token(const std::string& dir, int leg, const void* data, std::size_t length)
{
    const std::string path = dir + "/leg-" + std::to_string(leg) + ".bin";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    bool ok = f != nullptr;
    if (ok && length != 0)
        ok = std::fwrite(data, 1, length, f) == length;
    if (f != nullptr && std::fclose(f) != 0)
        ok = false;
    if (!ok)
        std::printf("cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return ok;
}

ChannelBindings::ChannelBindings(std::string application_data) : m_data(std::move(application_data))
{
    m_cb.initiator_addrtype = GSS_C_AF_UNSPEC;
    m_cb.acceptor_addrtype = GSS_C_AF_UNSPEC;
    m_cb.application_data.length = m_data.size();
    m_cb.application_data.value = m_data.data();
}

std::string hex(const void* data, std::size_t length)
{
    static constexpr char digits[] = "0123456789abcdef";
    const auto* p = static_cast<const std::uint8_t*>(data);
    std::string out;
    out.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        out.push_back(digits[p[i] >> 4]);
        out.push_back(digits[p[i] & 15]);
    }
    return out;
}

std::optional<std::pair<std::size_t, std::string>> session_key_fingerprint(gss_ctx_id_t ctx)
{
    OM_uint32 minor = 0;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    const OM_uint32 major = gss_inquire_sec_context_by_oid(&minor, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (major != GSS_S_COMPLETE || set == GSS_C_NO_BUFFER_SET || set->count == 0) {
        if (set != GSS_C_NO_BUFFER_SET)
            gss_release_buffer_set(&minor, &set);
        return std::nullopt;
    }
    const gss_buffer_desc& key = set->elements[0];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    const bool hashed = EVP_Digest(key.value, key.length, digest, &digest_len, EVP_sha256(), nullptr) == 1;
    const std::size_t key_len = key.length;
    gss_release_buffer_set(&minor, &set);
    if (!hashed)
        return std::nullopt;
    return std::make_pair(key_len, hex(digest, 4));
}

namespace {

bool printable(const gss_buffer_desc& b)
{
    const auto* p = static_cast<const unsigned char*>(b.value);
    return std::all_of(p, p + b.length, [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

// RFC 6680 attributes of a name, one line each: text values as they are,
// binary ones (the PAC's buffers) by their size.
void print_name_attributes(gss_name_t name)
{
    OM_uint32 minor = 0;
    gss_buffer_set_t attrs = GSS_C_NO_BUFFER_SET;
    if (GSS_ERROR(gss_inquire_name(&minor, name, nullptr, nullptr, &attrs)) || attrs == GSS_C_NO_BUFFER_SET)
        return;
    for (std::size_t i = 0; i < attrs->count; ++i) {
        gss_buffer_desc* attr = &attrs->elements[i];
        std::string line;
        int more = -1;
        while (more != 0) {
            int authenticated = 0;
            int complete = 0;
            gss_buffer_desc value = GSS_C_EMPTY_BUFFER;
            if (GSS_ERROR(gss_get_name_attribute(&minor, name, attr, &authenticated, &complete, &value, nullptr,
                                                 &more)))
                break;
            if (!line.empty())
                line += ", ";
            if (printable(value))
                line.append(static_cast<const char*>(value.value), value.length);
            else
                line += "(" + std::to_string(value.length) + " bytes)";
            gss_release_buffer(&minor, &value);
        }
        std::printf("name-attribute: %.*s = %s\n", static_cast<int>(attr->length),
                    static_cast<const char*>(attr->value), line.c_str());
    }
    gss_release_buffer_set(&minor, &attrs);
}

bool print_context_summary(gss_ctx_id_t ctx, std::string_view role, bool ask_target)
{
    OM_uint32 minor = 0;
    Name source;
    Name target;
    OM_uint32 lifetime = 0;
    gss_OID mech = GSS_C_NO_OID;
    OM_uint32 flags = 0;
    int locally_initiated = 0;
    int open = 0;
    const OM_uint32 major = gss_inquire_context(&minor, ctx, source.out(), ask_target ? target.out() : nullptr, &lifetime, &mech, &flags,
                                                &locally_initiated, &open);
    if (GSS_ERROR(major)) {
        std::printf("%.*s: gss_inquire_context failed\n%s", static_cast<int>(role.size()), role.data(),
                    status_text(major, minor, mech).c_str());
        return false;
    }
    std::printf("mech: %s\n", oid_to_string(mech).c_str());
    std::printf("source-name: %s\n", display_name(source.get()).c_str());
    print_name_attributes(source.get());
    if (ask_target)
        std::printf("target-name: %s\n", display_name(target.get()).c_str());
    else
        std::printf("target-name: (not asked: default acceptor credential)\n");
    std::printf("flags: %s\n", flags_to_string(flags).c_str());
    if (lifetime == GSS_C_INDEFINITE)
        std::printf("lifetime: indefinite\n");
    else
        std::printf("lifetime: %u s\n", lifetime);
    if (const auto fp = session_key_fingerprint(ctx)) {
        std::printf("session-key-length: %zu\n", fp->first);
        std::printf("session-key-fingerprint: %s\n", fp->second.c_str());
    } else {
        std::printf("session-key-fingerprint: (not available)\n");
    }
    return true;
}

bool send_frame(int fd, const void* data, std::size_t length)
{
    if (length > max_frame)
        return false;
    const std::uint32_t be = htonl(static_cast<std::uint32_t>(length));
    std::string frame(reinterpret_cast<const char*>(&be), sizeof be);
    if (length != 0)
        frame.append(static_cast<const char*>(data), length);
    std::size_t sent = 0;
    while (sent < frame.size()) {
        const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

bool send_frame(int fd, std::string_view text)
{
    return send_frame(fd, text.data(), text.size());
}

namespace {

bool read_exact(int fd, void* out, std::size_t length)
{
    auto* p = static_cast<char*>(out);
    std::size_t got = 0;
    while (got < length) {
        const ssize_t n = ::recv(fd, p + got, length - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

std::optional<Bytes> recv_frame(int fd)
{
    std::uint32_t be = 0;
    if (!read_exact(fd, &be, sizeof be))
        return std::nullopt;
    const std::size_t length = ntohl(be);
    if (length > max_frame)
        return std::nullopt;
    Bytes frame(length);
    if (length != 0 && !read_exact(fd, frame.data(), length))
        return std::nullopt;
    return frame;
}

std::string to_string(const Bytes& bytes)
{
    return std::string(bytes.begin(), bytes.end());
}

// ---- post-handshake messages ----------------------------------------------
//
// client                                server
//   "WRAP", wrap(conf, payload)   ->
//                                 <-    "OK", wrap(conf, prefix + payload) | "FAIL <why>"
//   "MIC", payload, get_mic       ->
//                                 <-    "OK", get_mic(payload) | "FAIL <why>"
//   "SIGNED <c>", wrap(no conf, payload2) ->
//                                 <-    "OK <c>", wrap(no conf, prefix + payload2) | "FAIL <why>"
// The client sends "SKIP <why>" instead of a command when it cannot go on.
//
// "SIGNED" carries a wrap token requested with conf_req_flag 0; <c> is the
// conf_state the sender's gss_wrap reported, and the receiver's gss_unwrap
// must report the same. An NTLM wrap token does not say whether it is sealed
// (MS-NLMP 3.4.3 defines the two forms by the negotiated flags only), so
// with confidentiality negotiated a module may seal anyway (conf_state 1);
// without it the token must be signed only (conf_state 0). Whichever form,
// the peer must be able to unwrap it.

namespace {

void print_unavailable(OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    std::printf("message protection not available: %s\n", status_one_line(major, minor, mech).c_str());
}

bool is_unavailable(OM_uint32 major)
{
    return GSS_ROUTINE_ERROR(major) == GSS_S_UNAVAILABLE;
}

const char* protection_label(int conf_state)
{
    return conf_state ? "sealed although integrity only was asked" : "integrity only";
}

MessagesResult run_client_signed_wrap(int fd, gss_ctx_id_t ctx)
{
    OM_uint32 minor = 0;
    gss_buffer_desc payload{signed_wrap_payload.size(), const_cast<char*>(signed_wrap_payload.data())};
    int conf_state = 0;
    Buffer wrapped;
    OM_uint32 major = gss_wrap(&minor, ctx, 0, GSS_C_QOP_DEFAULT, &payload, &conf_state, wrapped.out());
    if (GSS_ERROR(major)) {
        std::printf("gss_wrap(conf_req_flag 0) failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "SKIP gss_wrap(conf_req_flag 0) failed");
        return MessagesResult::failed;
    }
    const int sent_conf = conf_state ? 1 : 0;
    std::printf("-> signed wrap (%s) %zu bytes: \"%.*s\"\n", protection_label(sent_conf), wrapped.get().length,
                static_cast<int>(signed_wrap_payload.size()), signed_wrap_payload.data());
    if (!send_frame(fd, "SIGNED " + std::to_string(sent_conf)) ||
        !send_frame(fd, wrapped.get().value, wrapped.get().length))
        return MessagesResult::failed;
    const auto status = recv_frame(fd);
    const std::string status_text_line = status ? to_string(*status) : "(connection closed)";
    if (status_text_line != "OK 0" && status_text_line != "OK 1") {
        std::printf("server: %s\n", status_text_line.c_str());
        return MessagesResult::failed;
    }
    const int reply_conf = status_text_line.back() == '1' ? 1 : 0;
    auto reply = recv_frame(fd);
    if (!reply)
        return MessagesResult::failed;
    gss_buffer_desc reply_buf{reply->size(), reply->data()};
    Buffer unwrapped;
    conf_state = 0;
    major = gss_unwrap(&minor, ctx, &reply_buf, unwrapped.out(), &conf_state, nullptr);
    if (GSS_ERROR(major)) {
        std::printf("gss_unwrap of the server's signed wrap reply failed\n%s",
                    status_text(major, minor, GSS_C_NO_OID).c_str());
        return MessagesResult::failed;
    }
    const std::string got(static_cast<const char*>(unwrapped.get().value), unwrapped.get().length);
    const std::string expected = std::string(server_reply_prefix) + std::string(signed_wrap_payload);
    std::printf("<- signed wrap reply (%s): \"%s\"\n", protection_label(conf_state), got.c_str());
    if ((conf_state ? 1 : 0) != reply_conf) {
        std::printf("conf_state %d after unwrap, but the server's wrap reported %d\n", conf_state ? 1 : 0, reply_conf);
        return MessagesResult::failed;
    }
    if (got != expected) {
        std::printf("unexpected signed wrap reply from the server\n");
        return MessagesResult::failed;
    }
    return MessagesResult::ok;
}

// command: the "SIGNED <c>" frame already read.
MessagesResult serve_signed_wrap(int fd, gss_ctx_id_t ctx, const std::string& command)
{
    OM_uint32 minor = 0;
    if (command != "SIGNED 0" && command != "SIGNED 1")
        return MessagesResult::failed;
    const int sent_conf = command.back() == '1' ? 1 : 0;
    const auto token = recv_frame(fd);
    if (!token)
        return MessagesResult::failed;
    gss_buffer_desc in{token->size(), const_cast<std::uint8_t*>(token->data())};
    Buffer plain;
    int conf_state = 0;
    OM_uint32 major = gss_unwrap(&minor, ctx, &in, plain.out(), &conf_state, nullptr);
    if (GSS_ERROR(major)) {
        std::printf("gss_unwrap of the signed wrap failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "FAIL gss_unwrap: " + status_one_line(major, minor, GSS_C_NO_OID));
        return MessagesResult::failed;
    }
    const std::string got(static_cast<const char*>(plain.get().value), plain.get().length);
    std::printf("<- signed wrap (%s): \"%s\"\n", protection_label(conf_state), got.c_str());
    if ((conf_state ? 1 : 0) != sent_conf) {
        std::printf("conf_state %d after unwrap, but the client's wrap reported %d\n", conf_state ? 1 : 0, sent_conf);
        send_frame(fd, "FAIL conf_state differs from the client's");
        return MessagesResult::failed;
    }
    const std::string reply = std::string(server_reply_prefix) + got;
    gss_buffer_desc reply_buf{reply.size(), const_cast<char*>(reply.data())};
    Buffer wrapped;
    conf_state = 0;
    major = gss_wrap(&minor, ctx, 0, GSS_C_QOP_DEFAULT, &reply_buf, &conf_state, wrapped.out());
    if (GSS_ERROR(major)) {
        std::printf("gss_wrap(conf_req_flag 0) failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "FAIL gss_wrap(conf_req_flag 0): " + status_one_line(major, minor, GSS_C_NO_OID));
        return MessagesResult::failed;
    }
    const int reply_conf = conf_state ? 1 : 0;
    std::printf("-> signed wrap reply (%s) %zu bytes: \"%s\"\n", protection_label(reply_conf), wrapped.get().length,
                reply.c_str());
    if (!send_frame(fd, "OK " + std::to_string(reply_conf)) ||
        !send_frame(fd, wrapped.get().value, wrapped.get().length))
        return MessagesResult::failed;
    return MessagesResult::ok;
}

}  // namespace

MessagesResult run_client_messages(int fd, gss_ctx_id_t ctx)
{
    OM_uint32 minor = 0;
    gss_buffer_desc payload{client_payload.size(), const_cast<char*>(client_payload.data())};
    int conf_state = 0;
    Buffer wrapped;
    OM_uint32 major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &payload, &conf_state, wrapped.out());
    if (GSS_ERROR(major)) {
        const bool unavailable = is_unavailable(major);
        if (unavailable)
            print_unavailable(major, minor, GSS_C_NO_OID);
        else
            std::printf("gss_wrap failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "SKIP gss_wrap failed");
        return unavailable ? MessagesResult::unavailable : MessagesResult::failed;
    }
    std::printf("-> sealed message (%s) %zu bytes: \"%.*s\"\n", conf_state ? "confidential" : "integrity only",
                wrapped.get().length, static_cast<int>(client_payload.size()), client_payload.data());
    if (!send_frame(fd, "WRAP") || !send_frame(fd, wrapped.get().value, wrapped.get().length))
        return MessagesResult::failed;

    auto status = recv_frame(fd);
    if (!status) {
        std::printf("server closed the connection during the message exchange\n");
        return MessagesResult::failed;
    }
    if (to_string(*status) != "OK") {
        std::printf("server: %s\n", to_string(*status).c_str());
        return to_string(*status).find("unavailable") != std::string::npos ? MessagesResult::unavailable
                                                                              : MessagesResult::failed;
    }
    auto reply = recv_frame(fd);
    if (!reply)
        return MessagesResult::failed;
    gss_buffer_desc reply_buf{reply->size(), reply->data()};
    Buffer unwrapped;
    major = gss_unwrap(&minor, ctx, &reply_buf, unwrapped.out(), &conf_state, nullptr);
    if (GSS_ERROR(major)) {
        std::printf("gss_unwrap of the server's reply failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        return MessagesResult::failed;
    }
    const std::string got(static_cast<const char*>(unwrapped.get().value), unwrapped.get().length);
    const std::string expected = std::string(server_reply_prefix) + std::string(client_payload);
    std::printf("<- sealed reply (%s): \"%s\"\n", conf_state ? "confidential" : "integrity only", got.c_str());
    if (got != expected) {
        std::printf("unexpected reply from the server\n");
        return MessagesResult::failed;
    }

    gss_buffer_desc mic_msg{mic_payload.size(), const_cast<char*>(mic_payload.data())};
    Buffer mic;
    major = gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &mic_msg, mic.out());
    if (GSS_ERROR(major)) {
        std::printf("gss_get_mic failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "SKIP gss_get_mic failed");
        return MessagesResult::failed;
    }
    std::printf("-> signed message, MIC %zu bytes: \"%.*s\"\n", mic.get().length,
                static_cast<int>(mic_payload.size()), mic_payload.data());
    if (!send_frame(fd, "MIC") || !send_frame(fd, mic_payload) ||
        !send_frame(fd, mic.get().value, mic.get().length))
        return MessagesResult::failed;
    status = recv_frame(fd);
    if (!status || to_string(*status) != "OK") {
        std::printf("server: %s\n", status ? to_string(*status).c_str() : "(connection closed)");
        return MessagesResult::failed;
    }
    auto server_mic = recv_frame(fd);
    if (!server_mic)
        return MessagesResult::failed;
    gss_buffer_desc server_mic_buf{server_mic->size(), server_mic->data()};
    major = gss_verify_mic(&minor, ctx, &mic_msg, &server_mic_buf, nullptr);
    if (GSS_ERROR(major)) {
        std::printf("gss_verify_mic of the server's MIC failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        return MessagesResult::failed;
    }
    std::printf("<- server's MIC verified\n");
    if (const MessagesResult signed_result = run_client_signed_wrap(fd, ctx); signed_result != MessagesResult::ok)
        return signed_result;
    std::printf("message protection: ok\n");
    return MessagesResult::ok;
}

MessagesResult serve_messages(int fd, gss_ctx_id_t ctx)
{
    OM_uint32 minor = 0;
    auto command = recv_frame(fd);
    if (!command)
        return MessagesResult::failed;
    if (to_string(*command).rfind("SKIP", 0) == 0) {
        std::printf("client skipped the message exchange: %s\n", to_string(*command).c_str());
        return MessagesResult::unavailable;
    }
    if (to_string(*command) != "WRAP")
        return MessagesResult::failed;
    auto token = recv_frame(fd);
    if (!token)
        return MessagesResult::failed;
    gss_buffer_desc in{token->size(), token->data()};
    Buffer plain;
    int conf_state = 0;
    OM_uint32 major = gss_unwrap(&minor, ctx, &in, plain.out(), &conf_state, nullptr);
    if (GSS_ERROR(major)) {
        const bool unavailable = is_unavailable(major);
        if (unavailable)
            print_unavailable(major, minor, GSS_C_NO_OID);
        else
            std::printf("gss_unwrap failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, std::string(unavailable ? "FAIL unavailable: " : "FAIL gss_unwrap: ") +
                           status_one_line(major, minor, GSS_C_NO_OID));
        return unavailable ? MessagesResult::unavailable : MessagesResult::failed;
    }
    const std::string got(static_cast<const char*>(plain.get().value), plain.get().length);
    std::printf("<- sealed message (%s): \"%s\"\n", conf_state ? "confidential" : "integrity only", got.c_str());
    const std::string reply = std::string(server_reply_prefix) + got;
    gss_buffer_desc reply_buf{reply.size(), const_cast<char*>(reply.data())};
    Buffer wrapped;
    major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &reply_buf, &conf_state, wrapped.out());
    if (GSS_ERROR(major)) {
        std::printf("gss_wrap failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "FAIL gss_wrap: " + status_one_line(major, minor, GSS_C_NO_OID));
        return MessagesResult::failed;
    }
    std::printf("-> sealed reply %zu bytes: \"%s\"\n", wrapped.get().length, reply.c_str());
    if (!send_frame(fd, "OK") || !send_frame(fd, wrapped.get().value, wrapped.get().length))
        return MessagesResult::failed;

    command = recv_frame(fd);
    if (!command || to_string(*command) != "MIC")
        return MessagesResult::failed;
    auto message = recv_frame(fd);
    auto mic = message ? recv_frame(fd) : std::nullopt;
    if (!mic)
        return MessagesResult::failed;
    gss_buffer_desc msg_buf{message->size(), message->data()};
    gss_buffer_desc mic_buf{mic->size(), mic->data()};
    major = gss_verify_mic(&minor, ctx, &msg_buf, &mic_buf, nullptr);
    if (GSS_ERROR(major)) {
        std::printf("gss_verify_mic failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "FAIL gss_verify_mic: " + status_one_line(major, minor, GSS_C_NO_OID));
        return MessagesResult::failed;
    }
    std::printf("<- signed message verified: \"%s\"\n", to_string(*message).c_str());
    Buffer own_mic;
    major = gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &msg_buf, own_mic.out());
    if (GSS_ERROR(major)) {
        std::printf("gss_get_mic failed\n%s", status_text(major, minor, GSS_C_NO_OID).c_str());
        send_frame(fd, "FAIL gss_get_mic: " + status_one_line(major, minor, GSS_C_NO_OID));
        return MessagesResult::failed;
    }
    std::printf("-> MIC %zu bytes\n", own_mic.get().length);
    if (!send_frame(fd, "OK") || !send_frame(fd, own_mic.get().value, own_mic.get().length))
        return MessagesResult::failed;

    command = recv_frame(fd);
    if (command && to_string(*command).rfind("SKIP", 0) == 0) {
        std::printf("client gave up on the signed wrap: %s\n", to_string(*command).c_str());
        return MessagesResult::failed;
    }
    if (!command)
        return MessagesResult::failed;
    if (const MessagesResult signed_result = serve_signed_wrap(fd, ctx, to_string(*command));
        signed_result != MessagesResult::ok)
        return signed_result;
    std::printf("message protection: ok\n");
    return MessagesResult::ok;
}

}  // namespace gssneg::sample
