#include "ntlm/negotiate_message.h"

#include "ntlm/flags.h"
#include "ntlm/payload.h"

#include <utility>

namespace gssneg::ntlm {

namespace {
constexpr size_t header_size = 32;
constexpr size_t header_size_with_version = header_size + 8;
}  // namespace

NegotiateMessage::NegotiateMessage(ByteView token) {
    ByteReader r = open_message(token, message_type::negotiate, header_size);
    m_flags = r.u32le();
    const PayloadField domain = PayloadField::parse(r);
    const PayloadField workstation = PayloadField::parse(r);
    if (payload_start(token, {domain, workstation}) >= header_size_with_version)
        m_version = Version::parse(r);
    // MS-NLMP 2.2.1.1: DomainNameFields / WorkstationFields are meaningful
    // only when NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED /
    // NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED is set.
    if ((m_flags & flag::oem_domain_supplied) != 0) m_domain = oem_to_utf8(domain.resolve(token));
    if ((m_flags & flag::oem_workstation_supplied) != 0) m_workstation = oem_to_utf8(workstation.resolve(token));
}

NegotiateMessage::NegotiateMessage(uint32_t flags, std::string domain, std::string workstation,
                                   std::optional<Version> version)
    : m_flags(flags), m_domain(std::move(domain)), m_workstation(std::move(workstation)), m_version(version) {
    if (!m_domain.empty()) m_flags |= flag::oem_domain_supplied;
    if (!m_workstation.empty()) m_flags |= flag::oem_workstation_supplied;
}

Bytes NegotiateMessage::serialize() const {
    const Bytes domain = utf8_to_oem(m_domain);
    const Bytes workstation = utf8_to_oem(m_workstation);
    PayloadWriter w(message_type::negotiate);
    w.header().u32le(m_flags);
    const size_t domain_field = w.field();
    const size_t workstation_field = w.field();
    if (m_version) m_version->write(w.header());
    w.put(domain_field, domain);
    w.put(workstation_field, workstation);
    return w.finish();
}

}  // namespace gssneg::ntlm
