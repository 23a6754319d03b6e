// The acceptor of the module's Negotiate interposer, gssi_accept_sec_context,
// in a real exchange with the module's own Negotiate initiator (NTLM
// beneath, both linked into this program with no mechglue between). The
// input replaces or edits the tokens the acceptor receives: the first
// (the NegTokenInit) or, after a real first leg and answer, the second (the
// NegTokenResp carrying the AUTHENTICATE and the mechListMIC), and the legs
// after it. Input layout and the properties checked on every input:
// fuzz_nego.h.

#include "fuzz_nego.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    gssneg::fuzz::nego_setup();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    gssneg::fuzz::run_nego_input(gssneg::fuzz::Side::acceptor, data, size);
    return 0;
}
