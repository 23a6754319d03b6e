#include "mech/guard.h"

#include "util/escape.h"
#include "util/secure.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <array>
#include <memory>
#include <new>

namespace gssneg::mech {

namespace {

// The last few error details of this thread, in fixed storage so that
// remembering one can never fail.
struct Detail {
    OM_uint32 minor = 0;
    char text[1024] = {};
};
thread_local std::array<Detail, 8> t_details;
thread_local size_t t_next_detail = 0;

}  // namespace

void remember_detail(OM_uint32 minor, std::string_view what) noexcept {
    Detail& d = t_details[t_next_detail];
    t_next_detail = (t_next_detail + 1) % t_details.size();
    d.minor = minor;
    escape_text_into(what, d.text, sizeof d.text);
}

void note_failure(OM_uint32 minor, const char* what) noexcept {
    const std::string_view text = what != nullptr ? what : "";
    remember_detail(minor, text);
    try {
        if (trace_enabled()) trace("gss", std::string("failed: ") + std::string(text));
    } catch (...) {
        // Out of memory while tracing: the status is what matters.
    }
}

std::string recall_detail(OM_uint32 minor) {
    // Newest first.
    for (size_t k = 1; k <= t_details.size(); ++k) {
        const Detail& d = t_details[(t_next_detail + t_details.size() - k) % t_details.size()];
        if (d.minor == minor && d.text[0] != '\0') return d.text;
    }
    return {};
}

MallocBuffer::MallocBuffer(size_t size)
    : m_p(static_cast<uint8_t*>(std::malloc(size == 0 ? 1 : size))), m_size(size) {
    if (m_p == nullptr) throw std::bad_alloc();
}

MallocBuffer::~MallocBuffer() {
    if (m_p == nullptr) return;
    secure_wipe(m_p, m_size);
    std::free(m_p);
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

gss_buffer_desc buffer_of(ByteView data) noexcept {
    return gss_buffer_desc{data.size(), const_cast<uint8_t*>(data.data())};
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

namespace {

void free_buffer_set(gss_buffer_set_t set) noexcept {
    if (set == nullptr) return;
    for (size_t i = 0; i < set->count; ++i) std::free(set->elements[i].value);
    std::free(set->elements);
    std::free(set);
}

}  // namespace

gss_buffer_set_t make_buffer_set(std::initializer_list<ByteView> items) {
    return make_buffer_set(std::span<const ByteView>(items.begin(), items.size()));
}

gss_buffer_set_t make_buffer_set(std::span<const ByteView> items) {
    std::unique_ptr<gss_buffer_set_desc, decltype(&free_buffer_set)> set(
        static_cast<gss_buffer_set_t>(std::calloc(1, sizeof(gss_buffer_set_desc))), free_buffer_set);
    if (!set) throw std::bad_alloc();
    set->elements = static_cast<gss_buffer_t>(std::calloc(items.size() == 0 ? 1 : items.size(), sizeof(gss_buffer_desc)));
    if (set->elements == nullptr) throw std::bad_alloc();
    for (const ByteView item : items) {
        // An empty item still gets a buffer so that callers may read it.
        void* p = std::malloc(item.empty() ? 1 : item.size());
        if (p == nullptr) throw std::bad_alloc();
        if (!item.empty()) std::memcpy(p, item.data(), item.size());
        set->elements[set->count].value = p;
        set->elements[set->count].length = item.size();
        ++set->count;
    }
    return set.release();
}

}  // namespace gssneg::mech
