// Shared pieces of the gssneg-client / gssneg-server sample application.
//
// The sample app talks to the mechanism only through the public GSS-API
// (libgssapi_krb5's mechglue). Wire protocol on a TCP connection:
//
//   frame      = 4-byte big-endian length, then that many bytes
//   handshake  client sends a context token; while the acceptor produces
//              output it answers with a token frame. When the acceptor is
//              done (complete or failed) it sends an empty frame followed by
//              a status frame: "OK" or "FAIL <reason>".
//   afterwards the client sends a command frame: "BYE", or "MESSAGES" then
//              the message exchange (see run_client_messages/serve_messages).
#pragma once

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gssneg::sample {

using Bytes = std::vector<std::uint8_t>;

// ---- RAII for GSS objects -------------------------------------------------

class Name final {
public:
    Name() = default;
    Name(const Name&) = delete;
    Name& operator=(const Name&) = delete;
    Name(Name&& other) noexcept : m_name(other.m_name) { other.m_name = GSS_C_NO_NAME; }
    Name& operator=(Name&&) = delete;
    ~Name();
    gss_name_t* out() { return &m_name; }
    gss_name_t get() const { return m_name; }

private:
    gss_name_t m_name = GSS_C_NO_NAME;
};

class Cred final {
public:
    Cred() = default;
    Cred(const Cred&) = delete;
    Cred& operator=(const Cred&) = delete;
    ~Cred();
    gss_cred_id_t* out() { return &m_cred; }
    gss_cred_id_t get() const { return m_cred; }

private:
    gss_cred_id_t m_cred = GSS_C_NO_CREDENTIAL;
};

class Context final {
public:
    Context() = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context();
    gss_ctx_id_t* out() { return &m_ctx; }
    gss_ctx_id_t get() const { return m_ctx; }

private:
    gss_ctx_id_t m_ctx = GSS_C_NO_CONTEXT;
};

class Buffer final {
public:
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer();
    gss_buffer_t out() { return &m_buf; }
    const gss_buffer_desc& get() const { return m_buf; }
    Bytes bytes() const;

private:
    gss_buffer_desc m_buf = GSS_C_EMPTY_BUFFER;
};

// ---- mechanisms, names, flags, status -----------------------------------

// An OID owned by the program (the mechglue must not free it).
class OwnedOid final {
public:
    explicit OwnedOid(std::string der) : m_der(std::move(der)) { refresh(); }
    OwnedOid(const OwnedOid& other) : m_der(other.m_der) { refresh(); }
    OwnedOid& operator=(const OwnedOid&) = delete;
    gss_OID get() { return &m_desc; }

private:
    void refresh();
    std::string m_der;
    gss_OID_desc m_desc{};
};

// "ntlm", "spnego", "krb5" or a dotted OID; nullopt when unparsable.
std::optional<OwnedOid> parse_mech(std::string_view text);
std::string oid_to_string(gss_const_OID oid);

std::string display_name(gss_name_t name);
Name import_name(std::string_view text, gss_OID type, OM_uint32* major, OM_uint32* minor);

// "mutual,replay,..." <-> GSS_C_*_FLAG bits; nullopt on an unknown word.
std::optional<OM_uint32> parse_flags(std::string_view text);
std::string flags_to_string(OM_uint32 flags);

// Every major and minor message from gss_display_status, on two lines.
std::string status_text(OM_uint32 major, OM_uint32 minor, gss_OID mech);
std::string status_one_line(OM_uint32 major, OM_uint32 minor, gss_OID mech);

// "NEGOTIATE 40 bytes" for an NTLMSSP message, "token 1234 bytes" otherwise.
std::string describe_token(const void* data, std::size_t length);

// Writes one handshake token to DIR/leg-N.bin (for --dump-tokens); prints a
// line and returns false when the file cannot be written.
bool dump_token(const std::string& dir, int leg, const void* data, std::size_t length);

// Channel bindings carrying only application data; both address types are
// GSS_C_AF_UNSPEC with no address, the way TLS channel bindings are passed.
class ChannelBindings final {
public:
    explicit ChannelBindings(std::string application_data);
    ChannelBindings(const ChannelBindings&) = delete;
    ChannelBindings& operator=(const ChannelBindings&) = delete;
    gss_channel_bindings_t get() { return &m_cb; }

private:
    std::string m_data;
    gss_channel_bindings_struct m_cb{};
};

// Prints mech, names, flags, lifetime and session-key fingerprint.
// Returns false when gss_inquire_context fails. With ask_target false the
// target name is not asked for: gss-ntlmssp 1.2.0 crashes (strdup(NULL)) in
// gss_inquire_context(targ_name) on an acceptor context that was accepted
// with GSS_C_NO_CREDENTIAL.
bool print_context_summary(gss_ctx_id_t ctx, std::string_view role, bool ask_target = true);
void print_name_attributes(gss_name_t name);

// First 8 hex digits of SHA-256 over the session key, when the mechanism
// answers GSS_C_INQ_SSPI_SESSION_KEY; the key itself is never printed.
std::optional<std::pair<std::size_t, std::string>> session_key_fingerprint(gss_ctx_id_t ctx);

// ---- framing on a socket ---------------------------------------------------

bool send_frame(int fd, const void* data, std::size_t length);
bool send_frame(int fd, std::string_view text);
// nullopt on EOF or error, or when the peer announces more than max_frame.
std::optional<Bytes> recv_frame(int fd);
std::string to_string(const Bytes& bytes);

inline constexpr std::size_t max_frame = 1u << 20;

// ---- post-handshake messages ------------------------------------------------

inline constexpr std::string_view client_payload = "sealed hello from gssneg-client";
inline constexpr std::string_view server_reply_prefix = "gssneg-server got: ";
inline constexpr std::string_view mic_payload = "signed message from gssneg-client";
inline constexpr std::string_view signed_wrap_payload = "signed wrap from gssneg-client";

enum class MessagesResult { ok, unavailable, failed };

MessagesResult run_client_messages(int fd, gss_ctx_id_t ctx);
MessagesResult serve_messages(int fd, gss_ctx_id_t ctx);

std::string hex(const void* data, std::size_t length);

}  // namespace gssneg::sample
