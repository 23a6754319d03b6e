// gssneg-doctor: explains this machine's gss-negotiate set-up by reading
// what the mechglue and the module read, and says what to do about each
// finding. Exit status 0 when nothing is wrong (warnings allowed), 1 when a
// finding is an error, 2 on bad usage.
//
//   gssneg-doctor [--service host@HOST] [--target SERVICE@HOST] [--json]

#include "ntlm/user_database.h"
#include "spnego/neg_token_init.h"
#include "spnego/token_kind.h"
#include "util/config.h"
#include "util/escape.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <krb5/krb5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr const char* ntlm_oid = "1.3.6.1.4.1.311.2.2.10";
constexpr const char* spnego_oid = "1.3.6.1.5.5.2";
constexpr const char* our_module = "gss-negotiate.so";

enum class Status { ok, info, warn, error };

const char* status_word(Status s)
{
    switch (s) {
    case Status::ok: return "ok";
    case Status::info: return "info";
    case Status::warn: return "warn";
    case Status::error: return "error";
    }
    return "?";
}

struct Finding {
    std::string check;
    Status status;
    std::string text;
    std::string advice;  // what to do; empty when nothing
};

std::vector<Finding> g_findings;

void report(std::string check, Status status, std::string text, std::string advice = {})
{
    g_findings.push_back({std::move(check), status, std::move(text), std::move(advice)});
}

std::string read_file(const std::string& path, bool& ok)
{
    std::ifstream f(path, std::ios::binary);
    ok = static_cast<bool>(f);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// ---------------------------------------------------------------- mech files

struct MechLine {
    std::string file;
    int line = 0;
    std::string name, oid, path;
    bool interposer = false;
};

// The files the mechglue reads: GSS_MECH_CONFIG alone when set, else
// /etc/gss/mech and /etc/gss/mech.d/*.conf in sorted order (as glob sorts).
std::vector<std::string> mech_files(std::string& how)
{
    if (const char* one = std::getenv("GSS_MECH_CONFIG"); one != nullptr && *one != '\0') {
        how = std::string("GSS_MECH_CONFIG names ") + one + ": the mechglue reads that file only";
        return {one};
    }
    how = "the mechglue reads /etc/gss/mech and /etc/gss/mech.d/*.conf in sorted order";
    std::vector<std::string> files;
    if (std::filesystem::exists("/etc/gss/mech")) files.push_back("/etc/gss/mech");
    std::vector<std::string> dir;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/etc/gss/mech.d", ec))
        if (e.path().extension() == ".conf") dir.push_back(e.path().string());
    std::sort(dir.begin(), dir.end());
    files.insert(files.end(), dir.begin(), dir.end());
    return files;
}

std::vector<MechLine> mech_lines(const std::vector<std::string>& files)
{
    std::vector<MechLine> out;
    for (const std::string& file : files) {
        bool ok = false;
        std::istringstream text(read_file(file, ok));
        std::string raw;
        int n = 0;
        while (std::getline(text, raw)) {
            ++n;
            // '#' comments a line only in column 0, as the mechglue reads it.
            if (raw.empty() || raw[0] == '#') continue;
            std::istringstream words(raw);
            MechLine m{file, n, {}, {}, {}, false};
            words >> m.name >> m.oid >> m.path;
            if (m.path.empty()) continue;
            m.interposer = raw.find("<interposer>") != std::string::npos;
            out.push_back(m);
        }
    }
    return out;
}

bool is_ours(const MechLine& m)
{
    return std::filesystem::path(m.path).filename() == our_module;
}

std::string where(const MechLine& m)
{
    return m.file + " line " + std::to_string(m.line);
}

void check_mechanisms()
{
    std::string how;
    const auto files = mech_files(how);
    report("mech files", Status::info, how);
    const auto lines = mech_lines(files);

    // Of several lines for one OID the last one read names the module
    // (MIT 1.20 replaces a not yet loaded entry's library with each later
    // line's).
    std::vector<MechLine> ntlm;
    for (const MechLine& m : lines)
        if (m.oid == ntlm_oid) ntlm.push_back(m);
    if (ntlm.empty()) {
        report("NTLM", Status::error, std::string("no mech file names the NTLM OID ") + ntlm_oid,
               "install the package (or meson install), or point GSS_MECH_CONFIG at build/conf/mech");
    } else {
        const MechLine& winner = ntlm.back();
        std::string text = std::string("NTLM (") + ntlm_oid + ") is served by " + winner.path + " (" + where(winner) + ")";
        if (!is_ours(winner)) {
            report("NTLM", Status::error, text + ", not by gss-negotiate",
                   "the last file read wins: remove or comment out " + where(winner) +
                       ", or give gss-negotiate's file a name that sorts after it");
        } else {
            report("NTLM", Status::ok, text);
        }
        for (size_t i = 0; i + 1 < ntlm.size(); ++i)
            report("NTLM", Status::warn,
                   "also claimed by " + ntlm[i].path + " (" + where(ntlm[i]) + "), overridden by the later line",
                   is_ours(winner) ? "nothing to do; remove that line to avoid the doubt (gss-ntlmssp's file is mech.ntlmssp.conf)"
                                   : std::string());
    }

    std::optional<MechLine> interposer;
    for (const MechLine& m : lines)
        if (m.interposer && is_ours(m)) interposer = m;
    if (interposer)
        report("Negotiate", Status::ok,
               std::string("the interposer is active: SPNEGO (") + spnego_oid + ") goes to gss-negotiate (" +
                   where(*interposer) + ")");
    else
        report("Negotiate", Status::info,
               "no interposer line: MIT's built-in SPNEGO is in charge of SPNEGO (it uses the NTLM line above)",
               "to get Negotiate's Kerberos-or-NTLM choice, uncomment the <interposer> line of gss-negotiate's mech file");

    // The module file each of our lines names must exist.
    for (const MechLine& m : lines) {
        if (!is_ours(m)) continue;
        const std::string full = m.path[0] == '/' ? m.path : std::string(GSSNEG_MIT_GSS_DIR) + "/" + m.path;
        if (!std::filesystem::exists(full))
            report("module", Status::error, where(m) + " names " + full + ", which does not exist",
                   "reinstall the module or correct the path");
    }
}

// ---------------------------------------------------------------- options

std::optional<gssneg::Config> check_options()
{
    const char* env_path = gssneg::environment_value("GSS_NEGOTIATE_CONFIG");
    const std::string path = env_path != nullptr ? env_path : GSSNEG_DEFAULT_CONFIG;
    const std::string from = env_path != nullptr ? " (GSS_NEGOTIATE_CONFIG)" : " (the default)";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        report("options", Status::ok, "no options file " + path + from + ": every option has its default");
    } else {
        bool ok = false;
        const std::string text = read_file(path, ok);
        if (!ok) {
            report("options", Status::error, path + " cannot be read: every GSS call will fail",
                   "make it readable by the programs that use GSS-API, or remove it");
        } else {
            // Each line on its own, to name every bad one and the line each
            // option comes from.
            std::istringstream lines(text);
            std::string line;
            int n = 0;
            int bad = 0;
            gssneg::Config probe;
            while (std::getline(lines, line)) {
                ++n;
                try {
                    probe.apply_file_text(line);
                } catch (const std::exception& e) {
                    ++bad;
                    std::string why = e.what();
                    const auto cut = why.find("line 1: ");
                    if (cut != std::string::npos) why = why.substr(cut + 8);
                    report("options", Status::error, path + " line " + std::to_string(n) + ": " + gssneg::escape_text(why),
                           "fix or remove the line: until then every GSS call fails");
                    continue;
                }
                const auto eq = line.find('=');
                const auto first = line.find_first_not_of(" \t");
                if (eq != std::string::npos && first != std::string::npos && line[first] != '#') {
                    std::string key = line.substr(first, eq - first);
                    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
                    report("options", Status::info, key + " is set by " + path + " line " + std::to_string(n));
                }
            }
            if (bad == 0) report("options", Status::ok, path + from + " parses");
        }
    }
    for (const char* var : {"LM_COMPAT_LEVEL", "NTLM_USER_FILE", "GSS_NEGOTIATE_TRACE", "GSS_NEGOTIATE_MECHS",
                            "GSS_NEGOTIATE_NTLM_BACKENDS", "GSS_NEGOTIATE_CONFIG", "NETBIOS_COMPUTER_NAME",
                            "NETBIOS_DOMAIN_NAME", "GSSNTLMSSP_DEBUG"})
        if (const char* v = gssneg::environment_value(var))
            report("options", Status::info, std::string(var) + " is set in the environment (\"" + gssneg::escape_text(v) +
                                                "\"): it overrides the file");
    try {
        return *gssneg::current_config();
    } catch (const std::exception& e) {
        report("options", Status::error, std::string("the module refuses the configuration: ") + gssneg::escape_text(e.what()));
        return std::nullopt;
    }
}

void check_user_file(const gssneg::Config& cfg)
{
    if (cfg.user_file.empty()) {
        const bool file_backend = std::find(cfg.ntlm_backends.begin(), cfg.ntlm_backends.end(),
                                            gssneg::Config::NtlmBackend::file) != cfg.ntlm_backends.end();
        report("user file", file_backend ? Status::warn : Status::info,
               "no user file (user_file, NTLM_USER_FILE): NTLM logons and NTLM initiators have no passwords",
               file_backend ? "set user_file in the options file, or NTLM_USER_FILE, or use ntlm_backends = winbind"
                            : std::string());
        return;
    }
    bool ok = false;
    const std::string text = read_file(cfg.user_file, ok);
    if (!ok) {
        report("user file", Status::error, cfg.user_file + " cannot be read by this user",
               "check its path and permissions (the acceptor's process must read it; keep it mode 0600 or 0640)");
        return;
    }
    struct stat st {};
    if (::stat(cfg.user_file.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
        report("user file", Status::warn, cfg.user_file + " is readable by every user: it holds passwords or hashes",
               "chmod o-r " + cfg.user_file);
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    size_t entries = 0;
    while (std::getline(lines, line)) {
        ++n;
        size_t skipped = 0;
        entries += gssneg::ntlm::UserDatabase::parse(line, &skipped).size();
        if (skipped != 0)
            report("user file", Status::error, cfg.user_file + " line " + std::to_string(n) + " is not a valid entry",
                   "write DOMAIN:user:password or an smbpasswd line (the line is skipped)");
    }
    report("user file", entries == 0 ? Status::warn : Status::ok,
           cfg.user_file + ": " + std::to_string(entries) + " valid entr" + (entries == 1 ? "y" : "ies"));
}

// ---------------------------------------------------------------- Kerberos

std::string krb5_message(krb5_context k, krb5_error_code code)
{
    const char* m = krb5_get_error_message(k, code);
    std::string s = m != nullptr ? m : "unknown error";
    krb5_free_error_message(k, m);
    return s;
}

void check_kerberos(const std::string& service)
{
    krb5_context k = nullptr;
    if (krb5_init_context(&k) != 0) {
        report("kerberos", Status::error, "krb5 cannot start (krb5.conf unreadable?)", "check /etc/krb5.conf or KRB5_CONFIG");
        return;
    }
    krb5_ccache cc = nullptr;
    if (krb5_cc_default(k, &cc) == 0) {
        const std::string name = krb5_cc_get_name(k, cc) != nullptr ? krb5_cc_get_name(k, cc) : "?";
        const std::string type = krb5_cc_get_type(k, cc) != nullptr ? krb5_cc_get_type(k, cc) : "?";
        krb5_principal me = nullptr;
        if (krb5_cc_get_principal(k, cc, &me) != 0) {
            report("kerberos", Status::info, "no ticket in the default ccache " + type + ":" + name,
                   "kinit, if Negotiate should use Kerberos as an initiator");
        } else {
            char* text = nullptr;
            krb5_unparse_name(k, me, &text);
            krb5_cc_cursor cur = nullptr;
            krb5_creds creds;
            std::optional<krb5_timestamp> tgt_end;
            if (krb5_cc_start_seq_get(k, cc, &cur) == 0) {
                while (krb5_cc_next_cred(k, cc, &cur, &creds) == 0) {
                    const krb5_data* first = krb5_princ_component(k, creds.server, 0);
                    if (first != nullptr && first->length == 6 && std::memcmp(first->data, "krbtgt", 6) == 0)
                        tgt_end = creds.times.endtime;
                    krb5_free_cred_contents(k, &creds);
                }
                krb5_cc_end_seq_get(k, cc, &cur);
            }
            const long left = tgt_end ? static_cast<long>(*tgt_end) - static_cast<long>(std::time(nullptr)) : 0;
            if (!tgt_end)
                report("kerberos", Status::warn, std::string("ccache ") + type + ":" + name + " holds " + text + " but no TGT",
                       "kinit again");
            else if (left <= 0)
                report("kerberos", Status::warn, std::string("the TGT of ") + text + " has expired", "kinit again");
            else
                report("kerberos", Status::ok,
                       std::string("TGT for ") + text + " in " + type + ":" + name + ", valid for " +
                           std::to_string(left / 3600) + " h " + std::to_string(left % 3600 / 60) + " min");
            krb5_free_unparsed_name(k, text);
            krb5_free_principal(k, me);
        }
        krb5_cc_close(k, cc);
    }

    if (!service.empty()) {
        // service@host -> service/host: the acceptor's keys for it.
        const auto at = service.find('@');
        const std::string svc = service.substr(0, at);
        const std::string host = at == std::string::npos ? std::string() : service.substr(at + 1);
        krb5_keytab kt = nullptr;
        char ktname[512] = {};
        if (krb5_kt_default(k, &kt) == 0 && krb5_kt_get_name(k, kt, ktname, sizeof ktname) == 0) {
            krb5_kt_cursor cur = nullptr;
            krb5_keytab_entry e;
            int keys = 0;
            krb5_error_code code = krb5_kt_start_seq_get(k, kt, &cur);
            if (code != 0) {
                report("kerberos", Status::warn, std::string("keytab ") + ktname + ": " + krb5_message(k, code),
                       "an acceptor of " + service + " needs its keys there (KRB5_KTNAME)");
            } else {
                while (krb5_kt_next_entry(k, kt, &e, &cur) == 0) {
                    const krb5_data* c0 = krb5_princ_component(k, e.principal, 0);
                    const krb5_data* c1 = krb5_princ_component(k, e.principal, 1);
                    if (c0 != nullptr && std::string(c0->data, c0->length) == svc &&
                        (host.empty() || (c1 != nullptr && strncasecmp(c1->data, host.c_str(), c1->length) == 0 &&
                                          host.size() == c1->length)))
                        ++keys;
                    krb5_free_keytab_entry_contents(k, &e);
                }
                krb5_kt_end_seq_get(k, kt, &cur);
                report("kerberos", keys > 0 ? Status::ok : Status::warn,
                       std::string("keytab ") + ktname + ": " + std::to_string(keys) + " key(s) for " + svc + "/" + host,
                       keys > 0 ? std::string() : "Negotiate acceptors of " + service + " will answer with NTLM only");
            }
            krb5_kt_close(k, kt);
        }
    }
    krb5_free_context(k);
}

void check_winbind(const gssneg::Config& cfg)
{
    const bool wanted = std::find(cfg.ntlm_backends.begin(), cfg.ntlm_backends.end(),
                                  gssneg::Config::NtlmBackend::winbind) != cfg.ntlm_backends.end();
    if (!wanted) {
        report("winbind", Status::info, "ntlm_backends does not list winbind: the domain is not asked");
        return;
    }
    const std::string pipe = "/var/lib/samba/winbindd_privileged/pipe";
    if (::access(pipe.c_str(), F_OK) != 0)
        report("winbind", Status::error, pipe + " does not exist: winbindd is not running (or not a domain member)",
               "start winbind (systemctl start winbind) on a joined machine");
    else if (::access(pipe.c_str(), W_OK) != 0)
        report("winbind", Status::error, "this user may not use winbindd's privileged pipe " + pipe,
               "run the acceptor as root or in the group that owns winbindd_privileged");
    else
        report("winbind", Status::ok, "winbindd's privileged pipe " + pipe + " is usable");
}

// ---------------------------------------------------------------- a target

void check_target(const std::string& target)
{
    // Negotiate's first token for target, with the trace of why.
    char trace_path[] = "/tmp/gssneg-doctor-XXXXXX";
    const int fd = ::mkstemp(trace_path);
    if (fd >= 0) ::close(fd);
    ::setenv("GSS_NEGOTIATE_TRACE", trace_path, 1);
    OM_uint32 minor = 0;
    gss_buffer_desc text{target.size(), const_cast<char*>(target.data())};
    gss_name_t name = GSS_C_NO_NAME;
    gss_OID_desc spnego{6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = gss_import_name(&minor, &text, GSS_C_NT_HOSTBASED_SERVICE, &name);
    std::string chosen;
    if (!GSS_ERROR(major))
        major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &ctx, name, &spnego, GSS_C_MUTUAL_FLAG, 0,
                                     GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, nullptr, &out, nullptr, nullptr);
    if (GSS_ERROR(major)) {
        std::string why;
        OM_uint32 more = 0;
        do {
            OM_uint32 m2 = 0;
            gss_buffer_desc s = GSS_C_EMPTY_BUFFER;
            gss_display_status(&m2, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &more, &s);
            why.append(static_cast<const char*>(s.value), s.length);
            gss_release_buffer(&m2, &s);
        } while (more != 0);
        while (!why.empty() && why.back() == '\0') why.pop_back();
        report("target", Status::error, "Negotiate cannot start for " + target + ": " + gssneg::escape_text(why),
               "see the reasons above (credentials for Kerberos or NTLM)");
    } else {
        try {
            const gssneg::ByteView token(static_cast<const uint8_t*>(out.value), out.length);
            const gssneg::spnego::NegTokenInit init(token);
            const auto inner = init.mech_token();
            const std::string kind =
                inner ? gssneg::spnego::token_kind_name(gssneg::spnego::classify(*inner).kind) : "no token";
            chosen = kind;
            report("target", Status::ok, "Negotiate for " + target + " starts with " + kind);
        } catch (const std::exception&) {
            report("target", Status::warn, "Negotiate for " + target + " sent a token this tool cannot read");
        }
    }
    gss_release_buffer(&minor, &out);
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    gss_release_name(&minor, &name);
    ::unsetenv("GSS_NEGOTIATE_TRACE");
    // The negotiator's reasons: what it left out and why it fell back.
    bool ok = false;
    std::istringstream trace(read_file(trace_path, ok));
    std::string line;
    while (std::getline(trace, line)) {
        for (const char* mark : {"leaves out ", "falling back from "}) {
            const auto at = line.find(mark);
            if (at != std::string::npos) report("target", Status::info, "why: " + line.substr(at));
        }
    }
    ::unlink(trace_path);
}

// ---------------------------------------------------------------- output

std::string json_string(const std::string& s)
{
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

int usage()
{
    std::fprintf(stderr, "usage: gssneg-doctor [--service SERVICE@HOST] [--target SERVICE@HOST] [--json]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string service;
    std::string target;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json")
            json = true;
        else if (a == "--service" && i + 1 < argc)
            service = argv[++i];
        else if (a == "--target" && i + 1 < argc)
            target = argv[++i];
        else
            return usage();
    }
    check_mechanisms();
    const auto cfg = check_options();
    if (cfg) {
        check_user_file(*cfg);
        check_winbind(*cfg);
    }
    check_kerberos(service);
    if (!target.empty()) check_target(target);

    bool sound = true;
    for (const Finding& f : g_findings)
        if (f.status == Status::error) sound = false;
    if (json) {
        std::printf("{\"sound\": %s, \"findings\": [", sound ? "true" : "false");
        for (size_t i = 0; i < g_findings.size(); ++i) {
            const Finding& f = g_findings[i];
            std::printf("%s\n  {\"check\": %s, \"status\": %s, \"text\": %s, \"advice\": %s}", i == 0 ? "" : ",",
                        json_string(f.check).c_str(), json_string(status_word(f.status)).c_str(),
                        json_string(f.text).c_str(), json_string(f.advice).c_str());
        }
        std::printf("\n]}\n");
    } else {
        for (const Finding& f : g_findings) {
            std::printf("[%-5s] %-10s %s\n", status_word(f.status), f.check.c_str(), f.text.c_str());
            if (!f.advice.empty()) std::printf("%19s-> %s\n", "", f.advice.c_str());
        }
        std::printf(sound ? "gssneg-doctor: the set-up is sound\n" : "gssneg-doctor: errors found (see above)\n");
    }
    return sound ? 0 : 1;
}
