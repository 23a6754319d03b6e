// NEGOTIATE_MESSAGE at the acceptor: parse, re-serialize and parse again
// (the fields must survive), then the acceptor's first step on a fresh
// NtlmServer. Only GssError is an expected outcome.

#include "fuzz_common.h"
#include "ntlm/negotiate_message.h"
#include "util/errors.h"

#include <cstdlib>

using namespace gssneg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteView token = fuzz::input(data, size);
    fuzz::reset_random();
    try {
        const ntlm::NegotiateMessage parsed(token);
        const ntlm::NegotiateMessage again(parsed.serialize());
        if (again.flags() != parsed.flags() || again.domain() != parsed.domain() ||
            again.workstation() != parsed.workstation() || again.version().has_value() != parsed.version().has_value())
            std::abort();
    } catch (const GssError&) {
    }
    try {
        ntlm::NtlmServer server(fuzz::acceptor_credential(), fuzz::server_params());
        const Bytes challenge = server.step(token);
        // What the acceptor answers must be a CHALLENGE it can read itself.
        const ntlm::ChallengeMessage check(challenge);
        (void)check;
    } catch (const GssError&) {
    }
    return 0;
}
