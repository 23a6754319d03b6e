// gssneg-client: establishes a GSS-API security context with gssneg-server
// over TCP. See sample_common.h for the wire protocol.
#include "sample_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace gssneg::sample;

namespace {

struct Options {
    std::string host = "127.0.0.1";
    int port = -1;
    std::string mech = "ntlm";
    std::string target = "host@localhost";
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::string flags = "mutual,replay,sequence,conf,integ";
    std::optional<std::string> channel_bindings;
    std::optional<std::string> dump_dir;
    bool messages = false;
    bool expect_fail = false;
};

void usage()
{
    std::fprintf(stderr,
                 "usage: gssneg-client --port N [--host 127.0.0.1] [--mech OID|ntlm|spnego|krb5]\n"
                 "                     [--target host@localhost] [--user NAME] [--password PW]\n"
                 "                     [--flags mutual,replay,sequence,conf,integ,deleg,dce]\n"
                 "                     [--channel-bindings STRING] [--messages] [--expect-fail]\n"
                 "                     [--dump-tokens DIR (writes DIR/leg-N.bin)]\n");
}

bool parse_args(int argc, char** argv, Options& opt)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (arg == "--messages") {
            opt.messages = true;
        } else if (arg == "--expect-fail") {
            opt.expect_fail = true;
        } else if ((v = value()) == nullptr) {
            return false;
        } else if (arg == "--port") {
            char* end = nullptr;
            const long port = std::strtol(v, &end, 10);
            if (*end != '\0' || port <= 0 || port > 65535)
                return false;
            opt.port = static_cast<int>(port);
        } else if (arg == "--host") {
            opt.host = v;
        } else if (arg == "--mech") {
            opt.mech = v;
        } else if (arg == "--target") {
            opt.target = v;
        } else if (arg == "--user") {
            opt.user = v;
        } else if (arg == "--password") {
            opt.password = v;
        } else if (arg == "--flags") {
            opt.flags = v;
        } else if (arg == "--channel-bindings") {
            opt.channel_bindings = v;
        } else if (arg == "--dump-tokens") {
            opt.dump_dir = v;
        } else {
            return false;
        }
    }
    return opt.port > 0;
}

int connect_to(const Options& opt)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(opt.port));
    if (::inet_pton(AF_INET, opt.host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "gssneg-client: cannot connect to %s:%d: %s\n", opt.host.c_str(), opt.port,
                     std::strerror(errno));
        ::close(fd);
        return -1;
    }
    return fd;
}

bool acquire_initiator_cred(const Options& opt, gss_OID mech, Cred& cred)
{
    if (!opt.user && !opt.password) {
        std::printf("initiator credential: default (GSS_C_NO_CREDENTIAL)\n");
        return true;
    }
    std::string user;
    if (opt.user) {
        user = *opt.user;
    } else if (const char* env = std::getenv("NTLMUSER"); env != nullptr && *env != '\0') {
        user = env;
    } else if (const char* env_user = std::getenv("USER"); env_user != nullptr) {
        user = env_user;
    }
    OM_uint32 major = 0;
    OM_uint32 minor = 0;
    Name name = import_name(user, GSS_C_NT_USER_NAME, &major, &minor);
    if (GSS_ERROR(major)) {
        std::printf("gss_import_name(%s) failed\n%s", user.c_str(), status_text(major, minor, GSS_C_NO_OID).c_str());
        return false;
    }
    gss_OID_set_desc mechs{1, mech};
    if (opt.password) {
        gss_buffer_desc pw{opt.password->size(), const_cast<char*>(opt.password->data())};
        major = gss_acquire_cred_with_password(&minor, name.get(), &pw, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                               cred.out(), nullptr, nullptr);
        if (GSS_ERROR(major)) {
            std::printf("gss_acquire_cred_with_password(%s) failed\n%s", user.c_str(),
                        status_text(major, minor, mech).c_str());
            return false;
        }
        std::printf("initiator credential: %s (password)\n", user.c_str());
    } else {
        major = gss_acquire_cred(&minor, name.get(), GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, cred.out(), nullptr,
                                 nullptr);
        if (GSS_ERROR(major)) {
            std::printf("gss_acquire_cred(%s) failed\n%s", user.c_str(), status_text(major, minor, mech).c_str());
            return false;
        }
        std::printf("initiator credential: %s\n", user.c_str());
    }
    return true;
}

// The acceptor's verdict after the handshake: empty frame, then "OK" or "FAIL ...".
bool read_verdict(int fd)
{
    const auto status = recv_frame(fd);
    if (!status) {
        std::printf("server closed the connection without a verdict\n");
        return false;
    }
    if (to_string(*status) != "OK") {
        std::printf("server rejected the authentication: %s\n", to_string(*status).c_str());
        return false;
    }
    return true;
}

bool run(const Options& opt, OwnedOid& mech, OM_uint32 req_flags, ChannelBindings* cb, bool& authenticated)
{
    // Connect before anything else so that the server always sees the
    // connection end, also when this side fails before its first token.
    const int fd = connect_to(opt);
    if (fd < 0)
        return false;
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    Cred cred;
    if (!acquire_initiator_cred(opt, mech.get(), cred))
        return false;
    OM_uint32 major = 0;
    OM_uint32 minor = 0;
    Name target = import_name(opt.target, GSS_C_NT_HOSTBASED_SERVICE, &major, &minor);
    if (GSS_ERROR(major)) {
        std::printf("gss_import_name(%s) failed\n%s", opt.target.c_str(),
                    status_text(major, minor, GSS_C_NO_OID).c_str());
        return false;
    }
    Context ctx;
    std::optional<Bytes> input;
    int leg = 0;
    for (;;) {
        gss_buffer_desc in{input ? input->size() : 0, input ? input->data() : nullptr};
        Buffer out;
        major = gss_init_sec_context(&minor, cred.get(), ctx.out(), target.get(), mech.get(), req_flags,
                                     GSS_C_INDEFINITE, cb != nullptr ? cb->get() : GSS_C_NO_CHANNEL_BINDINGS,
                                     input ? &in : GSS_C_NO_BUFFER, nullptr, out.out(), nullptr, nullptr);
        if (out.get().length != 0) {
            std::printf("-> leg %d: %s\n", ++leg, describe_token(out.get().value, out.get().length).c_str());
            if (opt.dump_dir && !dump_token(*opt.dump_dir, leg, out.get().value, out.get().length))
                return false;
            if (!send_frame(fd, out.get().value, out.get().length)) {
                std::printf("cannot send to the server\n");
                return false;
            }
        }
        if (GSS_ERROR(major)) {
            std::printf("gss_init_sec_context failed\n%s", status_text(major, minor, mech.get()).c_str());
            return false;
        }
        if (!(major & GSS_S_CONTINUE_NEEDED))
            break;
        input = recv_frame(fd);
        if (!input) {
            std::printf("server closed the connection during the handshake\n");
            return false;
        }
        if (input->empty()) {
            read_verdict(fd);
            return false;
        }
        std::printf("<- leg %d: %s\n", ++leg, describe_token(input->data(), input->size()).c_str());
        if (opt.dump_dir && !dump_token(*opt.dump_dir, leg, input->data(), input->size()))
            return false;
    }

    const auto end = recv_frame(fd);
    if (!end || !end->empty()) {
        std::printf("protocol error: the server sent a token after the context was complete\n");
        return false;
    }
    if (!read_verdict(fd))
        return false;
    authenticated = true;
    std::printf("authenticated\n");
    print_context_summary(ctx.get(), "client");

    if (!opt.messages) {
        send_frame(fd, "BYE");
        return true;
    }
    send_frame(fd, "MESSAGES");
    if (run_client_messages(fd, ctx.get()) == MessagesResult::failed) {
        std::printf("message exchange failed\n");
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    Options opt;
    if (!parse_args(argc, argv, opt)) {
        usage();
        return 2;
    }
    auto mech = parse_mech(opt.mech);
    if (!mech) {
        std::fprintf(stderr, "gssneg-client: unknown mechanism %s\n", opt.mech.c_str());
        return 2;
    }
    const auto flags = parse_flags(opt.flags);
    if (!flags) {
        std::fprintf(stderr, "gssneg-client: unknown flag in %s\n", opt.flags.c_str());
        return 2;
    }
    std::optional<ChannelBindings> cb;
    if (opt.channel_bindings)
        cb.emplace(*opt.channel_bindings);

    bool authenticated = false;
    const bool ok = run(opt, *mech, *flags, cb ? &*cb : nullptr, authenticated);
    if (!authenticated)
        std::printf("authentication failed\n");
    return ok == !opt.expect_fail ? 0 : 1;
}
