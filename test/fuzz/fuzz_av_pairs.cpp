// AV_PAIR lists (TargetInfo, the NTLMv2 blob): parse, read every typed
// accessor, describe for the trace, re-serialize and parse again (the
// entries must survive). Only GssError is an expected outcome.

#include "fuzz_common.h"
#include "ntlm/av_pairs.h"
#include "util/errors.h"

#include <cstdlib>

using namespace gssneg;
using ntlm::AvId;

namespace {

template <typename F>
void expect_gss_error_only(F&& f) {
    try {
        f();
    } catch (const GssError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteView list = fuzz::input(data, size);
    try {
        ntlm::AvPairs pairs(list);
        (void)pairs.describe();
        for (const AvId id : {AvId::nb_computer_name, AvId::nb_domain_name, AvId::dns_computer_name,
                              AvId::dns_domain_name, AvId::dns_tree_name, AvId::target_name})
            expect_gss_error_only([&] { (void)pairs.string(id); });
        expect_gss_error_only([&] { (void)pairs.flags(); });
        expect_gss_error_only([&] { (void)pairs.timestamp(); });

        const ntlm::AvPairs again(pairs.serialize());
        if (again.entries().size() != pairs.entries().size()) std::abort();
        for (size_t i = 0; i < pairs.entries().size(); ++i)
            if (again.entries()[i].id != pairs.entries()[i].id || again.entries()[i].value != pairs.entries()[i].value)
                std::abort();

        // Editing what was parsed, as the initiator does with the server's list.
        pairs.set_flags(pairs.flags().value_or(0) | ntlm::av_flag::mic_present);
        pairs.set_string(AvId::target_name, "HTTP/server.example");
        pairs.remove(AvId::channel_bindings);
        const ntlm::AvPairs edited(pairs.serialize());
        (void)edited;
    } catch (const GssError&) {
    }
    return 0;
}
