// Secrets left in memory, through the real mechglue. An initiator with a
// password credential (from gss_acquire_cred_with_password, and for NTLM
// also from gss_acquire_cred_from's "password" key) logs on to an acceptor
// whose user file holds the same password in plain text, over NTLM and over
// Negotiate; the contexts sign and seal, and (Negotiate) travel by export
// and import; then everything is deleted and released. The process's
// writable memory (/proc/self/maps, read through /proc/self/mem: the heap,
// free chunks included, anonymous maps and the writable data of every
// loaded object) must then hold none of: the password in UTF-8, upper-cased
// or in UTF-16LE; its NTOWFv2; any context's session key or the four sign
// and seal keys derived from it. Once the user file has changed and been
// read again, the password's NT hash must be gone too.
//
// The test keeps every secret XOR-masked and compares memory against the
// masked form, so that its own copies are never found; a secret is unmasked
// only into a buffer handed to a call, and wiped straight after it. The
// main thread's stack is not scanned: what dead frames keep (spilled
// registers, a callee's locals, in OpenSSL as much as here) is the
// compiler's choice, not something a caller can wipe.
//
// Links the mechglue (and libcrypto, to derive the keys it looks for);
// GSS_MECH_CONFIG names the build tree's mech file (or GSSNEG_OURS_MECH
// another one).

#include <catch2/catch.hpp>

extern "C" {
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
}

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

gss_OID_desc ntlm_oid = {10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};
gss_OID_desc spnego_oid = {6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};

constexpr const char* user_name = "alice";
const std::string nt_hash_name = "NT hash";
constexpr const char* domain_name = "SECRETS";
constexpr OM_uint32 all_flags = GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;

// ---- Secrets kept masked ----

// Plain bytes of a secret, only for as long as a call needs them.
class ClearText final {
public:
    explicit ClearText(size_t n) : m_bytes(n) {}
    ClearText(const ClearText&) = delete;
    ClearText& operator=(const ClearText&) = delete;
    ~ClearText() { explicit_bzero(m_bytes.data(), m_bytes.size()); }
    unsigned char* data() noexcept { return m_bytes.data(); }
    size_t size() const noexcept { return m_bytes.size(); }

private:
    Bytes m_bytes;
};

class Masked final {
public:
    // Takes the secret from p and wipes p.
    Masked(std::string name, unsigned char* p, size_t n) : m_name(std::move(name)), m_masked(n), m_mask(n) {
        REQUIRE(getrandom(m_mask.data(), n, 0) == static_cast<ssize_t>(n));
        for (size_t i = 0; i < n; ++i) {
            if (m_mask[i] == 0) m_mask[i] = 0x5a;
            m_masked[i] = p[i] ^ m_mask[i];
        }
        explicit_bzero(p, n);
    }
    Masked(std::string name, Bytes masked, Bytes mask)
        : m_name(std::move(name)), m_masked(std::move(masked)), m_mask(std::move(mask)) {}

    const std::string& name() const noexcept { return m_name; }
    size_t size() const noexcept { return m_masked.size(); }
    unsigned char first() const noexcept { return m_masked[0] ^ m_mask[0]; }
    bool at(const unsigned char* p) const noexcept {
        unsigned char differ = 0;
        for (size_t i = 0; i < m_masked.size(); ++i) differ |= static_cast<unsigned char>(p[i] ^ m_mask[i] ^ m_masked[i]);
        return differ == 0;
    }
    void reveal(unsigned char* out) const noexcept {
        for (size_t i = 0; i < m_masked.size(); ++i) out[i] = m_masked[i] ^ m_mask[i];
    }

private:
    std::string m_name;
    Bytes m_masked;
    Bytes m_mask;
};

// The password, masked at compile time so that the program carries no
// plain copy. At most 14 characters (so the user file entry has an LM hash
// too) and short enough for std::string's inline buffer, where the former
// SecureString kept it out of its allocator's reach.
template <size_t N>
struct MaskedLiteral {
    std::array<unsigned char, N - 1> masked{};
    std::array<unsigned char, N - 1> mask{};
};

template <size_t N>
consteval MaskedLiteral<N> mask_literal(const char (&text)[N]) {
    MaskedLiteral<N> out;
    for (size_t i = 0; i + 1 < N; ++i) {
        out.mask[i] = static_cast<unsigned char>(0xa5 ^ (i * 29 + 7));
        out.masked[i] = static_cast<unsigned char>(text[i]) ^ out.mask[i];
    }
    return out;
}

constexpr auto password_literal = mask_literal("Xy7-qQ2zk!wP");

Masked password() {
    return Masked("password (UTF-8)", Bytes(password_literal.masked.begin(), password_literal.masked.end()),
                  Bytes(password_literal.mask.begin(), password_literal.mask.end()));
}

// Another form of the password, made from its plain bytes by convert.
template <typename Convert>
Masked password_form(const std::string& name, Convert convert) {
    const Masked pw = password();
    ClearText clear(pw.size());
    pw.reveal(clear.data());
    Bytes form = convert(clear.data(), clear.size());
    Masked out(name, form.data(), form.size());
    return out;
}

Bytes utf16le(const unsigned char* p, size_t n) {
    Bytes out;
    out.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(p[i]);
        out.push_back(0);
    }
    return out;
}

// ---- Keys the test derives itself ----

void md5(std::initializer_list<std::pair<const void*, size_t>> parts, unsigned char out[16]) {
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    REQUIRE(c != nullptr);
    bool ok = EVP_DigestInit_ex(c, EVP_md5(), nullptr) == 1;
    for (const auto& [p, n] : parts) ok = ok && EVP_DigestUpdate(c, p, n) == 1;
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(c, out, &len) == 1 && len == 16;
    EVP_MD_CTX_free(c);
    REQUIRE(ok);
}

// The sign and seal keys of a session with extended session security and
// 128-bit keys (MS-NLMP 3.4.5.2, 3.4.5.3), masked; wipes key.
std::vector<Masked> session_keys(const std::string& what, unsigned char key[16]) {
    static const char* const magic[] = {
        "session key to client-to-server signing key magic constant",
        "session key to server-to-client signing key magic constant",
        "session key to client-to-server sealing key magic constant",
        "session key to server-to-client sealing key magic constant",
    };
    static const char* const names[] = {"client sign key", "server sign key", "client seal key", "server seal key"};
    std::vector<Masked> out;
    for (size_t i = 0; i < 4; ++i) {
        unsigned char derived[16];
        md5({{key, 16}, {magic[i], std::strlen(magic[i]) + 1}}, derived);
        out.emplace_back(what + " " + names[i], derived, sizeof derived);
    }
    out.emplace_back(what + " session key", key, 16);
    return out;
}

// NTOWFv1 and NTOWFv2 (MS-NLMP 3.3.1, 3.3.2), or nothing without MD4.
std::vector<Masked> password_hashes() {
    OSSL_LIB_CTX* lib = OSSL_LIB_CTX_new();
    OSSL_PROVIDER* legacy = lib != nullptr ? OSSL_PROVIDER_load(lib, "legacy") : nullptr;
    EVP_MD* md4 = legacy != nullptr ? EVP_MD_fetch(lib, "MD4", nullptr) : nullptr;
    std::vector<Masked> out;
    if (md4 != nullptr) {
        const Masked wide = password_form("", utf16le);
        ClearText clear(wide.size());
        wide.reveal(clear.data());
        unsigned char nt[16];
        unsigned int len = 0;
        REQUIRE(EVP_Digest(clear.data(), clear.size(), nt, &len, md4, nullptr) == 1);
        std::string upper_user_domain;
        for (const char* c = user_name; *c != '\0'; ++c) upper_user_domain += static_cast<char>(std::toupper(*c));
        upper_user_domain += domain_name;
        const Bytes name = utf16le(reinterpret_cast<const unsigned char*>(upper_user_domain.data()),
                                   upper_user_domain.size());
        unsigned char ntowf2[16];
        REQUIRE(HMAC(EVP_md5(), nt, 16, name.data(), name.size(), ntowf2, &len) != nullptr);
        out.emplace_back(nt_hash_name, nt, sizeof nt);
        out.emplace_back("NTOWFv2", ntowf2, sizeof ntowf2);
    } else {
        WARN("no MD4 in OpenSSL's legacy provider: the NT hash and NTOWFv2 are not looked for");
    }
    EVP_MD_free(md4);
    if (legacy != nullptr) OSSL_PROVIDER_unload(legacy);
    OSSL_LIB_CTX_free(lib);
    return out;
}

// ---- Scanning ----

// The scan allocates nothing on the heap: a freed chunk that still holds a
// secret must not be handed out to the scanner and overwritten before it is
// read. Everything it uses lives in one private mapping, left out of the
// scan; findings go there too and become strings afterwards.
class Scanner final {
public:
    static constexpr size_t chunk = 1 << 20;
    static constexpr size_t maps_capacity = 1 << 20;
    static constexpr size_t max_findings = 64;
    static constexpr size_t finding_size = 128;

    // longest_secret bounds the secrets' sizes (one that is longer is
    // reported as found).
    explicit Scanner(size_t longest_secret) : m_overlap(longest_secret) {
        m_size = maps_capacity + chunk + m_overlap + max_findings * finding_size;
        void* p = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(p != MAP_FAILED);
        m_base = static_cast<unsigned char*>(p);
        m_maps = reinterpret_cast<char*>(m_base);
        m_buffer = m_base + maps_capacity;
        m_findings = reinterpret_cast<char*>(m_buffer + chunk + m_overlap);
    }
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;
    ~Scanner() { munmap(m_base, m_size); }

    // Every writable mapping but the stack, the kernel's pages and the
    // scanner's own, for each secret but the one named except; returns how
    // many bytes were read.
    size_t scan(const std::vector<Masked>& secrets, const std::string& except = {}) {
        m_found = 0;
        m_lost = 0;
        const int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        const int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
        if (maps < 0 || mem < 0) return 0;
        size_t length = 0;
        for (ssize_t n; length + 1 < maps_capacity &&
                        (n = read(maps, m_maps + length, maps_capacity - 1 - length)) > 0;)
            length += static_cast<size_t>(n);
        m_maps[length] = '\0';
        close(maps);

        size_t scanned = 0;
        for (char* line = m_maps; *line != '\0';) {
            char* eol = std::strchr(line, '\n');
            if (eol != nullptr) *eol = '\0';
            unsigned long start = 0, stop = 0;
            char perms[5] = {};
            int name_at = 0;
            if (std::sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &stop, perms, &name_at) >= 3 &&
                perms[0] == 'r' && perms[1] == 'w') {
                const char* name = name_at > 0 ? line + name_at : "";
                if (*name == '\0') name = "anonymous";
                if (std::strcmp(name, "[stack]") != 0 && std::strcmp(name, "[vvar]") != 0 &&
                    std::strcmp(name, "[vsyscall]") != 0)
                    scanned += scan_range(mem, start, stop, name, secrets, except);
            }
            if (eol == nullptr) break;
            line = eol + 1;
        }
        close(mem);
        return scanned;
    }

    std::vector<std::string> findings() const {
        std::vector<std::string> out;
        for (size_t i = 0; i < m_found; ++i) out.emplace_back(m_findings + i * finding_size);
        if (m_lost > 0) out.push_back(std::to_string(m_lost) + " more");
        return out;
    }

private:
    // [start, stop) without the scanner's own mapping (the kernel may have
    // merged it with a neighbour).
    size_t scan_range(int mem, uintptr_t start, uintptr_t stop, const char* name, const std::vector<Masked>& secrets,
                      const std::string& except) {
        const auto own_start = reinterpret_cast<uintptr_t>(m_base);
        const uintptr_t own_stop = own_start + m_size;
        if (start < own_stop && own_start < stop) {
            size_t n = 0;
            if (start < own_start) n += scan_range(mem, start, own_start, name, secrets, except);
            if (own_stop < stop) n += scan_range(mem, own_stop, stop, name, secrets, except);
            return n;
        }
        size_t scanned = 0;
        for (uintptr_t at = start; at < stop; at += chunk) {
            // Each read runs past the chunk by the longest secret, so that a
            // secret across the boundary is seen (and reported once).
            const size_t want = std::min<uintptr_t>(chunk + m_overlap, stop - at);
            const ssize_t got = pread(mem, m_buffer, want, static_cast<off_t>(at));
            if (got <= 0) break;
            const auto n = static_cast<size_t>(got);
            const size_t starts = std::min(n, chunk);
            scanned += starts;
            for (const Masked& s : secrets) {
                if (s.size() > m_overlap) record(s.name(), "(longer than the scanner's overlap)", 0);
                if (n < s.size() || s.name() == except) continue;
                const unsigned char first = s.first();
                const size_t last = std::min(starts, n - s.size() + 1);
                for (size_t i = 0; i < last; ++i) {
                    const void* hit = std::memchr(m_buffer + i, first, last - i);
                    if (hit == nullptr) break;
                    i = static_cast<size_t>(static_cast<const unsigned char*>(hit) - m_buffer);
                    if (s.at(m_buffer + i)) record(s.name(), name, at - start + i);
                }
            }
        }
        return scanned;
    }

    void record(const std::string& secret, const char* region, uintptr_t offset) {
        if (m_found == max_findings) {
            ++m_lost;
            return;
        }
        std::snprintf(m_findings + m_found * finding_size, finding_size, "%s in %s+0x%lx", secret.c_str(), region,
                      static_cast<unsigned long>(offset));
        ++m_found;
    }

    size_t m_overlap;
    size_t m_size = 0;
    unsigned char* m_base = nullptr;
    char* m_maps = nullptr;
    unsigned char* m_buffer = nullptr;
    char* m_findings = nullptr;
    size_t m_found = 0;
    size_t m_lost = 0;
};

// ---- The GSS side ----

void write_file(const std::string& path, const unsigned char* p, size_t n) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, p, n) == static_cast<ssize_t>(n));
    close(fd);
}

// "SECRETS:alice:<password>\n", written straight from a wiped buffer (an
// ofstream would keep the text in its own buffer).
void write_user_file(const std::string& path) {
    const Masked pw = password();
    const std::string head = std::string(domain_name) + ":" + user_name + ":";
    ClearText line(head.size() + pw.size() + 1);
    std::memcpy(line.data(), head.data(), head.size());
    pw.reveal(line.data() + head.size());
    line.data()[line.size() - 1] = '\n';
    write_file(path, line.data(), line.size());
}

gss_name_t import(const std::string& text, gss_OID type) {
    OM_uint32 minor = 0;
    gss_buffer_desc b{text.size(), const_cast<char*>(text.data())};
    gss_name_t out = GSS_C_NO_NAME;
    REQUIRE(gss_import_name(&minor, &b, type, &out) == GSS_S_COMPLETE);
    return out;
}

gss_cred_id_t password_cred(gss_OID mech) {
    OM_uint32 minor = 0;
    gss_name_t user = import(std::string(domain_name) + "\\" + user_name, GSS_C_NT_USER_NAME);
    const Masked pw = password();
    ClearText clear(pw.size());
    pw.reveal(clear.data());
    gss_buffer_desc buf{clear.size(), clear.data()};
    gss_OID_set_desc mechs{1, mech};
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    const OM_uint32 major = gss_acquire_cred_with_password(&minor, user, &buf, GSS_C_INDEFINITE, &mechs,
                                                           GSS_C_INITIATE, &cred, nullptr, nullptr);
    gss_release_name(&minor, &user);
    REQUIRE(major == GSS_S_COMPLETE);
    return cred;
}

// The same through gss_acquire_cred_from's "password" key.
gss_cred_id_t store_password_cred(gss_OID mech) {
    OM_uint32 minor = 0;
    gss_name_t user = import(std::string(domain_name) + "\\" + user_name, GSS_C_NT_USER_NAME);
    const Masked pw = password();
    ClearText value(pw.size() + 1);
    pw.reveal(value.data());
    value.data()[pw.size()] = '\0';
    gss_key_value_element_desc element{"password", reinterpret_cast<const char*>(value.data())};
    gss_key_value_set_desc store{1, &element};
    gss_OID_set_desc mechs{1, mech};
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    const OM_uint32 major = gss_acquire_cred_from(&minor, user, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store,
                                                  &cred, nullptr, nullptr);
    gss_release_name(&minor, &user);
    REQUIRE(major == GSS_S_COMPLETE);
    return cred;
}

struct Pair {
    gss_ctx_id_t ini = GSS_C_NO_CONTEXT;
    gss_ctx_id_t acc = GSS_C_NO_CONTEXT;
};

Pair establish(gss_OID mech, gss_cred_id_t cred) {
    OM_uint32 minor = 0;
    gss_name_t target = import("host@localhost", GSS_C_NT_HOSTBASED_SERVICE);
    Pair p;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 imajor = GSS_S_CONTINUE_NEEDED, amajor = GSS_S_CONTINUE_NEEDED;
    for (int leg = 0; leg < 6 && (imajor == GSS_S_CONTINUE_NEEDED || amajor == GSS_S_CONTINUE_NEEDED); ++leg) {
        if (imajor == GSS_S_CONTINUE_NEEDED) {
            imajor = gss_init_sec_context(&minor, cred, &p.ini, target, mech, all_flags, 0,
                                          GSS_C_NO_CHANNEL_BINDINGS, &in, nullptr, &out, nullptr, nullptr);
            gss_release_buffer(&minor, &in);
            REQUIRE_FALSE(GSS_ERROR(imajor));
        }
        if (out.length == 0) break;
        amajor = gss_accept_sec_context(&minor, &p.acc, GSS_C_NO_CREDENTIAL, &out, GSS_C_NO_CHANNEL_BINDINGS,
                                        nullptr, nullptr, &in, nullptr, nullptr, nullptr);
        gss_release_buffer(&minor, &out);
        REQUIRE_FALSE(GSS_ERROR(amajor));
        if (in.length == 0) break;
    }
    gss_release_name(&minor, &target);
    REQUIRE(imajor == GSS_S_COMPLETE);
    REQUIRE(amajor == GSS_S_COMPLETE);
    return p;
}

// The session key (GSS_C_INQ_SSPI_SESSION_KEY) and the keys derived from
// it, masked; the returned buffer is wiped before it is released.
std::vector<Masked> keys_of(gss_ctx_id_t ctx, const std::string& what) {
    OM_uint32 minor = 0;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    REQUIRE(gss_inquire_sec_context_by_oid(&minor, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set) == GSS_S_COMPLETE);
    REQUIRE(set != GSS_C_NO_BUFFER_SET);
    REQUIRE(set->count >= 1);
    REQUIRE(set->elements[0].length == 16);
    unsigned char key[16];
    std::memcpy(key, set->elements[0].value, 16);
    for (size_t i = 0; i < set->count; ++i) explicit_bzero(set->elements[i].value, set->elements[i].length);
    gss_release_buffer_set(&minor, &set);
    return session_keys(what, key);
}

void exchange_messages(const Pair& p) {
    OM_uint32 minor = 0;
    for (const auto& [from, to] : {std::pair{p.ini, p.acc}, std::pair{p.acc, p.ini}}) {
        std::string text = "a message sealed for the other side";
        gss_buffer_desc msg{text.size(), text.data()};
        gss_buffer_desc sealed = GSS_C_EMPTY_BUFFER, opened = GSS_C_EMPTY_BUFFER;
        int conf = 0;
        REQUIRE(gss_wrap(&minor, from, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &sealed) == GSS_S_COMPLETE);
        CHECK(conf == 1);
        REQUIRE(gss_unwrap(&minor, to, &sealed, &opened, &conf, nullptr) == GSS_S_COMPLETE);
        CHECK(std::string(static_cast<char*>(opened.value), opened.length) == text);
        gss_release_buffer(&minor, &sealed);
        gss_release_buffer(&minor, &opened);
        gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
        REQUIRE(gss_get_mic(&minor, from, GSS_C_QOP_DEFAULT, &msg, &mic) == GSS_S_COMPLETE);
        REQUIRE(gss_verify_mic(&minor, to, &msg, &mic, nullptr) == GSS_S_COMPLETE);
        gss_release_buffer(&minor, &mic);
    }
}

// MIT's gss_export_sec_context copies the mechanism's token into the
// application's and frees the mechanism's with free(), unwiped
// (g_exp_sec_context.c): a copy the mechanism cannot reach. glibc hands
// the last chunk freed of a size back to the next request of that size, so
// the test asks for it and wipes it when it holds the token (its first 16
// bytes are malloc's bookkeeping by then); what the scan finds afterwards
// is the module's doing.
void wipe_mechglue_copy(const gss_buffer_desc& token) {
    REQUIRE(token.length > 4);
    const auto* t = static_cast<const unsigned char*>(token.value);
    const size_t oid_length = static_cast<size_t>(t[0]) << 24 | t[1] << 16 | t[2] << 8 | t[3];
    REQUIRE(token.length > 4 + oid_length + 16);
    const size_t inner = token.length - 4 - oid_length;
    auto* chunk = static_cast<unsigned char*>(std::malloc(inner));
    REQUIRE(chunk != nullptr);
    const bool is_copy = std::memcmp(chunk + 16, t + 4 + oid_length + 16, inner - 16) == 0;
    explicit_bzero(chunk, inner);
    std::free(chunk);
    if (!is_copy) WARN("the mechglue's copy of the exported token was not handed back by malloc");
}

// Exports both contexts and imports them again; the tokens are wiped
// before they are released.
Pair transfer(Pair p) {
    OM_uint32 minor = 0;
    Pair out;
    for (auto [from, to] : {std::pair{&p.ini, &out.ini}, std::pair{&p.acc, &out.acc}}) {
        gss_buffer_desc token = GSS_C_EMPTY_BUFFER;
        REQUIRE(gss_export_sec_context(&minor, from, &token) == GSS_S_COMPLETE);
        wipe_mechglue_copy(token);
        CHECK(*from == GSS_C_NO_CONTEXT);
        const OM_uint32 major = gss_import_sec_context(&minor, &token, to);
        explicit_bzero(token.value, token.length);
        gss_release_buffer(&minor, &token);
        REQUIRE(major == GSS_S_COMPLETE);
    }
    return out;
}

void delete_pair(Pair& p) {
    OM_uint32 minor = 0;
    gss_delete_sec_context(&minor, &p.ini, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &p.acc, GSS_C_NO_BUFFER);
}

struct TempDir {
    TempDir() {
        char tmpl[] = "/tmp/gssneg-secrets-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        for (const char* f : {"/users", "/krb5.conf"}) std::remove((path + f).c_str());
        rmdir(path.c_str());
    }
    std::string path;
};

}  // namespace

TEST_CASE("no password, hash or key is left in memory after logons, transfers and releases", "[secrets]") {
#if defined(__SANITIZE_ADDRESS__)
    // ASan keeps freed chunks in its quarantine, maps its shadow over
    // terabytes and has its own allocator: the scan would neither finish
    // nor mean what it means with glibc's malloc.
    // tools/run-tests leaves the memory-scan suite out of its ASan stage.
    FAIL("built with AddressSanitizer: run this test from a build without it");
#endif
    // glibc filling freed chunks (meson test sets MALLOC_PERTURB_ unless the
    // test's environment says 0) would wipe what the module left.
    {
        const char* perturb = std::getenv("MALLOC_PERTURB_");
        INFO("MALLOC_PERTURB_ must be unset or 0 for freed chunks to keep what the module left in them");
        REQUIRE((perturb == nullptr || std::atoi(perturb) == 0));
    }
    const char* mech_file = std::getenv("GSSNEG_OURS_MECH");
    if (mech_file == nullptr) mech_file = std::getenv("GSSNEG_BUILD_MECH");
    REQUIRE(mech_file != nullptr);
    const TempDir dir;
    const std::string users = dir.path + "/users";
    write_user_file(users);
    // No Kerberos: Negotiate goes to NTLM, and krb5 never sees the password
    // (without a default realm it cannot import the user's name).
    write_file(dir.path + "/krb5.conf", nullptr, 0);
    setenv("GSS_MECH_CONFIG", mech_file, 1);
    setenv("NTLM_USER_FILE", users.c_str(), 1);
    setenv("KRB5_CONFIG", (dir.path + "/krb5.conf").c_str(), 1);
    setenv("KRB5CCNAME", ("FILE:" + dir.path + "/no-ccache").c_str(), 1);
    setenv("KRB5_CLIENT_KTNAME", (dir.path + "/no-client-keytab").c_str(), 1);
    setenv("KRB5_KTNAME", (dir.path + "/no-keytab").c_str(), 1);

    // Every secret looked for, masked, made before anything is released so
    // that no allocation of the test's lands on a freed chunk in between.
    std::vector<Masked> secrets;
    secrets.reserve(32);
    secrets.push_back(password());
    secrets.push_back(password_form("password (upper case)", [](const unsigned char* p, size_t n) {
        Bytes out(p, p + n);
        for (auto& c : out) c = static_cast<unsigned char>(std::toupper(c));
        return out;
    }));
    secrets.push_back(password_form("password (UTF-16LE)", utf16le));
    const auto keep = [&secrets](std::vector<Masked> more) {
        for (Masked& m : more) secrets.push_back(std::move(m));
    };
    keep(password_hashes());
    Scanner scanner(64);

    {
        gss_cred_id_t cred = password_cred(&ntlm_oid);
        Pair p = establish(&ntlm_oid, cred);
        keep(keys_of(p.ini, "NTLM"));
        exchange_messages(p);
        delete_pair(p);
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &cred);
    }
    {
        gss_cred_id_t cred = store_password_cred(&ntlm_oid);
        Pair p = establish(&ntlm_oid, cred);
        keep(keys_of(p.ini, "NTLM (credential store)"));
        delete_pair(p);
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &cred);
    }
    {
        gss_cred_id_t cred = password_cred(&spnego_oid);
        Pair p = establish(&spnego_oid, cred);
        keep(keys_of(p.ini, "Negotiate"));
        exchange_messages(p);
        Pair moved = transfer(p);
        exchange_messages(moved);
        delete_pair(moved);
        OM_uint32 minor = 0;
        gss_release_cred(&minor, &cred);
    }

    // The user file still has the entry made from the password, so its NT
    // hash is looked for only once the file has changed.
    CHECK(scanner.scan(secrets, nt_hash_name) > 0);
    const std::vector<std::string> found = scanner.findings();
    for (const std::string& f : found) UNSCOPED_INFO("after the releases: " << f);
    CHECK(found.empty());

    // The user file changes: once the database looks again (at most a
    // second later), the entry made from the password is gone.
    const std::string other = "OTHER:bob:an-unrelated-password\n";
    write_file(users, reinterpret_cast<const unsigned char*>(other.data()), other.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    {
        OM_uint32 minor = 0;
        gss_name_t bob = import("OTHER\\bob", GSS_C_NT_USER_NAME);
        gss_OID_set_desc mechs{1, &ntlm_oid};
        gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
        CHECK(gss_acquire_cred(&minor, bob, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &cred, nullptr, nullptr) ==
              GSS_S_COMPLETE);
        gss_release_cred(&minor, &cred);
        gss_release_name(&minor, &bob);
    }
    CHECK(scanner.scan(secrets) > 0);
    const std::vector<std::string> found_later = scanner.findings();
    for (const std::string& f : found_later) UNSCOPED_INFO("after the user file changed: " << f);
    CHECK(found_later.empty());
}
