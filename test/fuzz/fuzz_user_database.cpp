// The user database text (both line formats). Parsing never throws:
// malformed lines are skipped. Every entry must carry a user name.

#include "fuzz_common.h"
#include "ntlm/user_database.h"
#include "util/errors.h"

#include <cstdlib>
#include <string_view>

using namespace gssneg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        size_t skipped = 0;
        const auto entries = ntlm::UserDatabase::parse(text, &skipped);
        for (const auto& e : entries) {
            if (e.user.empty()) std::abort();
            (void)e.nt_hash.view();
        }
    } catch (const GssError&) {
    }
    return 0;
}
