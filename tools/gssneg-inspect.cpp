// gssneg-inspect: prints every field of an authentication token.
//
//   gssneg-inspect [--json] [TOKEN]
//
// TOKEN (read from standard input when absent) is hex or base64, optionally
// with the HTTP "NTLM " / "Negotiate " prefix. Exit status: 0 decoded,
// 1 not a valid token, 2 usage error.

#include "inspect_input.h"
#include "inspect_ntlm.h"
#include "inspect_spnego.h"
#include "inspect_value.h"
#include "util/errors.h"

#include <cstdio>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using gssneg::ByteView;
using gssneg::inspect::Value;

// One entry per kind of token; the first whose recognizer accepts the bytes
// decodes them. A token no entry recognizes goes to the first entry, whose
// error says what is wrong with it.
struct TokenKind {
    const char* name;
    bool (*recognizes)(ByteView token) noexcept;
    Value (*decode)(ByteView token);
};

constexpr TokenKind token_kinds[] = {
    {"NTLM", gssneg::inspect::looks_like_ntlm, gssneg::inspect::decode_ntlm},
    {"SPNEGO", gssneg::inspect::looks_like_spnego, gssneg::inspect::decode_spnego},
    {"Kerberos", gssneg::inspect::looks_like_kerberos, gssneg::inspect::decode_kerberos},
};

const TokenKind& kind_of(ByteView token) {
    for (const TokenKind& kind : token_kinds)
        if (kind.recognizes(token)) return kind;
    return token_kinds[0];
}

void usage(std::FILE* to) {
    std::fputs("usage: gssneg-inspect [--json] [TOKEN]\n"
               "  TOKEN is hex or base64 (standard or URL-safe), optionally prefixed by\n"
               "  \"NTLM \" or \"Negotiate \"; read from standard input when absent.\n",
               to);
}

int fail(bool json, const std::string& message, const std::string& minor) {
    std::cerr << "gssneg-inspect: " << message << "\n";
    if (json) {
        Value error = Value::object();
        error.add("error", Value::text(message));
        if (!minor.empty()) error.add("minor", Value::token(minor));
        std::cout << error.to_json();
    }
    return 1;
}

std::string minor_hex(OM_uint32 minor) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(minor));
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    bool json = false;
    std::string input;
    bool have_input = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--json") {
            json = true;
        } else if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return 0;
        } else if (!have_input && (arg == "-" || arg.empty() || arg.front() != '-')) {
            if (arg != "-") {
                input = arg;
                have_input = true;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!have_input) input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());

    gssneg::Bytes token;
    try {
        token = gssneg::inspect::decode_input(input);
    } catch (const std::invalid_argument& e) {
        return fail(json, e.what(), {});
    }

    const TokenKind& kind = kind_of(token);
    try {
        const Value decoded = kind.decode(token);
        std::cout << (json ? decoded.to_json() : decoded.to_text());
        return 0;
    } catch (const gssneg::GssError& e) {
        const char* text = gssneg::minor_text(e.minor());
        return fail(json, std::string("not a valid ") + kind.name + " token: " + (text != nullptr ? text : e.what()),
                    minor_hex(e.minor()));
    }
}
