// CHALLENGE_MESSAGE at the initiator: a fresh NtlmClient sends its
// NEGOTIATE, then reads the fuzzed CHALLENGE and builds its AUTHENTICATE,
// once as an NTLMv2 client (level 3, target name, channel bindings) and once
// at level 1 (NTLMv1 and LM). Only GssError is an expected outcome.

#include "fuzz_common.h"
#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "util/errors.h"

using namespace gssneg;

namespace {

void run_client(ByteView token, int lm_compat_level) {
    try {
        ntlm::NtlmClient client(fuzz::initiator_credential(), fuzz::client_params(lm_compat_level));
        client.step({});
        const Bytes authenticate = client.step(token);
        // Whatever the initiator sends must parse at the acceptor.
        const ntlm::AuthenticateMessage check(authenticate);
        (void)check;
    } catch (const GssError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteView token = fuzz::input(data, size);
    fuzz::reset_random();
    try {
        const ntlm::ChallengeMessage parsed(token);
        (void)parsed.target_info().describe();
    } catch (const GssError&) {
    }
    run_client(token, 3);
    run_client(token, 1);
    return 0;
}
