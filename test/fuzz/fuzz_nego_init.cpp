// The initiator of the module's Negotiate interposer, gssi_init_sec_context,
// in a real exchange with the module's own Negotiate acceptor (NTLM
// beneath, both linked into this program with no mechglue between). The
// input replaces or edits the tokens the initiator receives after its real
// first token: the acceptor's first answer (the CHALLENGE) or its second
// (accept-completed and the mechListMIC), and the legs after it. Input
// layout and the properties checked on every input: fuzz_nego.h.

#include "fuzz_nego.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    gssneg::fuzz::nego_setup();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    gssneg::fuzz::run_nego_input(gssneg::fuzz::Side::initiator, data, size);
    return 0;
}
