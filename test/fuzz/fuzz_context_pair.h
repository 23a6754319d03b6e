// An NTLM context pair established in-process through the module's own
// gss_init_sec_context / gss_accept_sec_context (the mech objects are
// compiled into the program, with no mechglue between), with the fuzz
// credentials and the deterministic random stream of fuzz_common.
//
// The initiator always proposes KEY_EXCH, so the ExportedSessionKey is drawn
// from that stream: the message-protection keys, and every wrap and MIC
// token made with them, repeat from run to run even though the NTLMv2
// response covers the acceptor's clock. Used by fuzz_export, fuzz_protect
// and the seeds fuzz_seeds writes for them.
#pragma once

#include "util/bytes.h"
#include "util/gss_headers.h"

namespace gssneg::fuzz {

// Points the module at user_file() and away from the host's configuration
// file and its trace and LM_COMPAT_LEVEL settings. Call before any gss_*
// call of the module.
void use_module_environment();

// What the pairs of fuzz_protect and of the richest seeds ask for.
inline constexpr OM_uint32 protect_flags =
    GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;

// Both ends of one established context; deleted with the pair.
class ContextPair final {
public:
    // Restarts the random stream, then runs NEGOTIATE / CHALLENGE /
    // AUTHENTICATE between the two sides with req_flags at the given
    // LM_COMPAT_LEVEL. Aborts unless both sides complete.
    explicit ContextPair(OM_uint32 req_flags = protect_flags, int lm_compat_level = 3);
    ~ContextPair();
    ContextPair(const ContextPair&) = delete;
    ContextPair& operator=(const ContextPair&) = delete;

    gss_ctx_id_t& initiator() noexcept { return m_initiator; }
    gss_ctx_id_t& acceptor() noexcept { return m_acceptor; }
    // The ret_flags each side reported when it completed.
    OM_uint32 initiator_flags() const noexcept { return m_initiator_flags; }
    OM_uint32 acceptor_flags() const noexcept { return m_acceptor_flags; }

private:
    gss_ctx_id_t m_initiator = GSS_C_NO_CONTEXT;
    gss_ctx_id_t m_acceptor = GSS_C_NO_CONTEXT;
    OM_uint32 m_initiator_flags = 0;
    OM_uint32 m_acceptor_flags = 0;
};

// Prints what failed and aborts: a broken setup, or a property a target
// checks that does not hold.
[[noreturn]] void fail(const char* what);

// gss_export_sec_context (which deletes the context) and
// gss_import_sec_context; both abort on failure.
Bytes export_context(gss_ctx_id_t& ctx);
gss_ctx_id_t import_context(ByteView token);

// A buffer for input to the module (the module never writes through it).
gss_buffer_desc buffer_of(ByteView bytes) noexcept;
// Copies out and frees an output buffer the module allocated.
Bytes take(gss_buffer_desc& buffer);

}  // namespace gssneg::fuzz
