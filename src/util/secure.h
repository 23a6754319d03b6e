// Buffers for secrets: keys, hashes and passwords wipe themselves when freed.
#pragma once

#include "util/ct.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace gssneg {

void secure_wipe(void* p, size_t n) noexcept;

inline std::span<const uint8_t> as_byte_span(std::string_view s) noexcept {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <typename T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() noexcept = default;
    template <typename U>
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, size_t n) noexcept {
        secure_wipe(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <typename U>
    bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

using SecureBytes = std::vector<uint8_t, WipingAllocator<uint8_t>>;

// Text that is a secret (a password). std::basic_string keeps a short string
// in the object itself, where no allocator sees it; this type keeps its
// characters on the heap whatever their number, and wipes every buffer it
// gives back: on growth (the old buffer, once copied), on clear() and
// assignment (the old contents), and on destruction (the whole capacity).
// The wipe is done here, before Alloc::deallocate, so that any allocator
// gets back zeros. The characters are always followed by a NUL, for c_str().
template <typename Alloc = std::allocator<char>>
class BasicSecureString final {
public:
    BasicSecureString() noexcept(noexcept(Alloc())) = default;
    explicit BasicSecureString(std::string_view text, const Alloc& alloc = Alloc()) : m_alloc(alloc) {
        append(text);
    }
    BasicSecureString(const char* text, size_t size) : BasicSecureString(std::string_view(text, size)) {}
    explicit BasicSecureString(const char* text) : BasicSecureString(std::string_view(text)) {}
    BasicSecureString(const BasicSecureString& other) : m_alloc(other.m_alloc) { append(other.view()); }
    BasicSecureString(BasicSecureString&& other) noexcept
        : m_p(other.m_p), m_size(other.m_size), m_capacity(other.m_capacity), m_alloc(other.m_alloc) {
        other.m_p = nullptr;
        other.m_size = 0;
        other.m_capacity = 0;
    }
    BasicSecureString& operator=(const BasicSecureString& other) {
        if (this != &other) assign(other.view());
        return *this;
    }
    BasicSecureString& operator=(BasicSecureString&& other) noexcept {
        if (this != &other) {
            release();
            m_p = other.m_p;
            m_size = other.m_size;
            m_capacity = other.m_capacity;
            m_alloc = other.m_alloc;
            other.m_p = nullptr;
            other.m_size = 0;
            other.m_capacity = 0;
        }
        return *this;
    }
    ~BasicSecureString() { release(); }

    const char* data() const noexcept { return m_p != nullptr ? m_p : ""; }
    char* data() noexcept { return m_p != nullptr ? m_p : empty_buffer(); }
    const char* c_str() const noexcept { return data(); }
    size_t size() const noexcept { return m_size; }
    size_t capacity() const noexcept { return m_capacity; }
    bool empty() const noexcept { return m_size == 0; }
    std::string_view view() const noexcept { return {data(), m_size}; }
    operator std::string_view() const noexcept { return view(); }
    const char* begin() const noexcept { return data(); }
    const char* end() const noexcept { return data() + m_size; }

    void reserve(size_t capacity) {
        if (capacity > m_capacity) reallocate(capacity);
    }
    // text may be part of this string.
    void append(std::string_view text) {
        if (text.empty()) return;
        if (text.size() > m_capacity - m_size) {
            reallocate(grown_capacity(m_size + text.size()), text);
            return;
        }
        std::copy(text.begin(), text.end(), m_p + m_size);
        m_size += text.size();
        m_p[m_size] = '\0';
    }
    void push_back(char c) { append(std::string_view(&c, 1)); }
    BasicSecureString& operator+=(std::string_view text) {
        append(text);
        return *this;
    }
    // text may be part of this string. The buffer is kept when text fits.
    void assign(std::string_view text) {
        if (text.size() > m_capacity) {
            *this = BasicSecureString(text, m_alloc);
            return;
        }
        if (m_p == nullptr) return;  // text is empty, and so is this string
        std::memmove(m_p, text.data(), text.size());
        secure_wipe(m_p + text.size(), m_capacity + 1 - text.size());
        m_size = text.size();
    }
    // Wipes the characters; the buffer is kept for reuse.
    void clear() noexcept {
        if (m_p != nullptr) secure_wipe(m_p, m_capacity + 1);
        m_size = 0;
    }

private:
    size_t grown_capacity(size_t needed) const noexcept {
        constexpr size_t smallest = 31;
        return std::max({needed, smallest, m_capacity + m_capacity / 2});
    }
    // The old characters, then tail, go into a new buffer before the old
    // one is wiped and released.
    void reallocate(size_t capacity, std::string_view tail = {}) {
        char* p = m_alloc.allocate(capacity + 1);
        std::copy(data(), data() + m_size, p);
        std::copy(tail.begin(), tail.end(), p + m_size);
        const size_t size = m_size + tail.size();
        p[size] = '\0';
        release();
        m_p = p;
        m_size = size;
        m_capacity = capacity;
    }
    void release() noexcept {
        if (m_p == nullptr) return;
        secure_wipe(m_p, m_capacity + 1);
        m_alloc.deallocate(m_p, m_capacity + 1);
        m_p = nullptr;
        m_size = 0;
        m_capacity = 0;
    }
    // data() of an empty string that has no buffer yet: one NUL nobody
    // writes to, as the size is 0.
    static char* empty_buffer() noexcept {
        static char nul = '\0';
        return &nul;
    }

    char* m_p = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
    [[no_unique_address]] Alloc m_alloc;
};

// Equal length and contents, compared in constant time for a given length.
template <typename Alloc>
bool operator==(const BasicSecureString<Alloc>& a, std::string_view b) noexcept {
    return ct_equal(as_byte_span(a.view()), as_byte_span(b));
}

using SecureString = BasicSecureString<>;

// A fixed-size secret (a 16-byte key or hash) that wipes itself.
template <size_t N>
class SecretArray final {
public:
    SecretArray() noexcept { m_b.fill(0); }
    explicit SecretArray(std::span<const uint8_t, N> v) noexcept {
        for (size_t i = 0; i < N; ++i) m_b[i] = v[i];
    }
    SecretArray(const SecretArray&) noexcept = default;
    SecretArray& operator=(const SecretArray&) noexcept = default;
    ~SecretArray() { secure_wipe(m_b.data(), N); }

    uint8_t* data() noexcept { return m_b.data(); }
    const uint8_t* data() const noexcept { return m_b.data(); }
    static constexpr size_t size() noexcept { return N; }
    uint8_t& operator[](size_t i) noexcept { return m_b[i]; }
    uint8_t operator[](size_t i) const noexcept { return m_b[i]; }
    std::span<const uint8_t, N> view() const noexcept { return std::span<const uint8_t, N>(m_b); }
    std::span<uint8_t, N> span() noexcept { return std::span<uint8_t, N>(m_b); }
    operator std::span<const uint8_t>() const noexcept { return {m_b.data(), N}; }

private:
    std::array<uint8_t, N> m_b;
};

using Key16 = SecretArray<16>;

}  // namespace gssneg
