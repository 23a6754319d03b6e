// The options file: apply_file_text over the defaults. A bad value is
// GssError(bad_config); anything else must not escape.

#include "fuzz_common.h"
#include "util/config.h"
#include "util/errors.h"

#include <cstdlib>
#include <string_view>

using namespace gssneg;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        Config c;
        c.apply_file_text(text);
        if (c.lm_compat_level < 0 || c.lm_compat_level > 5) std::abort();
    } catch (const GssError&) {
    }
    return 0;
}
