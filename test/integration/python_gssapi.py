#!/usr/bin/python3
"""Our NTLM module under python3-gssapi (an RTLD_LOCAL host): initiator and
acceptor in ONE process, both through the mechglue.

Environment: GSSNEG_OURS_MECH (default GSSNEG_BUILD_MECH), the mech file.
"""
import hashlib
import os
import shutil
import sys
import tempfile

DOMAIN = "TESTDOM"
USER = "alice"
PASSWORD = "Passw0rd-for-alice"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
SESSION_KEY_OID = "1.2.840.113554.1.2.2.5.5"  # GSS_C_INQ_SSPI_SESSION_KEY
GSS_S_DEFECTIVE_CREDENTIAL = 10 << 16
GSS_S_NO_CRED = 7 << 16
GSS_S_DEFECTIVE_TOKEN = 9 << 16
GSS_S_FAILURE = 13 << 16


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def module_is_reference(mech_file):
    with open(mech_file) as f:
        for line in f:
            fields = line.split()
            if not line.startswith("#") and len(fields) >= 3 and fields[1] == NTLM_OID:
                return os.path.basename(fields[2]) == "gssntlmssp.so"
    return False


def handshake(gssapi, initiator_creds, acceptor_creds=None):
    """Relays tokens between a fresh initiator and acceptor; returns both
    contexts and the NTLM message types seen, in order."""
    ntlm = gssapi.OID.from_int_seq(NTLM_OID)
    target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
    initiator = gssapi.SecurityContext(name=target, creds=initiator_creds, mech=ntlm, usage="initiate")
    acceptor = gssapi.SecurityContext(creds=acceptor_creds, usage="accept")
    legs = []
    token = initiator.step()
    while True:
        legs.append(token[8] if token[:8] == b"NTLMSSP\0" else None)
        print("  initiator -> acceptor: %d bytes" % len(token))
        token = acceptor.step(token)
        if acceptor.complete and not token:
            break
        legs.append(token[8] if token[:8] == b"NTLMSSP\0" else None)
        print("  acceptor -> initiator: %d bytes" % len(token))
        token = initiator.step(token)
        if len(legs) > 6:
            fail("handshake does not end")
    return initiator, acceptor, legs


def session_key(gssapi, ctx):
    oid = gssapi.OID.from_int_seq(SESSION_KEY_OID)
    try:
        keys = gssapi.raw.inquire_sec_context_by_oid(ctx, oid)
    except gssapi.exceptions.GSSError as e:
        fail("inquire_sec_context_by_oid(GSS_C_INQ_SSPI_SESSION_KEY) failed: %s" % e)
    if not keys or not keys[0]:
        fail("no session key returned")
    return keys[0]


def main():
    mech_file = os.environ.get("GSSNEG_OURS_MECH") or os.environ.get("GSSNEG_BUILD_MECH")
    if not mech_file or not os.path.exists(mech_file):
        fail("set GSSNEG_OURS_MECH or GSSNEG_BUILD_MECH to our mech file")
    workdir = tempfile.mkdtemp(prefix="gssneg-python.")
    try:
        user_file = os.path.join(workdir, "users")
        with open(user_file, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
        # Read by the mechglue when it first loads modules, so before any call.
        os.environ["GSS_MECH_CONFIG"] = mech_file
        os.environ["NTLM_USER_FILE"] = user_file
        try:
            import gssapi
            import gssapi.raw
        except ImportError:
            skip("python3-gssapi is not installed for /usr/bin/python3")
        reference = module_is_reference(mech_file)
        print("mech file: %s%s" % (mech_file, " (gss-ntlmssp)" if reference else ""))
        ntlm = gssapi.OID.from_int_seq(NTLM_OID)
        principal = DOMAIN + "\\" + USER

        print("1. handshake, password from NTLM_USER_FILE")
        name = gssapi.Name(principal, gssapi.NameType.user)
        creds = gssapi.Credentials(name=name, usage="initiate", mechs=[ntlm])
        initiator, acceptor, legs = handshake(gssapi, creds)
        if legs != [1, 2, 3]:
            fail("expected NEGOTIATE, CHALLENGE, AUTHENTICATE; saw message types %s" % legs)
        if not (initiator.complete and acceptor.complete):
            fail("contexts not established (initiator %s, acceptor %s)" % (initiator.complete, acceptor.complete))
        if initiator.mech != ntlm or acceptor.mech != ntlm:
            fail("mech: initiator %s, acceptor %s" % (initiator.mech, acceptor.mech))
        source = str(acceptor.initiator_name)
        if reference:
            source = source.rstrip("\0")  # gss-ntlmssp 1.2.0 counts a NUL in display_name
        if source != principal:
            fail("acceptor sees source name %r, expected %r" % (source, principal))
        print("  source name %r, mech %s" % (source, acceptor.mech))
        ikey = session_key(gssapi, initiator)
        akey = session_key(gssapi, acceptor)
        if ikey != akey:
            fail("session keys differ")
        if len(ikey) != 16:
            fail("NTLM session key is %d bytes, expected 16" % len(ikey))
        print("  session keys equal, fingerprint %s" % hashlib.sha256(ikey).hexdigest()[:8])

        print("2. handshake, gss_acquire_cred_with_password")
        creds = gssapi.raw.acquire_cred_with_password(name, PASSWORD.encode(), usage="initiate", mechs=[ntlm]).creds
        initiator, acceptor, legs = handshake(gssapi, creds)
        if legs != [1, 2, 3] or not (initiator.complete and acceptor.complete):
            fail("password credential handshake did not complete")
        if session_key(gssapi, initiator) != session_key(gssapi, acceptor):
            fail("session keys differ (password credential)")

        print("3. wrong password: the acceptor rejects the AUTHENTICATE")
        creds = gssapi.raw.acquire_cred_with_password(name, b"not-" + PASSWORD.encode(), usage="initiate",
                                                      mechs=[ntlm]).creds
        target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
        initiator = gssapi.SecurityContext(name=target, creds=creds, mech=ntlm, usage="initiate")
        acceptor = gssapi.SecurityContext(creds=None, usage="accept")
        authenticate = initiator.step(acceptor.step(initiator.step()))
        try:
            acceptor.step(authenticate)
        except gssapi.exceptions.GSSError as e:
            want = GSS_S_FAILURE if reference else GSS_S_DEFECTIVE_CREDENTIAL
            print("  GSSError major 0x%08x minor %d: %s" % (e.maj_code, e.min_code, e))
            if (e.maj_code & 0xFFFF0000) != want:
                fail("major 0x%08x, expected 0x%08x" % (e.maj_code, want))
        else:
            fail("the acceptor accepted a wrong password")
        if acceptor.complete:
            fail("the acceptor context claims to be complete after a rejection")

        if not reference:
            print("4. a user name with a newline, an ANSI escape, a C1 control and U+2028")
            trace_file = os.path.join(workdir, "trace")
            os.environ["GSS_NEGOTIATE_TRACE"] = trace_file
            forged = DOMAIN + "\\eve\nFORGED LINE\x1b[31m\u0085\u2028x"
            creds = gssapi.raw.acquire_cred_with_password(gssapi.Name(forged, gssapi.NameType.user),
                                                          b"whatever", usage="initiate", mechs=[ntlm]).creds
            initiator = gssapi.SecurityContext(name=target, creds=creds, mech=ntlm, usage="initiate")
            acceptor = gssapi.SecurityContext(creds=None, usage="accept")
            authenticate = initiator.step(acceptor.step(initiator.step()))
            try:
                acceptor.step(authenticate)
                fail("the acceptor accepted an unknown user")
            except gssapi.exceptions.GSSError as e:
                minor = "; ".join(e.get_all_statuses(e.min_code, False))
                print("  minor status: %r" % minor)
                want = "eve\\x0aFORGED LINE\\x1b[31m\\u{85}\\u{2028}x"
                if want not in minor:
                    fail("the status text does not escape the name: %r" % minor)
                if any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029" for c in minor):
                    fail("a control character reached the status text: %r" % minor)
            del os.environ["GSS_NEGOTIATE_TRACE"]
            with open(trace_file, encoding="utf-8") as f:
                text = f.read()
            if want not in text:
                fail("the trace does not show the name escaped")
            lines = text.split("\n")
            if any(ord(c) < 0x20 and c != "\t" or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029"
                   for line in lines for c in line):
                fail("a control character reached the trace")
            if any(line.startswith("FORGED") for line in lines):
                fail("the name forged a trace line")
            print("  escaped the same way in the status text and in the trace")

            print("5. an options file with a bad line: every call fails, naming the file and the line")
            broken = os.path.join(workdir, "broken.conf")
            with open(broken, "w") as f:
                f.write("lm_compat_level = 5\nrequire_mic = yes\nlm_compat_level = five\n")
            os.environ["GSS_NEGOTIATE_CONFIG"] = broken
            try:
                gssapi.raw.acquire_cred_with_password(name, PASSWORD.encode(), usage="initiate", mechs=[ntlm])
                fail("a credential was acquired under a broken options file")
            except gssapi.exceptions.GSSError as e:
                minor = "; ".join(e.get_all_statuses(e.min_code, False))
                print("  %s" % minor)
                if (e.maj_code & 0xFFFF0000) != GSS_S_FAILURE or broken not in minor or "line 3" not in minor:
                    fail("expected GSS_S_FAILURE naming %s, line 3; got 0x%08x %r" % (broken, e.maj_code, minor))
            try:
                gssapi.SecurityContext(creds=None, usage="accept").step(b"NTLMSSP\0\1\0\0\0" + bytes(8))
                fail("an acceptor ran under a broken options file")
            except gssapi.exceptions.GSSError as e:
                if (e.maj_code & 0xFFFF0000) != GSS_S_FAILURE:
                    fail("acceptor: major 0x%08x, expected GSS_S_FAILURE" % e.maj_code)
            del os.environ["GSS_NEGOTIATE_CONFIG"]

            print("6. Negotiate without a ticket or a password: each mechanism's reason, as text")
            os.environ["KRB5CCNAME"] = "FILE:" + os.path.join(workdir, "no-ccache")
            os.environ["NTLM_USER_FILE"] = os.path.join(workdir, "no-users")
            spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
            try:
                gssapi.SecurityContext(name=target, mech=spnego, usage="initiate").step()
                fail("Negotiate made a token without credentials")
            except gssapi.exceptions.GSSError as e:
                minor = "; ".join(e.get_all_statuses(e.min_code, False))
                print("  %s" % minor)
                if (e.maj_code & 0xFFFF0000) != GSS_S_NO_CRED:
                    fail("major 0x%08x, expected GSS_S_NO_CRED" % e.maj_code)
                for part in ("Negotiate has no mechanism with usable credentials: Kerberos: ",
                             os.path.join(workdir, "no-ccache"), "; NTLM: ", os.path.join(workdir, "no-users")):
                    if part not in minor:
                        fail("%r is not in the status text" % part)
                if "(major 0x" in minor:
                    fail("the status text carries raw status codes: %r" % minor)
            os.environ["NTLM_USER_FILE"] = user_file

            print("7. gss_export_cred / gss_import_cred of NTLM credentials")
            init_token = gssapi.raw.export_cred(gssapi.Credentials(name=name, usage="initiate", mechs=[ntlm]))
            accept_token = gssapi.raw.export_cred(gssapi.Credentials(usage="accept", mechs=[ntlm]))
            if PASSWORD.encode() in init_token:
                fail("the exported credential holds the password in clear")
            initiator, acceptor, legs = handshake(gssapi, gssapi.Credentials(gssapi.raw.import_cred(init_token)),
                                                  gssapi.Credentials(gssapi.raw.import_cred(accept_token)))
            if legs != [1, 2, 3] or not (initiator.complete and acceptor.complete):
                fail("the imported credentials did not complete a handshake")
            if str(acceptor.initiator_name) != principal:
                fail("source name %r after import, expected %r" % (str(acceptor.initiator_name), principal))
            if session_key(gssapi, initiator) != session_key(gssapi, acceptor):
                fail("session keys differ (imported credentials)")
            try:
                gssapi.raw.import_cred(init_token[:-1])
                fail("a credential token cut short imported")
            except gssapi.exceptions.GSSError as e:
                if (e.maj_code & 0xFFFF0000) != GSS_S_DEFECTIVE_TOKEN:
                    fail("a token cut short: major 0x%08x, expected GSS_S_DEFECTIVE_TOKEN" % e.maj_code)
            print("  %d- and %d-byte tokens; the imported credentials authenticate %s" %
                  (len(init_token), len(accept_token), principal))
        print("PASS")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
