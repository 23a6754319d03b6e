// Resolving entry points of a library loaded with dlopen().
#pragma once

#include <dlfcn.h>

namespace gssneg {

// Sets slot to the symbol's address; false when the library lacks it.
template <typename F>
bool resolve_symbol(void* library, const char* name, F& slot) {
    slot = reinterpret_cast<F>(::dlsym(library, name));
    return slot != nullptr;
}

}  // namespace gssneg
