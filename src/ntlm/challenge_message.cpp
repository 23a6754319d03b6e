#include "ntlm/challenge_message.h"

#include "ntlm/flags.h"
#include "ntlm/payload.h"

#include <algorithm>
#include <utility>

namespace gssneg::ntlm {

namespace {
constexpr size_t header_size = 48;
constexpr size_t header_size_with_version = header_size + 8;
}  // namespace

ChallengeMessage::ChallengeMessage(ByteView token) {
    ByteReader r = open_message(token, message_type::challenge, header_size);
    const PayloadField target_name = PayloadField::parse(r);
    m_flags = r.u32le();
    const ByteView challenge = r.take(m_server_challenge.size());
    std::copy(challenge.begin(), challenge.end(), m_server_challenge.begin());
    r.skip(8);
    const PayloadField target_info = PayloadField::parse(r);
    if (payload_start(token, {target_name, target_info}) >= header_size_with_version)
        m_version = Version::parse(r);

    m_target_name = decode_string(target_name.resolve(token), (m_flags & flag::unicode) != 0);
    const ByteView info = target_info.resolve(token);
    m_target_info_bytes.assign(info.begin(), info.end());
    if (!info.empty()) m_target_info = AvPairs(info);
}

ChallengeMessage::ChallengeMessage(uint32_t flags, const Challenge8& server_challenge, std::string target_name,
                                   AvPairs target_info, std::optional<Version> version)
    : m_flags(flags),
      m_server_challenge(server_challenge),
      m_target_name(std::move(target_name)),
      m_target_info(std::move(target_info)),
      m_version(version) {
    if ((m_flags & flag::target_info) != 0) m_target_info_bytes = m_target_info.serialize();
}

Bytes ChallengeMessage::serialize() const {
    const Bytes target_name = encode_string(m_target_name, (m_flags & flag::unicode) != 0);
    PayloadWriter w(message_type::challenge);
    const size_t target_name_field = w.field();
    w.header().u32le(m_flags);
    w.header().bytes(m_server_challenge);
    w.header().zeros(8);
    const size_t target_info_field = w.field();
    if (m_version) m_version->write(w.header());
    w.put(target_name_field, target_name);
    // Without NEGOTIATE_TARGET_INFO the TargetInfoFields stay all zero, as in
    // the MS-NLMP 4.2.2.3 example.
    if ((m_flags & flag::target_info) != 0) w.put(target_info_field, m_target_info_bytes);
    return w.finish();
}

}  // namespace gssneg::ntlm
