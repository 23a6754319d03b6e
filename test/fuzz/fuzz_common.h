// Shared by the fuzz targets and the seed generator: a fixed user database
// in a temporary file, fixed credentials and configuration, and a
// deterministic random source so that a run (and a crash) replays exactly.
#pragma once

#include "ntlm/client.h"
#include "ntlm/credential.h"
#include "ntlm/server.h"
#include "util/bytes.h"
#include "util/config.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gssneg::fuzz {

// The identities every target and every seed use.
inline constexpr const char* domain = "EXAMPLE";
inline constexpr const char* user = "alice";
inline constexpr const char* password = "Secret-1";
// A service of this host: initiator and acceptor share the process, and a
// CHALLENGE of this process's acceptor reaches only an initiator that aims
// at it (else it is refused as reflected).
inline constexpr const char* target = "HTTP@localhost";
// The application data of fuzz_mech_accept's channel bindings.
inline constexpr std::string_view binding_data = "tls-server-end-point:fuzz";

// Restarts the deterministic stream behind crypto::random_bytes (this
// program's RAND_bytes_ex, see fuzz_common.cpp). Call at the start of every
// input so that the server challenge and client keys repeat.
void reset_random() noexcept;

// The path of a user database holding alice, bob (smbpasswd form) and a
// user with a long password; written once per process, removed at exit.
const std::string& user_file();

// A configuration with fixed names (nothing read from the host) pointing at
// user_file(). allow_anonymous is on so that the anonymous path is reached.
std::shared_ptr<const Config> config();

std::shared_ptr<const ntlm::Credential> acceptor_credential();
std::shared_ptr<const ntlm::Credential> initiator_credential();

// The client parameters of the fixed initiator: NTLMv2 at level 3 with a
// target name and channel bindings, or another LM_COMPAT_LEVEL.
ntlm::ClientParams client_params(int lm_compat_level = 3);
ntlm::ServerParams server_params(bool with_channel_bindings = true);

// Parameters of libFuzzer's entry point as a span.
inline ByteView input(const uint8_t* data, size_t size) noexcept { return {data, size}; }

}  // namespace gssneg::fuzz
