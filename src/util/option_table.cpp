#include "util/option_table.h"

#include "util/utf16.h"

#include <array>

namespace gssneg {

namespace {

// In the order the example file and the man page present them: what every
// installation sets first, then the acceptor's names, then the hardening
// options, then Negotiate and local accounts.
constexpr std::array options{
    OptionDoc{"user_file", "a path", "none", "/etc/gss-negotiate/users", "NTLM_USER_FILE",
              "the user file: passwords of acceptors' users and of initiators",
              "The user database, with DOMAIN:user:password lines or smbpasswd lines. The acceptor checks NTLM "
              "logons against it (with the file backend), and initiators take their password or NT hash from it. "
              "Keep it readable by the service's user only."},
    OptionDoc{"ntlm_backends", "file, winbind, or both in order", "file", "file", "GSS_NEGOTIATE_NTLM_BACKENDS",
              "where the NTLM acceptor checks logons, in order",
              "Where the NTLM acceptor checks logons, asked in the order given: file (the user file), winbind (the "
              "domain controller through winbindd, which needs winbindd's privileged pipe), or both. The first "
              "backend that knows the user decides: a wrong password in the file is not tried against the domain. "
              "With winbind the CHALLENGE announces the domain's names unless netbios_domain or dns_domain is set."},
    OptionDoc{"trace", "stderr or a path", "none", "/var/log/gss-negotiate.trace", "GSS_NEGOTIATE_TRACE",
              "one line per event of every exchange, never a secret",
              "Where to trace each leg: stderr, or a file (opened for appending, never through a symbolic link). "
              "The trace shows messages, flags, AV pairs, the mechanism chosen and why a step failed; what the "
              "peer sent is escaped, and no password, hash or key is ever written. GSSNTLMSSP_DEBUG names the "
              "file too when GSS_NEGOTIATE_TRACE is not set."},
    OptionDoc{"lm_compat_level", "0 to 5", "5", "5", "LM_COMPAT_LEVEL", "Windows' LmCompatibilityLevel: 5 is NTLMv2 only",
              "Windows' LmCompatibilityLevel. Initiators send NTLMv2 from level 3 up and NTLMv1 below; acceptors "
              "refuse NTLMv1 at level 5 and LM from level 4. Windows 11 24H2 and Server 2025 have no NTLMv1 at "
              "all. Lower it only for a peer that cannot do NTLMv2.",
              true},
    OptionDoc{"winbind_credentials", "yes or no", "yes", "yes", "",
              "initiators without a password use the logged-on user's credentials in winbindd",
              "Whether an NTLM initiator that has no password (none given, and the user is not in the user file) "
              "uses the logged-on user's credentials that winbindd keeps in memory: single sign-on on a domain "
              "member, where pam_winbind keeps them after a logon with krb5_auth, or wbinfo --ccache-save stores them. "
              "winbindd answers only the uid that stored them. Such credentials cannot sign channel bindings: "
              "an application that gives bindings is refused. no turns this off."},
    OptionDoc{"netbios_domain", "a NetBIOS name", "WORKGROUP", "WORKGROUP", "NETBIOS_DOMAIN_NAME",
              "the NetBIOS domain the acceptor announces",
              "The NetBIOS domain name the acceptor announces in its CHALLENGE; users of a user-file line without "
              "a domain belong to it."},
    OptionDoc{"netbios_computer", "a NetBIOS name", "the first label of dns_computer, upper-cased", "SERVER",
              "NETBIOS_COMPUTER_NAME", "the NetBIOS computer name the acceptor announces",
              "The NetBIOS computer name the acceptor announces in its CHALLENGE."},
    OptionDoc{"dns_domain", "a DNS name", "the domain part of dns_computer", "example.com", "",
              "the DNS domain the acceptor announces", "The DNS domain name the acceptor announces."},
    OptionDoc{"dns_computer", "a DNS name", "the host name", "server.example.com", "",
              "the DNS computer name the acceptor announces", "The DNS computer name the acceptor announces."},
    OptionDoc{"workstation", "a NetBIOS name", "netbios_computer", "CLIENT", "",
              "the workstation name initiators send", "The workstation name initiators send in AUTHENTICATE."},
    OptionDoc{"context_lifetime", "seconds", "36000", "36000", "", "lifetime of an established context",
              "The lifetime of an established NTLM context, in seconds (10 hours by default, as Windows)."},
    OptionDoc{"allow_anonymous", "yes or no", "no", "no", "", "accept anonymous NTLM logons",
              "Whether the acceptor accepts anonymous NTLM logons.", true},
    OptionDoc{"require_mic", "yes or no", "no", "no", "", "refuse an AUTHENTICATE without a MIC",
              "Whether the acceptor refuses an AUTHENTICATE without a MIC. A MIC is always required when the "
              "initiator's MsvAvFlags promise one; curl's own NTLM sends none."},
    OptionDoc{"challenge_lifetime", "seconds, at least 1", "300", "300", "",
              "how long a CHALLENGE stays answerable",
              "How long, in seconds, an acceptor's CHALLENGE stays answerable: a later AUTHENTICATE is refused "
              "(timestamp_out_of_range)."},
    OptionDoc{"dummy_signature", "yes or no", "no", "no", "",
              "sign with MS-NLMP's unkeyed signature when SIGN was not negotiated",
              "Whether contexts that negotiated neither SIGN nor SEAL make and accept MS-NLMP's unkeyed \"dummy\" "
              "signature. Off, such contexts refuse gss_get_mic, gss_verify_mic, gss_wrap and gss_unwrap, since "
              "anyone can forge that signature. Turn it on only for a peer that needs it.",
              true},
    OptionDoc{"channel_bindings", "optional or required", "optional", "optional", "",
              "required: refuse initiators that send no channel bindings",
              "Channel bindings (RFC 5929, Extended Protection). With optional, an acceptor given bindings "
              "accepts an initiator that sent none, as MIT krb5 does, and reports GSS_C_CHANNEL_BOUND_FLAG only "
              "for verified bindings; required refuses initiators without bindings, for Kerberos and NTLM. Wrong "
              "bindings are always refused."},
    OptionDoc{"negotiate_mechs", "kerberos, ntlm, or both in order", "kerberos ntlm", "kerberos ntlm",
              "GSS_NEGOTIATE_MECHS", "what Negotiate offers and accepts, in order",
              "The mechanisms Negotiate offers as an initiator and accepts as an acceptor, in order of "
              "preference, separated by spaces or commas. kerberos alone turns NTLM off for Negotiate."},
    OptionDoc{"ntlm_targets", "service@host names, * for any part", "any target",
              "HTTP@legacy.example.com *@fileserver.example.com", "",
              "the only targets a Negotiate initiator may use NTLM for",
              "The targets (service@host, either part * for any) for which a Negotiate initiator may use NTLM; "
              "empty, the default, for every target. Where Kerberos works everywhere, list the few servers that "
              "need NTLM."},
    OptionDoc{"local_domains", "domain names", "the domains the acceptor announces", "EXAMPLE example.com", "",
              "domains whose users map to local accounts of the same name",
              "The domains (NetBIOS or DNS names) whose users gss_localname, gss_userok and gss_pname_to_uid map "
              "to the local account of the same name. Empty: the NetBIOS and DNS domain the acceptor announces, "
              "and winbind's domain. Users of other domains map to nothing, so OTHERDOMAIN\\root is never root."},
    OptionDoc{"local_name_map", "DOMAIN\\user LOCAL, or user@dns.domain LOCAL", "none", "PARTNER\\* *", "",
              "rules mapping other names to local accounts",
              "One rule per line, tried in order before local_domains: a name (DOMAIN\\user or user@dns.domain, "
              "the user * for any user of the domain), then the local account (* for the same user name).",
              false, true},
};

// roff: a backslash is \e, a line that starts with a period or a quote is
// guarded, and a hyphen stays a hyphen.
std::string roff(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
    return out;
}

// Plain text folded into comment lines of at most 76 columns.
void comment_lines(std::string& out, std::string_view text) {
    std::string line = "#";
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(pos, end - pos);
        if (line.size() + 1 + word.size() > 76 && line != "#") {
            out += line + "\n";
            line = "#";
        }
        line += " ";
        line += word;
        pos = end + 1;
    }
    if (line != "#") out += line + "\n";
}

}  // namespace

std::span<const OptionDoc> option_docs() noexcept { return options; }

const OptionDoc* find_option(std::string_view key) noexcept {
    for (const OptionDoc& o : options)
        if (iequals_ascii(o.name, key)) return &o;
    return nullptr;
}

std::string options_example(std::string_view options_file) {
    std::string out = "# gss-negotiate options file.\n#\n";
    comment_lines(out,
                  "The module reads " + std::string(options_file) +
                      ", or the file GSS_NEGOTIATE_CONFIG names. Lines are key = value; a line "
                  "starting with # is a comment. A variable in brackets overrides its option. A file that cannot be "
                  "read, an unknown key or a malformed value makes every call fail with a status that names the "
                  "file and the line (a missing file means the defaults): a typo never leaves a weaker default in "
                  "place. Every default is the secure choice. Generated from the module's option table; "
                  "gss-negotiate.conf(5) says the same.");
    for (const OptionDoc& o : options) {
        out += "\n";
        std::string text(o.text);
        text += " Values: " + std::string(o.values) + ". Default: " + std::string(o.default_text) + ".";
        if (!o.env.empty()) text += " [" + std::string(o.env) + "]";
        if (o.weakens) text += " Any other value than the default weakens security.";
        if (o.repeatable) text += " Repeat the line for each rule.";
        comment_lines(out, text);
        // The user file's example sits beside the options file.
        const size_t slash = options_file.rfind('/');
        const std::string example = o.name == "user_file" && slash != std::string_view::npos
                                        ? std::string(options_file.substr(0, slash)) + "/users"
                                        : std::string(o.example);
        out += "#" + std::string(o.name) + " = " + example + "\n";
    }
    return out;
}

std::string options_man_page(std::string_view options_file, std::string_view version) {
    std::string out = ".TH GSS-NEGOTIATE.CONF 5 \"\" \"gss-negotiate " + std::string(version) +
                      "\" \"File Formats\"\n"
                      ".SH NAME\n"
                      "gss-negotiate.conf \\- options of the gss-negotiate GSS-API mechanism\n"
                      ".SH SYNOPSIS\n" +
                      roff(options_file) +
                      "\n"
                      ".SH DESCRIPTION\n"
                      "The gss\\-negotiate module (see\n.BR gss-negotiate (7))\n"
                      "reads this file, or the file named by\n.BR GSS_NEGOTIATE_CONFIG .\n"
                      "Each line is\n.IB key \" = \" value\\fR;\n"
                      "blank lines and lines starting with\n.B #\nare ignored; keys are compared without case.\n"
                      ".PP\n"
                      "The configuration fails closed. A file that exists but cannot be read, an unknown key or a "
                      "malformed value makes every GSS\\-API call that consults the configuration fail with "
                      "GSS_S_FAILURE and a status text that names the file, the line and the fault; a missing file "
                      "means the defaults. Every default is the secure choice; the options whose other values "
                      "weaken security say so.\n"
                      ".PP\n"
                      "The environment variables named below override their option. A process that is setuid, "
                      "setgid or has file capabilities ignores them all.\n"
                      ".SH OPTIONS\n";
    for (const OptionDoc& o : options) {
        out += ".TP\n.BI \"" + roff(o.name) + " = \" \"" + roff(o.values) + "\"\n";
        out += roff(o.text) + "\n.br\nDefault: " + roff(o.default_text) + ".";
        if (!o.env.empty()) out += "\nOverridden by\n.BR " + roff(o.env) + " .";
        if (o.weakens) out += "\nAny other value than the default weakens security.";
        if (o.repeatable) out += "\nRepeat the line for each rule.";
        out += "\n";
    }
    out += ".SH FILES\n.TP\n" + roff(options_file) +
           "\nthe options file\n"
           ".SH EXAMPLES\n.nf\n"
           "user_file = /etc/gss\\-negotiate/users\n"
           "ntlm_backends = file winbind\n"
           "ntlm_targets = HTTP@legacy.example.com\n"
           ".fi\n"
           ".SH SEE ALSO\n"
           ".BR gss-negotiate (7),\n.BR gssneg-doctor (1)\n";
    return out;
}

std::string options_markdown() {
    std::string out = "| option | default | meaning |\n|---|---|---|\n";
    for (const OptionDoc& o : options) {
        out += "| `" + std::string(o.name) + "` | " + std::string(o.default_text) + " | " + std::string(o.summary);
        if (!o.env.empty()) out += " (`" + std::string(o.env) + "`)";
        if (o.weakens) out += "; other values weaken security";
        out += " |\n";
    }
    return out;
}

}  // namespace gssneg
