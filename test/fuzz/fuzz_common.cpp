#include "fuzz_common.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace gssneg::fuzz {

namespace {

uint64_t g_random_state = 0;

// splitmix64: cheap, and good enough to make keys and challenges differ.
uint64_t next_random() noexcept {
    uint64_t z = (g_random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr std::array<uint8_t, 16> fixed_bindings = {0x6b, 0x1f, 0x30, 0x8c, 0x52, 0x0e, 0x91, 0xa4,
                                                    0x3d, 0x77, 0xc2, 0x05, 0xe8, 0x49, 0xb6, 0x13};

class UserFile final {
public:
    UserFile() {
        char name[] = "/tmp/gssneg-fuzz-users-XXXXXX";
        const int fd = mkstemp(name);
        if (fd < 0) std::abort();
        close(fd);
        m_path = name;
        std::ofstream out(m_path);
        out << "# users of the fuzz targets\n"
            << domain << ':' << user << ':' << password << '\n'
            << "EXAMPLE\\bob:1001:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:"
               "8846F7EAEE8FB117AD06BDD830B7586C:[U          ]:LCT-00000000:\n"
            << ":carol:a much longer password than fourteen characters\n";
        if (!out) std::abort();
    }
    ~UserFile() { std::remove(m_path.c_str()); }
    const std::string& path() const noexcept { return m_path; }

private:
    std::string m_path;
};

}  // namespace

void reset_random() noexcept { g_random_state = 0x5eed; }

const std::string& user_file() {
    static const UserFile file;
    return file.path();
}

std::shared_ptr<const Config> config() {
    static const std::shared_ptr<const Config> cfg = [] {
        auto c = std::make_shared<Config>();
        c->user_file = user_file();
        c->netbios_domain = domain;
        c->netbios_computer = "SERVER";
        c->dns_domain = "example.com";
        c->dns_computer = "server.example.com";
        c->workstation = "CLIENT";
        c->allow_anonymous = true;
        return std::shared_ptr<const Config>(std::move(c));
    }();
    return cfg;
}

std::shared_ptr<const ntlm::Credential> acceptor_credential() {
    static const auto cred = ntlm::Credential::acquire(nullptr, ntlm::CredUsage::accept, {}, *config());
    return cred;
}

std::shared_ptr<const ntlm::Credential> initiator_credential() {
    static const auto cred = [] {
        ntlm::CredStoreOptions store;
        store.password = SecureString(password);
        const ntlm::Name name = ntlm::Name::user(std::string(domain) + "\\" + user);
        return ntlm::Credential::acquire(&name, ntlm::CredUsage::initiate, store, *config());
    }();
    return cred;
}

ntlm::ClientParams client_params(int lm_compat_level) {
    ntlm::ClientParams p;
    p.gss_req_flags = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    p.target = ntlm::Name::hostbased(target);
    p.channel_bindings = fixed_bindings;
    p.lm_compat_level = lm_compat_level;
    return p;
}

ntlm::ServerParams server_params(bool with_channel_bindings) {
    ntlm::ServerParams p;
    if (with_channel_bindings) p.channel_bindings = fixed_bindings;
    p.config = config();
    return p;
}

}  // namespace gssneg::fuzz

// crypto::random_bytes draws from OpenSSL's RAND_bytes_ex. Defining it in the
// fuzz program makes the static link bind the core library's calls here
// instead of to libcrypto: server challenges, client challenges and session
// keys become a fixed sequence (from reset_random()), so a captured
// AUTHENTICATE passes the acceptor's NTProofStr check on every run and each
// crash input replays. Never link this file into anything but test programs.
extern "C" int RAND_bytes_ex(OSSL_LIB_CTX*, unsigned char* buf, size_t num, unsigned int) {
    for (size_t i = 0; i < num; i += 8) {
        const uint64_t v = gssneg::fuzz::next_random();
        for (size_t j = 0; j < 8 && i + j < num; ++j) buf[i + j] = static_cast<unsigned char>(v >> (8 * j));
    }
    return 1;
}
