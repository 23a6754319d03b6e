// AUTHENTICATE_MESSAGE at the acceptor, after a real NEGOTIATE / CHALLENGE
// with the fixed initiator. The random source restarts for every input, so
// the server challenge is the one the seed corpus was made against
// (fuzz_seeds): seeds pass the NTProofStr / NTLMv1 response check and the
// fuzzer starts past it. The MIC of an NTLMv2 seed still fails, since the
// CHALLENGE carries the current time. Only GssError is an expected outcome.

#include "fuzz_common.h"
#include "ntlm/authenticate_message.h"
#include "util/errors.h"

#include <cstdlib>

using namespace gssneg;

namespace {

// The first input byte picks the initiator the acceptor was talking to:
// bits 0-2 its LM_COMPAT_LEVEL (mod 6, as given by fuzz_seeds), bit 3
// whether the acceptor has channel bindings.
void run(uint8_t selector, ByteView authenticate) {
    const int level = (selector & 7) % 6;
    const bool bindings = (selector & 0x08) != 0;
    try {
        ntlm::NtlmClient client(fuzz::initiator_credential(), fuzz::client_params(level));
        ntlm::NtlmServer server(fuzz::acceptor_credential(), fuzz::server_params(bindings));
        const Bytes negotiate = client.step({});
        server.step(negotiate);
        server.step(authenticate);
        if (!server.complete() || !server.session().initiator) std::abort();
    } catch (const GssError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    fuzz::reset_random();
    const ByteView authenticate = fuzz::input(data + 1, size - 1);
    try {
        const ntlm::AuthenticateMessage parsed(authenticate);
        const ntlm::AuthenticateMessage again(parsed.serialize());
        if (again.fields().user != parsed.fields().user || again.fields().nt_response != parsed.fields().nt_response)
            std::abort();
    } catch (const GssError&) {
    }
    run(data[0], authenticate);
    return 0;
}
