#include "ntlm/context_export.h"

#include "util/errors.h"

#include <array>
#include <string>
#include <string_view>

namespace gssneg::ntlm {

namespace {

constexpr std::array<uint8_t, 4> magic = {'G', 'N', 'X', 'C'};
constexpr std::array<uint8_t, 4> cred_magic = {'G', 'N', 'C', 'R'};
// 1.3.6.1.4.1.311.2.2.10
constexpr std::array<uint8_t, 10> ntlm_oid = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
constexpr uint8_t role_initiator = 1;
constexpr uint8_t role_acceptor = 2;

// Writes straight into a wiping buffer: the token holds keys.
class SecretWriter final {
public:
    void u8(uint8_t v) { m_out.push_back(v); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void bytes(ByteView b) { m_out.insert(m_out.end(), b.begin(), b.end()); }
    void text(const std::string& s) {
        if (s.size() > 0xffff) throw GssError(GSS_S_FAILURE, Minor::bad_export_token, "name too long to export");
        u16(static_cast<uint16_t>(s.size()));
        bytes(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    }
    SecureBytes take() noexcept { return std::move(m_out); }

private:
    void put(uint64_t v, int n) {
        for (int i = n - 1; i >= 0; --i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    SecureBytes m_out;
};

uint64_t read_be(ByteReader& r, size_t n) {
    const ByteView b = r.take(n);
    uint64_t v = 0;
    for (const uint8_t c : b) v = (v << 8) | c;
    return v;
}

[[noreturn]] void malformed(const char* what, const char* token = "exported context") {
    throw GssError(GSS_S_DEFECTIVE_TOKEN, Minor::bad_export_token, std::string(token) + ": " + what);
}

void write_name(SecretWriter& w, const std::optional<Name>& name) {
    if (!name) {
        w.u8(0);
        return;
    }
    w.u8(1);
    w.u8(static_cast<uint8_t>(name->kind()));
    w.text(name->user_name());
    w.text(name->domain());
    w.text(name->service());
    w.text(name->host());
}

std::string read_text(ByteReader& r) {
    const auto n = static_cast<size_t>(read_be(r, 2));
    const ByteView b = r.take(n);
    return std::string(b.begin(), b.end());
}

std::optional<Name> read_name(ByteReader& r, const char* token = "exported context") {
    const auto malformed = [token](const char* what) { ::gssneg::ntlm::malformed(what, token); };
    const uint8_t present = r.u8();
    if (present == 0) return std::nullopt;
    if (present != 1) malformed("name presence byte");
    const uint8_t kind = r.u8();
    std::string user = read_text(r);
    std::string domain = read_text(r);
    const std::string service = read_text(r);
    const std::string host = read_text(r);
    // Checked here so that the Name factories below cannot refuse them.
    switch (static_cast<NameKind>(kind)) {
    case NameKind::user:
        if (user.empty()) malformed("user name without a user");
        if (!service.empty() || !host.empty()) malformed("user name with service fields");
        return Name::from_parts(std::move(domain), std::move(user));
    case NameKind::hostbased_service:
        if (service.empty() || !user.empty() || !domain.empty() || service.find('@') != std::string::npos)
            malformed("service name fields");
        return Name::hostbased(host.empty() ? service : service + "@" + host);
    case NameKind::anonymous:
        if (!user.empty() || !domain.empty() || !service.empty() || !host.empty())
            malformed("anonymous name with fields");
        return Name::anonymous();
    }
    malformed("name kind");
    return std::nullopt;
}

}  // namespace

SecureBytes ExportedContext::serialize() const {
    SecretWriter w;
    w.bytes(magic);
    w.u16(current_version);
    w.u8(static_cast<uint8_t>(ntlm_oid.size()));
    w.bytes(ntlm_oid);
    w.u8(initiator ? role_initiator : role_acceptor);
    w.u32(negotiated_flags);
    w.u32(req_flags);
    w.u32(ret_flags);
    w.u64(static_cast<uint64_t>(expiry));
    w.u8(static_cast<uint8_t>(response));
    w.u8(mic_present ? 1 : 0);
    w.bytes(ByteView(exported_session_key));
    w.u32(send_seq);
    w.u32(recv_next);
    w.u64(recv_seen);
    w.u64(outgoing_stream);
    w.u64(incoming_stream);
    write_name(w, initiator_name);
    write_name(w, target_name);
    return w.take();
}

ExportedContext ExportedContext::parse(ByteView token) {
    // Every read past the end is DecodeError(bad_export_token).
    ByteReader r(token, Minor::bad_export_token);
    ExportedContext c;
    if (!std::equal(magic.begin(), magic.end(), r.take(magic.size()).begin())) malformed("magic");
    if (read_be(r, 2) != current_version) malformed("version");
    const uint8_t oid_length = r.u8();
    const ByteView oid = r.take(oid_length);
    if (!std::equal(oid.begin(), oid.end(), ntlm_oid.begin(), ntlm_oid.end())) malformed("mechanism");
    const uint8_t role = r.u8();
    if (role != role_initiator && role != role_acceptor) malformed("role");
    c.initiator = role == role_initiator;
    c.negotiated_flags = static_cast<uint32_t>(read_be(r, 4));
    c.req_flags = static_cast<uint32_t>(read_be(r, 4));
    c.ret_flags = static_cast<uint32_t>(read_be(r, 4));
    c.expiry = static_cast<int64_t>(read_be(r, 8));
    const uint8_t kind = r.u8();
    if (kind > static_cast<uint8_t>(ResponseKind::ntlmv2)) malformed("response kind");
    c.response = static_cast<ResponseKind>(kind);
    const uint8_t mic = r.u8();
    if (mic > 1) malformed("MIC byte");
    c.mic_present = mic == 1;
    c.exported_session_key = Key16(r.take(16).first<16>());
    c.send_seq = static_cast<uint32_t>(read_be(r, 4));
    c.recv_next = static_cast<uint32_t>(read_be(r, 4));
    c.recv_seen = read_be(r, 8);
    c.outgoing_stream = read_be(r, 8);
    c.incoming_stream = read_be(r, 8);
    if (c.outgoing_stream > max_stream_position || c.incoming_stream > max_stream_position)
        malformed("stream position out of range");
    c.initiator_name = read_name(r);
    c.target_name = read_name(r);
    if (!r.empty()) malformed("trailing data");
    return c;
}

SecureBytes ExportedCredential::serialize() const {
    SecretWriter w;
    w.bytes(cred_magic);
    w.u16(current_version);
    w.u8(usage);
    w.u8(static_cast<uint8_t>(secret));
    if (secret == Secret::nt_hash) {
        w.bytes(ByteView(nt_hash));
        w.u8(lm_hash ? 1 : 0);
        if (lm_hash) w.bytes(ByteView(*lm_hash));
    }
    write_name(w, name);
    w.text(workstation);
    w.text(user_file);
    return w.take();
}

ExportedCredential ExportedCredential::parse(ByteView token) {
    try {
        return parse_fields(token);
    } catch (const DecodeError&) {
        // A read past the end (ByteReader).
        malformed("truncated", "exported credential");
    }
}

ExportedCredential ExportedCredential::parse_fields(ByteView token) {
    constexpr const char* what = "exported credential";
    ByteReader r(token, Minor::bad_export_token);
    ExportedCredential c;
    if (!std::equal(cred_magic.begin(), cred_magic.end(), r.take(cred_magic.size()).begin()))
        malformed("magic", what);
    if (read_be(r, 2) != current_version) malformed("version", what);
    c.usage = r.u8();
    if (c.usage < 1 || c.usage > 3) malformed("usage", what);
    const uint8_t secret = r.u8();
    if (secret > static_cast<uint8_t>(Secret::winbind_cached)) malformed("secret kind", what);
    c.secret = static_cast<Secret>(secret);
    if (c.secret == Secret::nt_hash) {
        c.nt_hash = Key16(r.take(16).first<16>());
        const uint8_t lm = r.u8();
        if (lm > 1) malformed("LM hash byte", what);
        if (lm == 1) c.lm_hash = Key16(r.take(16).first<16>());
    }
    c.name = read_name(r, what);
    c.workstation = read_text(r);
    c.user_file = read_text(r);
    if (!r.empty()) malformed("trailing data", what);
    // What the credential can do must match what it holds.
    const bool initiates = c.usage != 2;
    const bool anonymous = c.name && c.name->kind() == NameKind::anonymous;
    if (initiates && !anonymous && c.secret == Secret::none) malformed("an initiator without a secret", what);
    if (initiates && !anonymous && (!c.name || c.name->kind() != NameKind::user))
        malformed("an initiator without a user name", what);
    if ((!initiates || anonymous) && c.secret != Secret::none) malformed("a secret it cannot use", what);
    return c;
}

}  // namespace gssneg::ntlm
