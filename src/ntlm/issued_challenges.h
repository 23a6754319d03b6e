// The server challenges that acceptors of this process have sent and whose
// AUTHENTICATE has not come yet. An initiator handed one of them in a
// CHALLENGE is either talking to an acceptor of its own process (a
// loopback) or the victim of a reflection: an attacker opened a context
// with the acceptor and relays its CHALLENGE to a local initiator, to send
// that initiator's AUTHENTICATE back as a logon of its own. On the wire the
// two look the same (the attacker relays the victim's own NEGOTIATE); what
// differs is whom the initiator meant to reach. Windows makes the same
// check across its host; this one covers the process.
#pragma once

#include "ntlm/challenge_message.h"
#include "ntlm/name.h"
#include "util/config.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace gssneg::ntlm {

class IssuedChallenges final {
public:
    using Clock = std::chrono::steady_clock;

    static IssuedChallenges& process();

    // An acceptor (known as service, a host-based name, when its
    // credential names one) sent challenge; it stays known until forget()
    // or until expires, whichever comes first.
    void remember(const Challenge8& challenge, const std::optional<Name>& service, Clock::time_point expires);
    void forget(const Challenge8& challenge) noexcept;
    // Whether an acceptor of this process issued challenge and still waits
    // for its answer; then service is set to its name, if it has one.
    bool issued(const Challenge8& challenge, std::optional<Name>& service);

    size_t size_for_tests();

    // Whether an initiator aiming at target reaches the acceptor that
    // issued a challenge (known as service, or nameless): the names agree,
    // or, for an acceptor that takes any service, target's host is this
    // host (no host, localhost, a loopback address, or one of the names
    // config gives the host).
    static bool reaches(const Name& target, const std::optional<Name>& service, const Config& config);

private:
    struct Entry {
        Clock::time_point expires;
        std::optional<Name> service;
    };
    // Acceptors on many threads each add and remove an entry per
    // handshake: the table is split by the challenge's (random) low bits,
    // each part with its own lock on its own cache line.
    struct alignas(64) Shard {
        std::mutex mutex;
        std::unordered_map<uint64_t, Entry> entries;
        size_t sweep_at = 64;
    };
    static constexpr size_t shard_count = 16;

    static uint64_t key_of(const Challenge8& challenge) noexcept;
    Shard& shard_of(uint64_t key) noexcept { return m_shards[key % shard_count]; }

    std::array<Shard, shard_count> m_shards;
};

}  // namespace gssneg::ntlm
