// Secret buffers: SecureString wipes every byte it held, short strings
// included, before any buffer goes back to its allocator.
#include "util/secure.h"
#include "util/utf16.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

using namespace gssneg;

namespace {

// What a RecordingAllocator saw handed back.
struct AllocationLog {
    size_t allocations = 0;
    size_t deallocations = 0;
    size_t returned_dirty = 0;  // buffers returned with a non-zero byte
};

// Checks every buffer as it is returned: all its bytes must be zero.
template <typename T>
struct RecordingAllocator {
    using value_type = T;
    explicit RecordingAllocator(AllocationLog* log) noexcept : m_log(log) {}
    template <typename U>
    RecordingAllocator(const RecordingAllocator<U>& other) noexcept : m_log(other.m_log) {}
    T* allocate(size_t n) {
        ++m_log->allocations;
        return std::allocator<T>{}.allocate(n);
    }
    void deallocate(T* p, size_t n) noexcept {
        ++m_log->deallocations;
        const auto* bytes = reinterpret_cast<const unsigned char*>(p);
        if (std::any_of(bytes, bytes + n * sizeof(T), [](unsigned char b) { return b != 0; })) ++m_log->returned_dirty;
        std::allocator<T>{}.deallocate(p, n);
    }
    template <typename U>
    bool operator==(const RecordingAllocator<U>& other) const noexcept {
        return m_log == other.m_log;
    }
    AllocationLog* m_log;
};

using RecordedString = BasicSecureString<RecordingAllocator<char>>;

bool contains(const unsigned char* p, size_t n, std::string_view needle) {
    const auto* first = reinterpret_cast<const unsigned char*>(needle.data());
    return std::search(p, p + n, first, first + needle.size()) != p + n;
}

bool all_zero(const char* p, size_t n) {
    return std::all_of(p, p + n, [](char c) { return c == 0; });
}

constexpr std::string_view short_secret() { return "pW7!qz"; }

}  // namespace

TEST_CASE("a short secret string keeps nothing in the object and wipes its buffer", "[secure]") {
    AllocationLog log;
    // The object lives in storage the test owns and reads after the
    // destructor has run; std::basic_string would hold these six
    // characters inline, here.
    alignas(RecordedString) unsigned char storage[sizeof(RecordedString)];
    std::fill(std::begin(storage), std::end(storage), 0);
    auto* s = new (storage) RecordedString(short_secret(), RecordingAllocator<char>(&log));
    REQUIRE(s->view() == short_secret());
    const auto* where = reinterpret_cast<const unsigned char*>(s->data());
    CHECK((where < storage || where >= storage + sizeof storage));
    CHECK_FALSE(contains(storage, sizeof storage, short_secret()));
    s->~RecordedString();

    CHECK_FALSE(contains(storage, sizeof storage, short_secret()));
    CHECK(log.allocations == 1);
    CHECK(log.deallocations == 1);
    CHECK(log.returned_dirty == 0);
}

TEST_CASE("a growing secret string wipes each buffer it leaves", "[secure]") {
    AllocationLog log;
    {
        RecordedString s{std::string_view(), RecordingAllocator<char>(&log)};
        for (int i = 0; i < 500; ++i) s.push_back(static_cast<char>('a' + i % 26));
        CHECK(s.size() == 500);
        CHECK(s.c_str()[500] == '\0');
        CHECK(log.allocations > 2);
        CHECK(log.deallocations == log.allocations - 1);
        CHECK(log.returned_dirty == 0);
    }
    CHECK(log.deallocations == log.allocations);
    CHECK(log.returned_dirty == 0);
}

TEST_CASE("clearing or reassigning a secret string wipes the old characters", "[secure]") {
    AllocationLog log;
    RecordedString s{"a fairly long secret password", RecordingAllocator<char>(&log)};
    const size_t capacity = s.capacity();
    const char* buffer = s.data();

    s.assign("short");
    CHECK(s.view() == "short");
    CHECK(s.data() == buffer);
    CHECK(all_zero(buffer + 6, capacity + 1 - 6));

    s.clear();
    CHECK(s.empty());
    CHECK(s.data() == buffer);
    CHECK(all_zero(buffer, capacity + 1));
}

TEST_CASE("copies and moves of a secret string each wipe what they own", "[secure]") {
    AllocationLog log;
    {
        RecordedString a{short_secret(), RecordingAllocator<char>(&log)};
        RecordedString b(a);
        CHECK(b.view() == short_secret());
        CHECK(b.data() != a.data());
        RecordedString c(std::move(a));
        CHECK(a.empty());
        CHECK(c.view() == short_secret());
        b = std::move(c);
        CHECK(b.view() == short_secret());
        CHECK(c.empty());
        a = b;
        CHECK(a.view() == short_secret());
    }
    CHECK(log.allocations == log.deallocations);
    CHECK(log.returned_dirty == 0);
}

TEST_CASE("a secret string appended or assigned from its own characters", "[secure]") {
    AllocationLog log;
    {
        RecordedString s{"0123456789", RecordingAllocator<char>(&log)};
        // Grows past its capacity: the tail is read before the old buffer goes.
        while (s.size() < 200) s.append(s.view());
        CHECK(s.size() == 320);
        CHECK(s.view().substr(300) == "01234567890123456789");
        s.assign(s.view().substr(15, 5));
        CHECK(s.view() == "56789");
        CHECK(all_zero(s.data() + 5, s.capacity() + 1 - 5));
    }
    CHECK(log.allocations == log.deallocations);
    CHECK(log.returned_dirty == 0);
}

TEST_CASE("SecureString compares, views and converts like text", "[secure]") {
    const SecureString s("hunter2");
    CHECK(s == "hunter2");
    CHECK_FALSE(s == "hunter3");
    CHECK_FALSE(s == "hunter");
    CHECK(std::string_view(s) == "hunter2");
    CHECK(std::strlen(s.c_str()) == 7);
    const SecureString empty;
    CHECK(empty.empty());
    CHECK(*empty.c_str() == '\0');
    CHECK(empty == "");

    const SecureBytes utf16 = utf8_to_utf16le_secret("p\xc3\xa4");
    CHECK(std::vector<uint8_t>(utf16.begin(), utf16.end()) == std::vector<uint8_t>{'p', 0, 0xe4, 0});
    CHECK(to_upper_utf8_secret("p\xc3\xa4ss") == "P\xc3\x84SS");
}
