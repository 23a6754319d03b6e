// gssneg-server: accepts GSS-API security contexts over TCP on loopback.
// See sample_common.h for the wire protocol.
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
    int port = 0;
    std::string mech = "ntlm";
    std::string service = "host@localhost";
    bool acceptor_name = true;
    bool once = false;
    std::optional<std::string> channel_bindings;
    std::optional<std::string> dump_dir;
    bool expect_fail = false;
};

void usage()
{
    std::fprintf(stderr,
                 "usage: gssneg-server [--port N (0 = pick one, printed as \"listening on PORT\")]\n"
                 "                     [--host 127.0.0.1] [--mech OID|ntlm|spnego|krb5]\n"
                 "                     [--service host@localhost | --no-acceptor-name] [--once]\n"
                 "                     [--channel-bindings STRING] [--expect-fail]\n"
                 "                     [--dump-tokens DIR (writes DIR/leg-N.bin)]\n");
}

bool parse_args(int argc, char** argv, Options& opt)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (arg == "--port") {
            const char* v = value();
            if (v == nullptr)
                return false;
            char* end = nullptr;
            const long port = std::strtol(v, &end, 10);
            if (*end != '\0' || port < 0 || port > 65535)
                return false;
            opt.port = static_cast<int>(port);
        } else if (arg == "--host") {
            const char* v = value();
            if (v == nullptr)
                return false;
            opt.host = v;
        } else if (arg == "--mech") {
            const char* v = value();
            if (v == nullptr)
                return false;
            opt.mech = v;
        } else if (arg == "--service") {
            const char* v = value();
            if (v == nullptr)
                return false;
            opt.service = v;
            opt.acceptor_name = true;
        } else if (arg == "--no-acceptor-name") {
            opt.acceptor_name = false;
        } else if (arg == "--once") {
            opt.once = true;
        } else if (arg == "--channel-bindings") {
            const char* v = value();
            if (v == nullptr)
                return false;
            opt.channel_bindings = v;
        } else if (arg == "--expect-fail") {
            opt.expect_fail = true;
        } else if (arg == "--dump-tokens") {
            const char* v = value();
            if (v == nullptr)
                return false;
            opt.dump_dir = v;
        } else {
            return false;
        }
    }
    return true;
}

int listen_on(const Options& opt)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(opt.port));
    if (::inet_pton(AF_INET, opt.host.c_str(), &addr.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
        std::fprintf(stderr, "gssneg-server: cannot listen on %s:%d: %s\n", opt.host.c_str(), opt.port,
                     std::strerror(errno));
        ::close(fd);
        return -1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("listening on %u\n", ntohs(addr.sin_port));
    return fd;
}

// Runs one connection; true when the client authenticated (and, if it asked
// for messages, the exchange did not fail).
bool serve_connection(int fd, gss_cred_id_t cred, gss_OID mech, ChannelBindings* cb,
                      const std::optional<std::string>& dump_dir)
{
    Context ctx;
    int leg = 0;
    for (;;) {
        const auto token = recv_frame(fd);
        if (!token || token->empty()) {
            std::printf("client closed the connection before the handshake completed\n");
            std::printf("authentication failed\n");
            return false;
        }
        std::printf("<- leg %d: %s\n", ++leg, describe_token(token->data(), token->size()).c_str());
        if (dump_dir && !dump_token(*dump_dir, leg, token->data(), token->size()))
            return false;
        gss_buffer_desc in{token->size(), const_cast<std::uint8_t*>(token->data())};
        OM_uint32 minor = 0;
        Buffer out;
        const OM_uint32 major =
            gss_accept_sec_context(&minor, ctx.out(), cred, &in, cb != nullptr ? cb->get() : GSS_C_NO_CHANNEL_BINDINGS,
                                   nullptr, nullptr, out.out(), nullptr, nullptr, nullptr);
        if (out.get().length != 0) {
            std::printf("-> leg %d: %s\n", ++leg, describe_token(out.get().value, out.get().length).c_str());
            if (dump_dir && !dump_token(*dump_dir, leg, out.get().value, out.get().length))
                return false;
            if (!send_frame(fd, out.get().value, out.get().length)) {
                std::printf("cannot send to the client\n");
                return false;
            }
        }
        if (GSS_ERROR(major)) {
            std::printf("gss_accept_sec_context failed\n%s", status_text(major, minor, mech).c_str());
            std::printf("authentication failed\n");
            send_frame(fd, "", 0);
            send_frame(fd, "FAIL " + status_one_line(major, minor, mech));
            return false;
        }
        if (major & GSS_S_CONTINUE_NEEDED)
            continue;
        break;
    }
    send_frame(fd, "", 0);
    send_frame(fd, "OK");
    std::printf("authenticated\n");
    print_context_summary(ctx.get(), "server", cred != GSS_C_NO_CREDENTIAL);

    const auto command = recv_frame(fd);
    if (command && to_string(*command) == "MESSAGES" && serve_messages(fd, ctx.get()) == MessagesResult::failed) {
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
        std::fprintf(stderr, "gssneg-server: unknown mechanism %s\n", opt.mech.c_str());
        return 2;
    }
    std::optional<ChannelBindings> cb;
    if (opt.channel_bindings)
        cb.emplace(*opt.channel_bindings);

    const int expected_failure_code = opt.expect_fail ? 0 : 1;
    Cred cred;
    if (opt.acceptor_name) {
        OM_uint32 major = 0;
        OM_uint32 minor = 0;
        Name name = import_name(opt.service, GSS_C_NT_HOSTBASED_SERVICE, &major, &minor);
        if (GSS_ERROR(major)) {
            std::printf("gss_import_name(%s) failed\n%s", opt.service.c_str(),
                        status_text(major, minor, GSS_C_NO_OID).c_str());
            return expected_failure_code;
        }
        gss_OID_set_desc mechs{1, mech->get()};
        major = gss_acquire_cred(&minor, name.get(), GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, cred.out(), nullptr,
                                 nullptr);
        if (GSS_ERROR(major)) {
            std::printf("gss_acquire_cred(%s, accept) failed\n%s", opt.service.c_str(),
                        status_text(major, minor, mech->get()).c_str());
            return expected_failure_code;
        }
        std::printf("acceptor credential: %s\n", opt.service.c_str());
    } else {
        std::printf("acceptor credential: default (GSS_C_NO_CREDENTIAL)\n");
    }

    const int listener = listen_on(opt);
    if (listener < 0)
        return expected_failure_code;

    for (unsigned connection = 1;; ++connection) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            std::fprintf(stderr, "gssneg-server: accept: %s\n", std::strerror(errno));
            ::close(listener);
            return 1;
        }
        char addr[INET_ADDRSTRLEN] = "?";
        ::inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr);
        std::printf("connection %u from %s:%u\n", connection, addr, ntohs(peer.sin_port));
        const bool ok = serve_connection(fd, cred.get(), mech->get(), cb ? &*cb : nullptr, opt.dump_dir);
        ::close(fd);
        if (opt.once) {
            ::close(listener);
            return ok == !opt.expect_fail ? 0 : 1;
        }
    }
}
