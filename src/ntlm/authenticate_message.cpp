#include "ntlm/authenticate_message.h"

#include "ntlm/flags.h"
#include "ntlm/payload.h"

#include <algorithm>
#include <utility>

namespace gssneg::ntlm {

namespace {
constexpr size_t header_size = 64;
constexpr size_t version_size = 8;
constexpr size_t mic_size = 16;

Bytes copy(ByteView v) {
    return Bytes(v.begin(), v.end());
}
}  // namespace

AuthenticateMessage::AuthenticateMessage(ByteView token) {
    ByteReader r = open_message(token, message_type::authenticate, header_size);
    const PayloadField lm = PayloadField::parse(r);
    const PayloadField nt = PayloadField::parse(r);
    const PayloadField domain = PayloadField::parse(r);
    const PayloadField user = PayloadField::parse(r);
    const PayloadField workstation = PayloadField::parse(r);
    const PayloadField key = PayloadField::parse(r);
    m_fields.flags = r.u32le();

    const size_t start = payload_start(token, {lm, nt, domain, user, workstation, key});
    if (start >= header_size + version_size) m_fields.version = Version::parse(r);
    if (start >= mic_offset + mic_size) {
        const ByteView mic = r.take(mic_size);
        Mic16 value{};
        std::copy(mic.begin(), mic.end(), value.begin());
        m_fields.mic = value;
    }

    const bool unicode = (m_fields.flags & flag::unicode) != 0;
    m_fields.lm_response = copy(lm.resolve(token));
    m_fields.nt_response = copy(nt.resolve(token));
    m_fields.domain = decode_string(domain.resolve(token), unicode);
    m_fields.user = decode_string(user.resolve(token), unicode);
    m_fields.workstation = decode_string(workstation.resolve(token), unicode);
    m_fields.encrypted_random_session_key = copy(key.resolve(token));
}

AuthenticateMessage::AuthenticateMessage(AuthenticateFields fields) : m_fields(std::move(fields)) {
    if (m_fields.mic && !m_fields.version)
        throw GssError(GSS_S_FAILURE, Minor::internal_error, "an AUTHENTICATE MIC needs a Version field");
}

Bytes AuthenticateMessage::serialize() const {
    const bool unicode = (m_fields.flags & flag::unicode) != 0;
    const Bytes domain = encode_string(m_fields.domain, unicode);
    const Bytes user = encode_string(m_fields.user, unicode);
    const Bytes workstation = encode_string(m_fields.workstation, unicode);

    PayloadWriter w(message_type::authenticate);
    const size_t lm_field = w.field();
    const size_t nt_field = w.field();
    const size_t domain_field = w.field();
    const size_t user_field = w.field();
    const size_t workstation_field = w.field();
    const size_t key_field = w.field();
    w.header().u32le(m_fields.flags);
    if (m_fields.version) m_fields.version->write(w.header());
    if (m_fields.mic) w.header().bytes(*m_fields.mic);

    w.put(domain_field, domain);
    w.put(user_field, user);
    w.put(workstation_field, workstation);
    w.put(lm_field, m_fields.lm_response);
    w.put(nt_field, m_fields.nt_response);
    w.put(key_field, m_fields.encrypted_random_session_key);
    return w.finish();
}

}  // namespace gssneg::ntlm
