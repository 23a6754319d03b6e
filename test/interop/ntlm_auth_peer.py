#!/usr/bin/python3
"""NTLM interop between "our" module (through python3-gssapi and the
mechglue) and Samba's ntlm_auth, which speaks the squid helper protocol on
stdin/stdout.

  ntlm_auth_peer.py client                ntlm_auth is the NTLM client, ours accepts
  ntlm_auth_peer.py client-wrong-password ... with a wrong password: ours rejects
  ntlm_auth_peer.py server                ours initiates, ntlm_auth validates
  ntlm_auth_peer.py server-wrong-password ... with a wrong password: ntlm_auth says NA

Environment: GSSNEG_OURS_MECH (default GSSNEG_BUILD_MECH), the mech file of
our side; NTLM_AUTH overrides the ntlm_auth program.
"""
import base64
import os
import shutil
import sys
import tempfile

from ntlm_auth_common import (DOMAIN, GSS_S_DEFECTIVE_CREDENTIAL, GSS_S_FAILURE, NTLM_OID, PASSWORD, USER,
                              Helper, fail, module_is_reference, skip)

MESSAGE_TYPES = {1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE"}


def describe(token):
    if token[:8] == b"NTLMSSP\0" and len(token) > 8:
        return "%s %d bytes" % (MESSAGE_TYPES.get(token[8], "type %d" % token[8]), len(token))
    return "token %d bytes" % len(token)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("client", "client-wrong-password", "server", "server-wrong-password"):
        fail("usage: ntlm_auth_peer.py client|client-wrong-password|server|server-wrong-password")
    mode = sys.argv[1]
    mech_file = os.environ.get("GSSNEG_OURS_MECH") or os.environ.get("GSSNEG_BUILD_MECH")
    if not mech_file or not os.path.exists(mech_file):
        fail("set GSSNEG_OURS_MECH or GSSNEG_BUILD_MECH to our mech file")
    ntlm_auth = os.environ.get("NTLM_AUTH") or shutil.which("ntlm_auth")
    if not ntlm_auth:
        skip("Samba's ntlm_auth is not installed (package winbind)")

    workdir = tempfile.mkdtemp(prefix="gssneg-ntlm_auth.")
    try:
        user_file = os.path.join(workdir, "users")
        with open(user_file, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
        smb_conf = os.path.join(workdir, "smb.conf")
        open(smb_conf, "w").close()
        # The mechglue reads GSS_MECH_CONFIG when it first loads modules.
        os.environ["GSS_MECH_CONFIG"] = mech_file
        os.environ["NTLM_USER_FILE"] = user_file
        try:
            import gssapi
        except ImportError:
            skip("python3-gssapi is not installed for /usr/bin/python3")
        reference = module_is_reference(mech_file)
        print("our side: %s%s" % (mech_file, " (gss-ntlmssp)" if reference else ""))
        wrong = mode.endswith("wrong-password")
        password = "not-" + PASSWORD if wrong else PASSWORD
        common = [ntlm_auth, "--configfile=" + smb_conf, "--username=" + USER, "--domain=" + DOMAIN]
        if mode.startswith("client"):
            run_ntlm_auth_client(gssapi, common, password, wrong, reference, workdir)
        else:
            run_ntlm_auth_server(gssapi, common, wrong, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_ntlm_auth_client(gssapi, common, password, wrong, reference, workdir):
    """ntlm_auth --helper-protocol=ntlmssp-client-1: "YR" gives the NEGOTIATE,
    "TT <challenge>" gives "KK <authenticate>" (or "AF <authenticate>")."""
    helper = Helper(common + ["--helper-protocol=ntlmssp-client-1", "--password=" + password], workdir)
    try:
        acceptor = gssapi.SecurityContext(creds=None, usage="accept")
        answer = helper.ask("YR")
        if not answer.startswith("YR "):
            fail("ntlm_auth did not produce a NEGOTIATE: " + answer)
        negotiate = base64.b64decode(answer[3:])
        print("<- leg 1: " + describe(negotiate))
        challenge = acceptor.step(negotiate)
        if not challenge or acceptor.complete:
            fail("our acceptor did not answer the NEGOTIATE with a CHALLENGE")
        print("-> leg 2: " + describe(challenge))
        answer = helper.ask("TT " + base64.b64encode(challenge).decode())
        if answer[:3] not in ("KK ", "AF "):
            helper.dump_stderr()
            fail("ntlm_auth did not produce an AUTHENTICATE: " + answer)
        authenticate = base64.b64decode(answer[3:])
        print("<- leg 3: " + describe(authenticate))
        if authenticate[:9] != b"NTLMSSP\0\x03":
            fail("ntlm_auth's answer is not an AUTHENTICATE message")
        try:
            final = acceptor.step(authenticate)
        except gssapi.exceptions.GSSError as e:
            print("acceptor: GSSError major 0x%08x minor %d: %s" % (e.maj_code, e.min_code, e))
            if not wrong:
                fail("our acceptor rejected ntlm_auth's AUTHENTICATE")
            # MS-NLMP 3.2.5.1.2: a bad response is a logon failure. Ours maps
            # it to GSS_S_DEFECTIVE_CREDENTIAL; gss-ntlmssp 1.2.0 to GSS_S_FAILURE.
            want = GSS_S_FAILURE if reference else GSS_S_DEFECTIVE_CREDENTIAL
            if (e.maj_code & 0xFFFF0000) != want:
                fail("acceptor failed with major 0x%08x, expected 0x%08x" % (e.maj_code, want))
            print("PASS: our acceptor rejected ntlm_auth's wrong password")
            return
        if wrong:
            fail("our acceptor accepted a wrong password")
        if final:
            fail("our acceptor produced an unexpected fourth token")
        if not acceptor.complete:
            fail("our acceptor is not complete after the AUTHENTICATE")
        source = str(acceptor.initiator_name)
        if reference:
            source = source.rstrip("\0")  # gss-ntlmssp counts a NUL in display_name
        print("acceptor: source name %r, mech %s" % (source, acceptor.mech))
        if source != DOMAIN + "\\" + USER:
            fail("source name %r, expected %r" % (source, DOMAIN + "\\" + USER))
        if str(acceptor.mech.dotted_form) != NTLM_OID:
            fail("mech %s is not NTLM" % acceptor.mech)
        print("PASS: ntlm_auth (client) -> our acceptor")
    finally:
        helper.stop()


def run_ntlm_auth_server(gssapi, common, wrong, workdir):
    """ntlm_auth --helper-protocol=squid-2.5-ntlmssp --password=P checks the
    response locally: "YR <negotiate>" -> "TT <challenge>",
    "KK <authenticate>" -> "AF DOMAIN\\user" or "NA <reason>"."""
    helper = Helper(common + ["--helper-protocol=squid-2.5-ntlmssp", "--password=" + PASSWORD], workdir)
    try:
        ntlm = gssapi.OID.from_int_seq(NTLM_OID)
        name = gssapi.Name(DOMAIN + "\\" + USER, gssapi.NameType.user)
        if wrong:
            creds = gssapi.raw.acquire_cred_with_password(name, ("not-" + PASSWORD).encode(), usage="initiate",
                                                          mechs=[ntlm]).creds
        else:
            creds = gssapi.Credentials(name=name, usage="initiate", mechs=[ntlm])
        target = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
        initiator = gssapi.SecurityContext(name=target, creds=creds, mech=ntlm, usage="initiate")
        negotiate = initiator.step()
        print("-> leg 1: " + describe(negotiate))
        answer = helper.ask("YR " + base64.b64encode(negotiate).decode())
        if not answer.startswith("TT "):
            helper.dump_stderr()
            fail("ntlm_auth did not answer with a CHALLENGE: " + answer)
        challenge = base64.b64decode(answer[3:])
        print("<- leg 2: " + describe(challenge))
        authenticate = initiator.step(challenge)
        print("-> leg 3: " + describe(authenticate))
        if not initiator.complete:
            fail("our initiator is not complete after producing the AUTHENTICATE")
        answer = helper.ask("KK " + base64.b64encode(authenticate).decode())
        if wrong:
            if not answer.startswith("NA "):
                fail("ntlm_auth did not reject the wrong password: " + answer)
            print("PASS: ntlm_auth (server) rejected our initiator's wrong password")
            return
        if answer != "AF %s\\%s" % (DOMAIN, USER):
            helper.dump_stderr()
            fail("ntlm_auth did not accept our AUTHENTICATE: " + answer)
        print("PASS: our initiator -> ntlm_auth (server)")
    finally:
        helper.stop()


if __name__ == "__main__":
    main()
