#!/usr/bin/env python3
"""MIT krb5's own GSS test programs as a yardstick for the interposer.

    mit_yardstick.py WORK_DIR

Runs under test/kdc/with-kdc.sh --kinit alice (a loopback KDC, alice's
ticket, host/localhost in the service keytab). Takes the programs of
src/tests/gssapi from the krb5 source of the installed libgssapi-krb5-2
(the Debian source package, fetched with apt-get into WORK_DIR; their
code is MIT's and is never part of this tree), builds each one that needs
only the public headers (or, for two, standard headers where MIT's
internal k5-platform.h stands) against the system library, and runs a list of
invocations taken from MIT's own drivers (t_gssapi.py, t_bindings.py,
t_export_cred.py, t_credstore.py, t_s4u.py, t_store_cred.py, t_gssapi.py's
t_imp_cred) twice:

  mit   GSS_MECH_CONFIG = conf/mech-ntlm: MIT's SPNEGO (over our NTLM)
  ours  GSS_MECH_CONFIG = conf/mech: our Negotiate interposer in its place

and compares the exit status and the output (numbers of three or more
digits, lifetimes that move between the runs, are compared as N, and
t_s4u's hex lines of authorization data and PAC as RANDOM). A
difference is a failure, except for the DIFFERENCES below, which are by
design and documented in docs/negotiate.md, each checked for being
exactly that difference.

GSSNEG_MIT_SRC names an unpacked krb5 source tree to use instead of
fetching one.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile

OURS_MECH = os.environ["GSSNEG_BUILD_MECH"]
MIT_MECH = os.environ["GSSNEG_BUILD_MECH_NTLM"]
REALM = os.environ["GSSNEG_REALM"]
HOST = f"host/localhost@{REALM}"
USER = os.environ["GSSNEG_ALICE"]
USER_PASSWORD = os.environ["GSSNEG_ALICE_PASSWORD"]
KEYTAB = os.environ["KRB5_KTNAME"].removeprefix("FILE:")

PUBLIC_ONLY_PROGRAMS = [
    "t_accname", "t_add_cred", "t_bindings", "t_ciflags", "t_credstore", "t_err", "t_export_cred",
    "t_export_name", "t_inq_cred", "t_inq_ctx", "t_inq_mechs_name", "t_iov", "t_lifetime",
    "t_namingexts", "t_saslname", "t_spnego", "t_srcattrs", "t_context", "t_imp_name", "t_oid", "t_s4u",
]

# Programs that include MIT's internal k5-platform.h only for standard C
# and POSIX headers: built with a stand-in of ours (write_platform_shim).
SHIM_PROGRAMS = ["t_imp_cred", "t_store_cred"]
# The rest of src/tests/gssapi (t_pcontok, t_prf, t_invalid, t_enctypes,
# ccinit, ccrefresh) needs k5-int.h, gssapiP_krb5.h or mglueP.h, the
# internals of an in-tree build; they drive the krb5 mechanism directly.

TNAME = "p:" + HOST


def invocations(work):
    """(program, args) pairs, each as MIT's drivers run it, with this
    realm's names."""
    scc = os.path.join(work, "store.ccache")
    runs = [
        ("t_spnego", [TNAME, KEYTAB]),
        ("t_iov", [TNAME]),
        ("t_iov", ["-s", TNAME]),
        ("t_add_cred", []),
        ("t_accname", [TNAME]),
        ("t_accname", [TNAME, "h:host"]),
        ("t_accname", [TNAME, "h:host@localhost"]),
        ("t_inq_cred", []),
        ("t_inq_cred", ["-k"]),
        ("t_inq_cred", ["-s"]),
        ("t_inq_cred", ["-a"]),
        ("t_inq_cred", ["-k", "-a"]),
        ("t_inq_cred", ["-s", "-a"]),
        ("t_inq_cred", ["-k", "-b"]),
        ("t_export_name", ["u:x"]),
        ("t_export_name", ["-s", "u:xyz"]),
        ("t_export_name", ["p:a@b"]),
        ("t_export_name", ["-s", "p:a@b"]),
        ("t_export_name", ["-c", "p:a@b"]),
        ("t_inq_mechs_name", ["p:a@b"]),
        ("t_inq_mechs_name", ["u:x"]),
        ("t_inq_mechs_name", ["h:host"]),
        ("t_err", [TNAME]),
        ("t_err", ["--spnego", TNAME]),
        ("t_ciflags", [TNAME]),
        ("t_inq_ctx", [USER.split("@")[0], USER_PASSWORD, TNAME]),
        ("t_lifetime", [TNAME, str(8000 * 86400)]),
        ("t_saslname", []),
        ("t_srcattrs", [TNAME]),
        ("t_context", [TNAME]),
        ("t_namingexts", [TNAME]),
        ("t_namingexts", ["--spnego", TNAME]),
        ("t_imp_name", []),
        ("t_oid", []),
    ]
    # t_bindings.py: initiator and acceptor bindings, - for none.
    for spnego in ([], ["-s"]):
        for icb, acb in (("-", "-"), ("a", "-"), ("a", "a"), ("-", "a"), ("a", "x")):
            runs.append(("t_bindings", spnego + [TNAME, icb, acb]))
    # t_export_cred.py: each with the krb5 mech, -k, and SPNEGO, -s.
    for mech in ([], ["-k"], ["-s"]):
        runs.append(("t_export_cred", mech + [TNAME]))
        runs.append(("t_export_cred", mech + ["-i", "p:" + USER, "-a", TNAME, TNAME]))
        runs.append(("t_export_cred", mech + ["-a", "h:host", TNAME]))
    # t_s4u.py: the service (with its TGT and its keytab) impersonates the
    # user (S4U2Self) and authenticates to itself with that credential.
    for spnego in ([], ["--spnego"]):
        runs.append(("t_s4u", spnego + ["p:" + USER, "-"]))
    # t_credstore.py: initiator credentials from a named ccache.
    runs.append(("t_credstore", ["-i", TNAME, "ccache", scc]))
    runs.append(("t_credstore", ["-i", "h:host", "ccache", scc]))
    runs.append(("t_credstore", ["-i", "p:wrong", "ccache", scc]))
    runs.append(("t_credstore", ["-i", "u:" + USER, "password", USER_PASSWORD]))
    # t_gssapi.py's t_imp_cred: krb5 credentials imported from the default
    # ccache and keytab, then a context; an acceptor principal the keytab
    # lacks fails.
    runs.append(("t_imp_cred", [TNAME]))
    runs.append(("t_imp_cred", [TNAME, HOST]))
    runs.append(("t_imp_cred", [TNAME, "nobody/localhost@" + REALM]))
    # t_store_cred.py: gss_store_cred and gss_store_cred_into of the user's
    # credential into a fresh ccache (run resets it), and into one that
    # already holds credentials, without and with overwrite.
    fresh = "FILE:" + os.path.join(work, "stored.ccache")
    held = "FILE:" + os.path.join(work, "held.ccache")
    for args in (["-i", fresh], [fresh], ["-i", "-o", fresh], ["-i", held], ["-i", "-o", held], [held]):
        runs.append(("t_store_cred", args[:-1] + ["FILE:" + scc, args[-1]]))
    return runs


# Substitutions applied to both outputs before they are compared.
NORMALIZE = [
    # Lifetimes in seconds move by a second or two between the runs.
    (re.compile(r"\b(\d{3,})\b"), lambda m: "N" if len(m.group(1)) < 12 else m.group(1)),
]
# t_s4u prints the authorization data it attached (random bytes) and the
# PAC of the impersonated ticket (checksums and times), as hex lines.
RANDOM_HEX = {"t_s4u": re.compile(r"^[0-9a-f]{16,}$", re.MULTILINE)}

def neghints_difference(mit, ours):
    """t_spnego ends with test_neghints: an acceptor given an empty token
    answers with NegTokenInit2, which MIT's test compares byte for byte
    with MIT's own (mechTypes holding the krb5 OID alone). Negotiate lists
    Microsoft's Kerberos OID before the standard one there, as Windows
    does (docs/negotiate.md), so the lengths differ and the test's assert
    stops it. Everything t_spnego checks before that must pass: the same
    output as MIT's, then that one assertion, and nothing else."""
    assertion = re.compile(r"^t_spnego: .*t_spnego\.c:\d+: test_neghints: "
                           r"Assertion `atok\.length == strlen\(expected\)' failed\.$")
    if mit[0] != 0:
        return "MIT's SPNEGO failed t_spnego"
    lines = ours[1].strip().splitlines()
    if ours[0] != -6 or not lines or not assertion.match(lines[-1]):
        return "ours did not stop at the NegHints length assertion"
    if normalize("\n".join(lines[:-1])) != normalize(mit[1]):
        return "ours printed something else before the NegHints assertion"
    return None


# Differences by design, documented in docs/negotiate.md: (program, args)
# -> a check of both results that returns None when the difference is
# exactly the documented one, or what else differs.
DIFFERENCES = {
    ("t_spnego", (TNAME, KEYTAB)): neghints_difference,
}


def fetch_source(work):
    src = os.environ.get("GSSNEG_MIT_SRC")
    if src:
        return src
    version = subprocess.run(["dpkg-query", "-W", "-f=${source:Version}", "libgssapi-krb5-2"],
                             capture_output=True, text=True, check=True).stdout.strip()
    upstream = version.split("-")[0].split(":")[-1]
    tree = os.path.join(work, f"krb5-{upstream}")
    if os.path.isdir(os.path.join(tree, "src", "tests", "gssapi")):
        return tree
    apt = os.path.join(work, "apt")
    lists = os.path.join(apt, "lists")
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    sources = os.path.join(apt, "sources.list")
    with open(sources, "w", encoding="ascii") as f:
        f.write("deb-src http://deb.debian.org/debian bookworm main\n")
        f.write("deb-src http://deb.debian.org/debian-security bookworm-security main\n")
    # A private source list and package index: the machine's apt setup is
    # left as it is.
    opts = ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={lists}", "-o", "APT::Sandbox::User=root"]
    subprocess.run(["apt-get", "-q", *opts, "update"], cwd=apt, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "-q", *opts, "source", "--download-only", f"krb5={version}"], cwd=apt, check=True,
                   stdout=subprocess.DEVNULL)
    orig = os.path.join(apt, f"krb5_{upstream}.orig.tar.gz")
    with tarfile.open(orig) as tar:
        prefix = f"krb5-{upstream}/src/tests/gssapi/"
        # Regular files and directories under that prefix only (Debian 12's
        # Python has no extraction filters).
        members = [m for m in tar.getmembers() if m.name.startswith(prefix) and ".." not in m.name.split("/")
                   and (m.isfile() or m.isdir())]
        tar.extractall(work, members=members)
    print(f"fetched krb5 {version} (src/tests/gssapi) into {tree}")
    return tree


def write_platform_shim(work):
    """A directory with a k5-platform.h of ours: the standard headers the
    SHIM_PROGRAMS need, none of MIT's internals."""
    shim = os.path.join(work, "shim")
    os.makedirs(shim, exist_ok=True)
    with open(os.path.join(shim, "k5-platform.h"), "w", encoding="ascii") as f:
        f.write("/* Written by gss-negotiate's test/mit/mit_yardstick.py in place of an internal header. */\n")
        for header in ("assert.h", "errno.h", "stdio.h", "stdlib.h", "string.h", "unistd.h"):
            f.write("#include <%s>\n" % header)
    return shim


def build(src, work):
    gss = os.path.join(src, "src", "tests", "gssapi")
    out = os.path.join(work, "bin")
    os.makedirs(out, exist_ok=True)
    shim = write_platform_shim(work)
    built = {}
    for name in PUBLIC_ONLY_PROGRAMS + SHIM_PROGRAMS:
        exe = os.path.join(out, name)
        if not os.path.exists(exe):
            include = ["-I", shim] if name in SHIM_PROGRAMS else []
            proc = subprocess.run(["cc", "-O1", "-w", *include, "-o", exe, os.path.join(gss, name + ".c"),
                                   os.path.join(gss, "common.c"), "-lgssapi_krb5", "-lkrb5", "-lk5crypto",
                                   "-lcom_err"], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(f"FAIL: {name} does not build:\n{proc.stderr}")
                sys.exit(1)
        built[name] = exe
    return built


def service_ccache(work):
    """A ccache with the service's own TGT, from its keytab, for t_s4u:
    the impersonator is the service, as in t_s4u.py."""
    path = os.path.join(work, "service.ccache")
    subprocess.run(["kinit", "-k", "-t", KEYTAB, "-f", "-c", "FILE:" + path, HOST], check=True,
                   capture_output=True)
    return "FILE:" + path


def run(exe, args, mech_file, work):
    env = dict(os.environ, GSS_MECH_CONFIG=mech_file)
    if os.path.basename(exe) == "t_s4u":
        env["KRB5CCNAME"] = service_ccache(work)
    env.pop("GSS_NEGOTIATE_TRACE", None)
    # t_credstore -i ... ccache FILE writes the initiator's credentials there;
    # t_store_cred reads it, and writes into stored.ccache (absent) or
    # held.ccache (holding the user's credentials already).
    user_ccache = os.environ["KRB5CCNAME"].removeprefix("FILE:")
    shutil.copyfile(user_ccache, os.path.join(work, "store.ccache"))
    shutil.copyfile(user_ccache, os.path.join(work, "held.ccache"))
    if os.path.exists(os.path.join(work, "stored.ccache")):
        os.unlink(os.path.join(work, "stored.ccache"))
    # Line-buffered output (stdbuf), so that what a program printed before
    # an abort is there to compare.
    proc = subprocess.run(["stdbuf", "-oL", "-eL", exe, *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def normalize(text, program=None):
    if program in RANDOM_HEX:
        text = RANDOM_HEX[program].sub("RANDOM", text)
    for pattern, replacement in NORMALIZE:
        text = pattern.sub(replacement, text)
    return text.strip()


def main():
    work = os.path.abspath(sys.argv[1])
    os.makedirs(work, exist_ok=True)
    src = fetch_source(work)
    programs = build(src, work)
    failures = 0
    same = 0
    for program, args in invocations(work):
        label = " ".join([program, *args])
        mit = run(programs[program], args, MIT_MECH, work)
        ours = run(programs[program], args, OURS_MECH, work)
        difference = DIFFERENCES.get((program, tuple(args)))
        if difference is not None:
            problem = difference(mit, ours)
            if problem is None:
                same += 1
                print(f"same but for a documented difference: {label} ({difference.__name__})")
                continue
            print(f"FAIL: {label}: {problem}")
        elif (mit[0], normalize(mit[1], program)) == (ours[0], normalize(ours[1], program)):
            same += 1
            print(f"same: {label} (exit {mit[0]})")
            continue
        failures += 1
        print(f"FAIL: {label}")
        print(f"  MIT's SPNEGO: exit {mit[0]}\n    " + mit[1].strip().replace("\n", "\n    "))
        print(f"  ours:         exit {ours[0]}\n    " + ours[1].strip().replace("\n", "\n    "))
    total = same + failures
    print(f"{same} of {total} invocations give what they give under MIT's SPNEGO")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
