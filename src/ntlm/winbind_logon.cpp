#include "ntlm/winbind_logon.h"

#include "crypto/crypto.h"
#include "util/ct.h"
#include "util/dl.h"
#include "util/trace.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <new>
#include <vector>

#if __has_include(<wbclient.h>)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
// wbclient.h has no extern "C" of its own and uses <stdint.h> types
// without including it.
#include <cstdint>
extern "C" {
#include <wbclient.h>
}
#pragma GCC diagnostic pop
#define GSSNEG_HAVE_WBCLIENT 1
#else
#define GSSNEG_HAVE_WBCLIENT 0
#endif

namespace gssneg::ntlm {

namespace {

struct NtStatus {
    uint32_t value;
    const char* name;  // Windows' name (MS-ERREF 2.3.1)
    DomainRefusal refusal;
};

constexpr DomainRefusal unknown{GSS_S_DEFECTIVE_CREDENTIAL, Minor::unknown_user, true};
constexpr DomainRefusal denied(Minor minor) { return {GSS_S_DEFECTIVE_CREDENTIAL, minor}; }
constexpr DomainRefusal expired(Minor minor) { return {GSS_S_CREDENTIALS_EXPIRED, minor}; }
constexpr DomainRefusal no_dc{GSS_S_FAILURE, Minor::domain_controller_unreachable};

// The statuses a domain logon returns, and how each reads. LOGON_FAILURE is
// a wrong password, or a user the domain will not name.
constexpr NtStatus nt_statuses[] = {
    {0xC000005E, "NT_STATUS_NO_LOGON_SERVERS", no_dc},
    {0xC0000064, "NT_STATUS_NO_SUCH_USER", unknown},
    {0xC000006A, "NT_STATUS_WRONG_PASSWORD", denied(Minor::wrong_password)},
    {0xC000006D, "NT_STATUS_LOGON_FAILURE", denied(Minor::wrong_password)},
    {0xC000006E, "NT_STATUS_ACCOUNT_RESTRICTION", denied(Minor::domain_account_restricted)},
    {0xC000006F, "NT_STATUS_INVALID_LOGON_HOURS", denied(Minor::domain_account_restricted)},
    {0xC0000070, "NT_STATUS_INVALID_WORKSTATION", denied(Minor::domain_account_restricted)},
    {0xC0000071, "NT_STATUS_PASSWORD_EXPIRED", expired(Minor::domain_password_expired)},
    {0xC0000072, "NT_STATUS_ACCOUNT_DISABLED", denied(Minor::domain_account_disabled)},
    {0xC00000B5, "NT_STATUS_IO_TIMEOUT", no_dc},
    {0xC00000DF, "NT_STATUS_NO_SUCH_DOMAIN", unknown},
    {0xC000015B, "NT_STATUS_LOGON_TYPE_NOT_GRANTED", denied(Minor::domain_account_restricted)},
    {0xC000018C, "NT_STATUS_TRUSTED_DOMAIN_FAILURE", {GSS_S_FAILURE, Minor::domain_logon_error}},
    {0xC000018D, "NT_STATUS_TRUSTED_RELATIONSHIP_FAILURE", {GSS_S_FAILURE, Minor::domain_logon_error}},
    {0xC0000192, "NT_STATUS_NETLOGON_NOT_STARTED", no_dc},
    {0xC0000193, "NT_STATUS_ACCOUNT_EXPIRED", denied(Minor::domain_account_expired)},
    {0xC0000224, "NT_STATUS_PASSWORD_MUST_CHANGE", expired(Minor::domain_password_must_change)},
    {0xC0000233, "NT_STATUS_DOMAIN_CONTROLLER_NOT_FOUND", no_dc},
    {0xC0000234, "NT_STATUS_ACCOUNT_LOCKED_OUT", denied(Minor::domain_account_locked)},
    {0xC0000236, "NT_STATUS_CONNECTION_REFUSED", no_dc},
    {0xC000023C, "NT_STATUS_NETWORK_UNREACHABLE", no_dc},
    {0xC000023D, "NT_STATUS_HOST_UNREACHABLE", no_dc},
};

const NtStatus* find_nt_status(uint32_t value) noexcept {
    for (const NtStatus& known : nt_statuses)
        if (known.value == value) return &known;
    return nullptr;
}

}  // namespace

std::string nt_status_name(uint32_t nt_status) {
    if (const NtStatus* known = find_nt_status(nt_status)) return known->name;
    char text[32];
    std::snprintf(text, sizeof(text), "NT status 0x%08x", static_cast<unsigned>(nt_status));
    return text;
}

DomainRefusal domain_refusal(uint32_t nt_status) noexcept {
    if (const NtStatus* known = find_nt_status(nt_status)) return known->refusal;
    return {GSS_S_FAILURE, Minor::domain_logon_error};
}

Challenge8 ess_session_challenge(const Challenge8& server_challenge, ByteView lm_response) {
    const auto digest = crypto::md5({server_challenge, lm_response.first(8)});
    Challenge8 out{};
    std::copy_n(digest.begin(), out.size(), out.begin());
    return out;
}

#if GSSNEG_HAVE_WBCLIENT

namespace {

constexpr const char* wbclient_library = "libwbclient.so.0";
// At most this many winbindd connections at once; more callers wait.
constexpr size_t max_connections = 32;
constexpr auto names_lifetime = std::chrono::seconds(60);

// libwbclient's entry points, resolved from the library at run time.
struct WbcApi {
    decltype(&wbcCtxCreate) ctx_create = nullptr;
    decltype(&wbcCtxFree) ctx_free = nullptr;
    decltype(&wbcCtxAuthenticateUserEx) authenticate = nullptr;
    decltype(&wbcCtxPing) ping = nullptr;
    decltype(&wbcCtxInterfaceDetails) interface_details = nullptr;
    decltype(&wbcFreeMemory) free_memory = nullptr;
    decltype(&wbcSidToStringBuf) sid_to_string = nullptr;
    decltype(&wbcErrorString) error_string = nullptr;
    // Optional: without it there is no single sign-on, the backend works.
    decltype(&wbcCtxCredentialCache) credential_cache = nullptr;
};

// Loaded once, never unloaded. nullptr with *why set when unavailable.
const WbcApi* load_wbclient(std::string* why) {
    static std::once_flag once;
    static WbcApi api;
    static const WbcApi* loaded = nullptr;
    static std::string failure;
    std::call_once(once, [] {
        void* library = ::dlopen(wbclient_library, RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) {
            const char* error = ::dlerror();
            failure = error != nullptr ? error : wbclient_library;
            return;
        }
        WbcApi found;
        const bool all = resolve_symbol(library, "wbcCtxCreate", found.ctx_create) &&
                         resolve_symbol(library, "wbcCtxFree", found.ctx_free) &&
                         resolve_symbol(library, "wbcCtxAuthenticateUserEx", found.authenticate) &&
                         resolve_symbol(library, "wbcCtxPing", found.ping) &&
                         resolve_symbol(library, "wbcCtxInterfaceDetails", found.interface_details) &&
                         resolve_symbol(library, "wbcFreeMemory", found.free_memory) &&
                         resolve_symbol(library, "wbcSidToStringBuf", found.sid_to_string) &&
                         resolve_symbol(library, "wbcErrorString", found.error_string);
        if (!all) {
            failure = std::string(wbclient_library) + " lacks the wbcCtx* calls";
            return;
        }
        resolve_symbol(library, "wbcCtxCredentialCache", found.credential_cache);
        api = found;
        loaded = &api;
    });
    if (loaded == nullptr && why != nullptr) *why = failure;
    return loaded;
}

// libwbclient contexts are not thread-safe: each call takes one of at most
// max_connections, kept open between calls.
class ContextPool final {
public:
    explicit ContextPool(const WbcApi& api) : m_api(api) {}

    class Lease final {
    public:
        Lease(ContextPool& pool, wbcContext* context) : m_pool(pool), m_context(context) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { m_pool.give_back(m_context, m_broken); }
        wbcContext* get() const noexcept { return m_context; }
        // The connection failed: close it rather than reuse it.
        void discard() noexcept { m_broken = true; }

    private:
        ContextPool& m_pool;
        wbcContext* m_context;
        bool m_broken = false;
    };

    Lease take() {
        std::unique_lock lock(m_mutex);
        m_available.wait(lock, [&] { return !m_idle.empty() || m_open < max_connections; });
        if (!m_idle.empty()) {
            wbcContext* context = m_idle.back();
            m_idle.pop_back();
            return Lease(*this, context);
        }
        ++m_open;
        lock.unlock();
        wbcContext* context = m_api.ctx_create();
        if (context == nullptr) {
            lock.lock();
            --m_open;
            m_available.notify_one();
            throw std::bad_alloc();
        }
        return Lease(*this, context);
    }

private:
    void give_back(wbcContext* context, bool broken) noexcept {
        {
            const std::lock_guard lock(m_mutex);
            if (broken) {
                --m_open;
            } else {
                m_idle.push_back(context);
                context = nullptr;
            }
        }
        if (context != nullptr) m_api.ctx_free(context);
        m_available.notify_one();
    }

    const WbcApi& m_api;
    std::mutex m_mutex;
    std::condition_variable m_available;
    std::vector<wbcContext*> m_idle;
    size_t m_open = 0;
};

std::string text_or_empty(const char* s) { return s != nullptr ? s : ""; }

template <typename T>
struct WbcFree {
    const WbcApi* api;
    void operator()(T* p) const noexcept {
        if (p != nullptr) api->free_memory(p);
    }
};
template <typename T>
using WbcPtr = std::unique_ptr<T, WbcFree<T>>;

wbcNamedBlob* find_blob(wbcCredentialCacheInfo& info, std::string_view name) noexcept {
    for (size_t i = 0; i < info.num_blobs; ++i)
        if (info.blobs[i].name != nullptr && name == info.blobs[i].name) return &info.blobs[i];
    return nullptr;
}

}  // namespace

struct WinbindLogon::State {
    explicit State(const WbcApi& a) : api(a), pool(a) {}
    const WbcApi& api;
    ContextPool pool;
    std::mutex names_mutex;
    std::optional<DomainNames> names;
    std::chrono::steady_clock::time_point names_expiry{};
};

WinbindLogon::WinbindLogon(std::unique_ptr<State> state) : m_state(std::move(state)) {}
WinbindLogon::~WinbindLogon() = default;

std::shared_ptr<const WinbindLogon> WinbindLogon::shared() {
    std::string why;
    const WbcApi* api = load_wbclient(&why);
    if (api == nullptr) throw GssError(GSS_S_NO_CRED, Minor::winbind_library_missing, why);
    // Built once and never destroyed: idle winbindd connections stay open
    // for the life of the process.
    static const auto* backend =
        new std::shared_ptr<const WinbindLogon>(std::make_shared<WinbindLogon>(std::make_unique<State>(*api)));
    return *backend;
}

std::optional<DomainNames> winbind_domain_names() {
    std::string why;
    if (load_wbclient(&why) == nullptr) return std::nullopt;
    return WinbindLogon::shared()->domain_names();
}

std::optional<LogonResult> WinbindLogon::logon(const LogonRequest& request) const {
    const WbcApi& api = m_state->api;
    const std::string user(request.user);
    const std::string domain(request.domain);
    const std::string workstation(request.workstation);
    const std::string who = domain + "\\" + user;

    Challenge8 challenge = request.server_challenge;
    if (request.kind == ResponseKind::ntlmv1_ess) challenge = ess_session_challenge(challenge, request.lm_response);
    Bytes nt(request.nt_response.begin(), request.nt_response.end());
    Bytes lm(request.lm_response.begin(), request.lm_response.end());

    wbcAuthUserParams params{};
    params.account_name = user.c_str();
    params.domain_name = domain.c_str();
    params.workstation_name = workstation.c_str();
    // Machine accounts may log on too, as with Windows' network logons.
    params.parameter_control = WBC_MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT | WBC_MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT;
    params.level = wbcAuthUserParams::WBC_AUTH_USER_LEVEL_RESPONSE;
    std::copy(challenge.begin(), challenge.end(), params.password.response.challenge);
    params.password.response.nt_length = static_cast<uint32_t>(nt.size());
    params.password.response.nt_data = nt.empty() ? nullptr : nt.data();
    params.password.response.lm_length = static_cast<uint32_t>(lm.size());
    params.password.response.lm_data = lm.empty() ? nullptr : lm.data();

    wbcAuthUserInfo* raw_info = nullptr;
    wbcAuthErrorInfo* raw_error = nullptr;
    wbcErr status;
    {
        ContextPool::Lease lease = m_state->pool.take();
        status = api.authenticate(lease.get(), &params, &raw_info, &raw_error);
        if (status == WBC_ERR_WINBIND_NOT_AVAILABLE) {
            lease.discard();
            // The public pipe answers ping; only the privileged pipe refuses
            // a process outside winbindd's privileged group.
            wbcContext* probe = api.ctx_create();
            const bool answers = probe != nullptr && api.ping(probe) == WBC_ERR_SUCCESS;
            if (probe != nullptr) api.ctx_free(probe);
            throw GssError(GSS_S_FAILURE, answers ? Minor::winbind_permission_denied : Minor::winbind_unavailable,
                           "checking " + who);
        }
    }
    const WbcPtr<wbcAuthUserInfo> info(raw_info, {&api});
    const WbcPtr<wbcAuthErrorInfo> error(raw_error, {&api});
    if (status == WBC_ERR_AUTH_ERROR && error) {
        const DomainRefusal refusal = domain_refusal(error->nt_status);
        if (trace_enabled())
            trace("winbind", "logon of " + who + " refused: " + nt_status_name(error->nt_status));
        if (refusal.unknown_user) return std::nullopt;
        throw GssError(refusal.major, refusal.minor, who + ": " + nt_status_name(error->nt_status));
    }
    if (status == WBC_ERR_DOMAIN_NOT_FOUND || status == WBC_ERR_UNKNOWN_USER) return std::nullopt;
    if (status != WBC_ERR_SUCCESS || !info)
        throw GssError(GSS_S_FAILURE, Minor::domain_logon_error, who + ": " + text_or_empty(api.error_string(status)));
    if ((info->user_flags & WBC_AUTH_USER_INFO_GUEST) != 0) {
        // The domain mapped the user to its guest account: not the user.
        if (trace_enabled()) trace("winbind", "the domain logged " + who + " on as its guest: treated as unknown");
        return std::nullopt;
    }

    LogonResult result;
    result.session_base_key = Key16(std::span<const uint8_t, 16>(info->user_session_key, 16));
    secure_wipe(info->user_session_key, sizeof(info->user_session_key));
    static constexpr std::array<uint8_t, 16> zero_key{};
    Key16 lm_owf;
    std::copy_n(info->lm_session_key, sizeof(info->lm_session_key), lm_owf.data());
    secure_wipe(info->lm_session_key, sizeof(info->lm_session_key));
    // Zeros: the domain keeps no LM hash for the account (AD's default).
    if (!ct_equal(lm_owf, zero_key)) result.lm_owf = lm_owf;
    if (ct_equal(result.session_base_key, zero_key))
        throw GssError(GSS_S_FAILURE, Minor::domain_logon_error, who + ": the domain returned no session key");

    auto identity = std::make_shared<DomainIdentity>();
    identity->account = info->account_name != nullptr && *info->account_name != '\0' ? info->account_name : user;
    identity->domain = info->domain_name != nullptr && *info->domain_name != '\0' ? info->domain_name : domain;
    identity->full_name = text_or_empty(info->full_name);
    identity->logon_server = text_or_empty(info->logon_server);
    for (uint32_t i = 0; i < info->num_sids; ++i) {
        char text[WBC_SID_STRING_BUFLEN];
        const int n = api.sid_to_string(&info->sids[i].sid, text, sizeof(text));
        if (n <= 0 || static_cast<size_t>(n) >= sizeof(text)) continue;
        // The first SID is the account's, the second its primary group's,
        // then the other groups (wbclient.h, struct wbcAuthUserInfo).
        if (i == 0)
            identity->user_sid = text;
        else if (std::find(identity->group_sids.begin(), identity->group_sids.end(), text) == identity->group_sids.end())
            identity->group_sids.emplace_back(text);
    }
    result.initiator = Name::from_parts(identity->domain, identity->account);
    result.initiator.set_identity(std::move(identity));
    if (trace_enabled())
        trace("winbind", "the domain authenticated " + result.initiator.display() + " (" +
                             result.initiator.identity()->user_sid + ", " +
                             std::to_string(result.initiator.identity()->group_sids.size()) + " groups)");
    return result;
}

std::optional<std::string> winbind_cached_credentials_missing(const std::string& domain, const std::string& user) {
    std::string why;
    const WbcApi* api = load_wbclient(&why);
    if (api == nullptr) return "winbindd's client library cannot be loaded (" + why + ")";
    try {
        (void)WinbindLogon::shared()->cached_logon(domain, user, {}, {});
        return std::nullopt;
    } catch (const GssError& e) {
        return std::string(e.what());
    }
}

CachedLogon winbind_cached_authenticate(const std::string& domain, const std::string& user, ByteView negotiate,
                                        ByteView challenge) {
    if (negotiate.empty() || challenge.empty())
        throw GssError(GSS_S_FAILURE, Minor::internal_error, "winbindd needs the NEGOTIATE and the CHALLENGE");
    std::optional<CachedLogon> logon = WinbindLogon::shared()->cached_logon(domain, user, negotiate, challenge);
    if (!logon) throw GssError(GSS_S_FAILURE, Minor::winbind_cached_answer_refused, "winbindd gave no AUTHENTICATE");
    return std::move(*logon);
}

// A probe (no messages) asks whether winbindd holds credentials of
// DOMAIN\user for this uid; then std::nullopt means yes.
std::optional<CachedLogon> WinbindLogon::cached_logon(const std::string& domain, const std::string& user,
                                                      ByteView negotiate, ByteView challenge) const {
    const WbcApi& api = m_state->api;
    if (api.credential_cache == nullptr)
        throw GssError(GSS_S_NO_CRED, Minor::winbind_library_missing, "libwbclient.so.0 lacks wbcCtxCredentialCache");
    const std::string who = domain.empty() ? user : domain + "\\" + user;
    // libwbclient copies the blobs into its request; it does not write them.
    Bytes negotiate_copy(negotiate.begin(), negotiate.end());
    Bytes challenge_copy(challenge.begin(), challenge.end());
    wbcNamedBlob blobs[2]{};
    blobs[0].name = "negotiate_blob";
    blobs[0].blob = {negotiate_copy.data(), negotiate_copy.size()};
    blobs[1].name = "challenge_blob";
    blobs[1].blob = {challenge_copy.data(), challenge_copy.size()};
    const bool probe = negotiate.empty();

    wbcCredentialCacheParams params{};
    params.account_name = user.c_str();
    params.domain_name = domain.empty() ? nullptr : domain.c_str();
    params.level = wbcCredentialCacheParams::WBC_CREDENTIAL_CACHE_LEVEL_NTLMSSP;
    params.num_blobs = probe ? 0 : 2;
    params.blobs = probe ? nullptr : blobs;

    wbcCredentialCacheInfo* raw_info = nullptr;
    wbcAuthErrorInfo* raw_error = nullptr;
    wbcErr status;
    {
        ContextPool::Lease lease = m_state->pool.take();
        status = api.credential_cache(lease.get(), &params, &raw_info, &raw_error);
        if (status == WBC_ERR_WINBIND_NOT_AVAILABLE) lease.discard();
    }
    const WbcPtr<wbcCredentialCacheInfo> info(raw_info, {&api});
    const WbcPtr<wbcAuthErrorInfo> error(raw_error, {&api});
    if (status == WBC_ERR_WINBIND_NOT_AVAILABLE) throw GssError(GSS_S_FAILURE, Minor::winbind_unavailable, who);
    // winbindd answers a request it refuses (no entry, another uid's entry,
    // a domain it does not know) with an error that libwbclient reports as
    // "domain not found".
    if ((status == WBC_ERR_DOMAIN_NOT_FOUND || status == WBC_ERR_AUTH_ERROR) && probe)
        throw GssError(GSS_S_NO_CRED, Minor::winbind_no_cached_credentials, who);
    if (status == WBC_ERR_DOMAIN_NOT_FOUND || status == WBC_ERR_AUTH_ERROR)
        throw GssError(GSS_S_FAILURE, Minor::winbind_cached_answer_refused,
                       who + ": winbindd gave none (its credentials are gone, or it refused the CHALLENGE)");
    if (status != WBC_ERR_SUCCESS || !info)
        throw GssError(GSS_S_FAILURE, Minor::winbind_cached_answer_refused,
                       who + ": " + text_or_empty(api.error_string(status)));
    if (trace_enabled())
        trace("winbind", probe ? "winbindd holds cached credentials of " + who
                               : "winbindd answered the CHALLENGE for " + who);
    if (probe) return std::nullopt;

    wbcNamedBlob* auth = find_blob(*info, "auth_blob");
    wbcNamedBlob* key = find_blob(*info, "session_key");
    std::optional<CachedLogon> result;
    if (auth != nullptr && key != nullptr && key->blob.length == 16 && auth->blob.length > 0) {
        result.emplace();
        result->authenticate.assign(auth->blob.data, auth->blob.data + auth->blob.length);
        std::copy_n(key->blob.data, 16, result->exported_session_key.data());
    }
    if (key != nullptr && key->blob.data != nullptr) secure_wipe(key->blob.data, key->blob.length);
    return result;
}

std::optional<DomainNames> WinbindLogon::domain_names() const {
    State& s = *m_state;
    const auto now = std::chrono::steady_clock::now();
    {
        const std::lock_guard lock(s.names_mutex);
        if (now < s.names_expiry) return s.names;
    }
    std::optional<DomainNames> names;
    struct wbcInterfaceDetails* raw = nullptr;
    wbcErr status;
    {
        ContextPool::Lease lease = s.pool.take();
        status = s.api.interface_details(lease.get(), &raw);
        if (status == WBC_ERR_WINBIND_NOT_AVAILABLE) lease.discard();
    }
    const WbcPtr<struct wbcInterfaceDetails> details(raw, {&s.api});
    if (status == WBC_ERR_SUCCESS && details && details->netbios_domain != nullptr) {
        names = DomainNames{text_or_empty(details->netbios_domain), text_or_empty(details->dns_domain),
                            text_or_empty(details->netbios_name)};
    } else if (trace_enabled()) {
        trace("winbind", std::string("no domain names from winbindd: ") + text_or_empty(s.api.error_string(status)));
    }
    const std::lock_guard lock(s.names_mutex);
    s.names = names;
    // A failure is retried sooner than a success is refreshed.
    s.names_expiry = now + (names ? names_lifetime : std::chrono::seconds(5));
    return names;
}

#else  // without wbclient.h

struct WinbindLogon::State {};
WinbindLogon::WinbindLogon(std::unique_ptr<State> state) : m_state(std::move(state)) {}
WinbindLogon::~WinbindLogon() = default;

std::shared_ptr<const WinbindLogon> WinbindLogon::shared() {
    throw GssError(GSS_S_NO_CRED, Minor::winbind_library_missing, "this build has no winbind backend (no wbclient.h)");
}

std::optional<DomainNames> winbind_domain_names() { return std::nullopt; }
std::optional<std::string> winbind_cached_credentials_missing(const std::string&, const std::string&) {
    return std::string("this build has no winbind support (no wbclient.h)");
}
CachedLogon winbind_cached_authenticate(const std::string&, const std::string&, ByteView, ByteView) {
    throw GssError(GSS_S_NO_CRED, Minor::winbind_library_missing, "this build has no winbind support (no wbclient.h)");
}
std::optional<LogonResult> WinbindLogon::logon(const LogonRequest&) const { return std::nullopt; }
std::optional<DomainNames> WinbindLogon::domain_names() const { return std::nullopt; }

#endif

}  // namespace gssneg::ntlm
