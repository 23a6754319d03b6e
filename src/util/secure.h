// Buffers for secrets: keys, hashes and passwords wipe themselves when freed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gssneg {

void secure_wipe(void* p, size_t n) noexcept;

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
using SecureString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

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
