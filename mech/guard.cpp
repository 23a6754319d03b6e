#include "mech/guard.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <new>

namespace gssneg::mech {

namespace {
thread_local std::map<OM_uint32, std::string> t_details;
}

void remember_detail(OM_uint32 minor, const std::string& what) noexcept {
    try {
        t_details[minor] = what;
    } catch (...) {
    }
}

std::string recall_detail(OM_uint32 minor) {
    const auto it = t_details.find(minor);
    return it == t_details.end() ? std::string() : it->second;
}

void set_buffer(gss_buffer_t out, ByteView data) {
    if (out == GSS_C_NO_BUFFER) return;
    out->length = 0;
    out->value = nullptr;
    if (data.empty()) return;
    void* p = std::malloc(data.size());
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, data.data(), data.size());
    out->value = p;
    out->length = data.size();
}

void set_buffer(gss_buffer_t out, std::string_view text) {
    if (out == GSS_C_NO_BUFFER) return;
    // Display strings carry no trailing NUL in their length, but one is
    // allocated after them for callers that print value directly.
    char* p = static_cast<char*>(std::malloc(text.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, text.data(), text.size());
    p[text.size()] = '\0';
    out->value = p;
    out->length = text.size();
}

void clear_buffer(gss_buffer_t out) noexcept {
    if (out == GSS_C_NO_BUFFER) return;
    out->length = 0;
    out->value = nullptr;
}

ByteView view_of(const gss_buffer_t buf) noexcept {
    if (buf == GSS_C_NO_BUFFER || buf->value == nullptr) return {};
    return {static_cast<const uint8_t*>(buf->value), buf->length};
}

std::string_view text_of(const gss_buffer_t buf) noexcept {
    if (buf == GSS_C_NO_BUFFER || buf->value == nullptr) return {};
    std::string_view s(static_cast<const char*>(buf->value), buf->length);
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
    return s;
}

bool oid_equal(gss_const_OID a, gss_const_OID b) noexcept {
    if (a == b) return true;
    if (a == GSS_C_NO_OID || b == GSS_C_NO_OID) return false;
    return a->length == b->length && std::memcmp(a->elements, b->elements, a->length) == 0;
}

gss_OID_set make_oid_set(std::initializer_list<gss_const_OID> oids) {
    auto* set = static_cast<gss_OID_set>(std::calloc(1, sizeof(gss_OID_set_desc)));
    if (set == nullptr) throw std::bad_alloc();
    set->elements = static_cast<gss_OID>(std::calloc(oids.size() == 0 ? 1 : oids.size(), sizeof(gss_OID_desc)));
    if (set->elements == nullptr) {
        std::free(set);
        throw std::bad_alloc();
    }
    for (const gss_const_OID oid : oids) {
        gss_OID_desc& e = set->elements[set->count];
        e.elements = std::malloc(oid->length);
        if (e.elements == nullptr) {
            for (size_t i = 0; i < set->count; ++i) std::free(set->elements[i].elements);
            std::free(set->elements);
            std::free(set);
            throw std::bad_alloc();
        }
        std::memcpy(e.elements, oid->elements, oid->length);
        e.length = oid->length;
        ++set->count;
    }
    return set;
}

gss_buffer_set_t make_buffer_set(std::initializer_list<ByteView> items) {
    auto* set = static_cast<gss_buffer_set_t>(std::calloc(1, sizeof(gss_buffer_set_desc)));
    if (set == nullptr) throw std::bad_alloc();
    set->elements = static_cast<gss_buffer_t>(std::calloc(items.size() == 0 ? 1 : items.size(), sizeof(gss_buffer_desc)));
    if (set->elements == nullptr) {
        std::free(set);
        throw std::bad_alloc();
    }
    try {
        for (const ByteView item : items) {
            // An empty item still gets a buffer so that callers may read it.
            void* p = std::malloc(item.empty() ? 1 : item.size());
            if (p == nullptr) throw std::bad_alloc();
            if (!item.empty()) std::memcpy(p, item.data(), item.size());
            set->elements[set->count].value = p;
            set->elements[set->count].length = item.size();
            ++set->count;
        }
    } catch (...) {
        for (size_t i = 0; i < set->count; ++i) std::free(set->elements[i].value);
        std::free(set->elements);
        std::free(set);
        throw;
    }
    return set;
}

}  // namespace gssneg::mech
