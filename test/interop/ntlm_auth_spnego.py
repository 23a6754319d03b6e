#!/usr/bin/python3
"""SPNEGO over NTLM between one of our stacks (through python3-gssapi and
the mechglue) and Samba's ntlm_auth SPNEGO helpers.

  ntlm_auth_spnego.py MODE [STACK]

  MODE server                ours initiates, ntlm_auth --helper-protocol=gss-spnego
                             (with --password: no winbindd) accepts
       server-wrong-password ... our initiator has a wrong password: "NA"
       client                ntlm_auth --helper-protocol=gss-spnego-client
                             initiates, ours accepts
       client-wrong-password ... ntlm_auth has a wrong password: ours rejects
  STACK ours                 our Negotiate interposer over our NTLM (conf/mech,
                             or GSSNEG_OURS_MECH), the default
        mit-ours             MIT's built-in SPNEGO over our NTLM
                             (GSSNEG_BUILD_MECH_NTLM, conf/mech-ntlm)

The trace (GSS_NEGOTIATE_TRACE) must show which SPNEGO ran: our negotiator
for ours, our NTLM without the negotiator for mit-ours.

Helper protocol (source3/utils/ntlm_auth.c, manage_gensec_request):
  gss-spnego:        "YR <b64>" / "KK <b64>" in; "TT <b64> *", "AF <b64>|* <user>",
                     "NA * <NTSTATUS>" out
  gss-spnego-client: "YR" in -> "YR <b64>"; "TT <b64>" in -> "KK <b64>",
                     "AF [<b64>]" or "NA <NTSTATUS>"
Every token is saved as leg-N.bin and checked by spnego_tokens.py.

Environment: GSSNEG_OURS_MECH (default GSSNEG_BUILD_MECH), GSSNEG_BUILD_MECH_NTLM; NTLM_AUTH.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

from ntlm_auth_common import (DOMAIN, GSS_S_DEFECTIVE_CREDENTIAL, GSS_S_FAILURE, NTLM_OID, PASSWORD, USER,
                              Helper, fail, module_is_reference, skip)

SPNEGO_OID = "1.3.6.1.5.5.2"
HERE = os.path.dirname(os.path.abspath(__file__))


class Legs:
    """Saves the handshake tokens in order, for spnego_tokens.py."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "tokens")
        os.mkdir(self.dir)
        self.count = 0

    def add(self, direction, token):
        self.count += 1
        with open(os.path.join(self.dir, "leg-%d.bin" % self.count), "wb") as f:
            f.write(token)
        print("%s leg %d: token %d bytes" % (direction, self.count, len(token)))

    def check(self, expect):
        rc = subprocess.call([sys.executable, os.path.join(HERE, "spnego_tokens.py"), self.dir, "--expect", expect])
        if rc != 0:
            fail("the SPNEGO tokens are not an NTLM exchange with mechListMICs")


def main():
    modes = ("server", "server-wrong-password", "client", "client-wrong-password")
    stacks = ("ours", "mit-ours")
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in modes or (len(sys.argv) == 3 and sys.argv[2] not in stacks):
        fail("usage: ntlm_auth_spnego.py %s [%s]" % ("|".join(modes), "|".join(stacks)))
    mode = sys.argv[1]
    stack = sys.argv[2] if len(sys.argv) == 3 else "ours"
    if stack == "ours":
        mech_file = os.environ.get("GSSNEG_OURS_MECH") or os.environ.get("GSSNEG_BUILD_MECH")
    else:
        mech_file = os.environ.get("GSSNEG_BUILD_MECH_NTLM")
    if not mech_file or not os.path.exists(mech_file):
        fail("no mech file for %s (GSSNEG_OURS_MECH, GSSNEG_BUILD_MECH, GSSNEG_BUILD_MECH_NTLM)" % stack)
    ntlm_auth = os.environ.get("NTLM_AUTH") or shutil.which("ntlm_auth")
    if not ntlm_auth:
        skip("Samba's ntlm_auth is not installed (package winbind)")

    workdir = tempfile.mkdtemp(prefix="gssneg-ntlm_auth-spnego.")
    try:
        user_file = os.path.join(workdir, "users")
        with open(user_file, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
        smb_conf = os.path.join(workdir, "smb.conf")
        open(smb_conf, "w").close()
        # Before the mechglue first loads modules: our NTLM module only, and
        # no Kerberos credentials, so that MIT's SPNEGO negotiates NTLM.
        os.environ["GSS_MECH_CONFIG"] = mech_file
        os.environ["NTLM_USER_FILE"] = user_file
        os.environ["KRB5CCNAME"] = "FILE:" + os.path.join(workdir, "no-ccache")
        os.environ["KRB5_CLIENT_KTNAME"] = os.path.join(workdir, "no-client-keytab")
        os.environ["KRB5_KTNAME"] = os.path.join(workdir, "no-keytab")
        trace = os.path.join(workdir, "trace")
        os.environ["GSS_NEGOTIATE_TRACE"] = trace
        try:
            import gssapi
        except ImportError:
            skip("python3-gssapi is not installed for /usr/bin/python3")
        reference = module_is_reference(mech_file)
        print("our side (%s): %s%s" % (stack, mech_file, " (gss-ntlmssp)" if reference else ""))
        wrong = mode.endswith("wrong-password")
        common = [ntlm_auth, "--configfile=" + smb_conf, "--username=" + USER, "--domain=" + DOMAIN]
        legs = Legs(workdir)
        if mode.startswith("server"):
            run_ntlm_auth_server(gssapi, common, wrong, workdir, legs)
        else:
            run_ntlm_auth_client(gssapi, common, wrong, reference, workdir, legs)
        if not reference:
            check_trace(stack, trace)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def check_trace(stack, trace):
    """Which SPNEGO ran, from our module's trace lines ("gss-negotiate[PID]
    TIME AREA: ...")."""
    with open(trace, encoding="utf-8", errors="replace") as f:
        areas = {m.group(1) for m in re.finditer(r"^gss-negotiate\[\d+\] [\d:.]+ ([a-z]+): ", f.read(), re.M)}
    negotiator = bool(areas & {"spnego", "negotiate"})
    if "ntlm" not in areas:
        fail("the trace shows no NTLM exchange of ours (areas %s)" % sorted(areas))
    if negotiator != (stack == "ours"):
        fail("the trace %s our negotiator, but the stack is %s" % ("shows" if negotiator else "lacks", stack))
    print("ok: the trace shows %s" % ("our Negotiate over NTLM" if negotiator else "our NTLM under MIT's SPNEGO"))


def spnego_oid(gssapi):
    return gssapi.OID.from_int_seq(SPNEGO_OID)


def run_ntlm_auth_server(gssapi, common, wrong, workdir, legs):
    """MIT SPNEGO over ours initiates; ntlm_auth gss-spnego --password
    validates the NTLM response itself (local_pw_check in ntlm_auth.c)."""
    helper = Helper(common + ["--helper-protocol=gss-spnego", "--password=" + PASSWORD], workdir)
    try:
        spnego = spnego_oid(gssapi)
        name = gssapi.Name(DOMAIN + "\\" + USER, gssapi.NameType.user)
        password = ("not-" + PASSWORD) if wrong else PASSWORD
        creds = gssapi.raw.acquire_cred_with_password(name, password.encode(), usage="initiate",
                                                      mechs=[spnego]).creds
        target = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
        flags = (gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality |
                 gssapi.RequirementFlag.mutual_authentication)
        initiator = gssapi.SecurityContext(name=target, creds=creds, mech=spnego, usage="initiate", flags=flags)
        token = initiator.step()
        legs.add("->", token)
        answer = helper.ask("YR " + base64.b64encode(token).decode())
        fields = answer.split(" ", 2)
        if fields[0] != "TT" or len(fields) != 3 or fields[1] == "*":
            helper.dump_stderr()
            fail("ntlm_auth did not answer the NegTokenInit with a token: " + answer)
        token = base64.b64decode(fields[1])
        legs.add("<-", token)
        token = initiator.step(token)
        if not token or initiator.complete:
            fail("our initiator did not answer the CHALLENGE with a token")
        legs.add("->", token)
        answer = helper.ask("KK " + base64.b64encode(token).decode())
        fields = answer.split(" ", 2)
        if wrong:
            if fields[0] != "NA":
                fail("ntlm_auth did not reject the wrong password: " + answer)
            if answer != "NA * NT_STATUS_LOGON_FAILURE":
                fail("ntlm_auth rejected with %r, expected 'NA * NT_STATUS_LOGON_FAILURE'" % answer)
            legs.check("reject")
            print("PASS: ntlm_auth (gss-spnego) rejected our initiator's wrong password")
            return
        if fields[0] != "AF" or len(fields) != 3:
            helper.dump_stderr()
            fail("ntlm_auth did not accept our AUTHENTICATE: " + answer)
        if fields[2] != DOMAIN + "\\" + USER:
            fail("ntlm_auth authenticated %r, expected %r" % (fields[2], DOMAIN + "\\" + USER))
        if fields[1] == "*":
            fail("ntlm_auth sent no final token (no mechListMIC)")
        token = base64.b64decode(fields[1])
        legs.add("<-", token)
        # The final NegTokenResp carries ntlm_auth's mechListMIC: our side
        # must verify it.
        rest = initiator.step(token)
        if rest:
            fail("our initiator produced a fifth token")
        if not initiator.complete:
            fail("our initiator is not complete after ntlm_auth's accept-completed")
        if str(initiator.mech.dotted_form) != NTLM_OID:
            fail("our initiator reports mech %s, not NTLM" % initiator.mech)
        legs.check("success")
        print("initiator: complete, mech %s" % initiator.mech.dotted_form)
        print("PASS: ours -> ntlm_auth (gss-spnego)")
    finally:
        helper.stop()


def run_ntlm_auth_client(gssapi, common, wrong, reference, workdir, legs):
    """ntlm_auth gss-spnego-client initiates; MIT SPNEGO over ours accepts
    with a default SPNEGO acceptor credential. ntlm_auth asks for NTLM
    signing only when told ("SF NTLMSSP_FEATURE_SIGN"); without it no
    integrity is negotiated and SPNEGO exchanges no mechListMIC."""
    password = ("not-" + PASSWORD) if wrong else PASSWORD
    helper = Helper(common + ["--helper-protocol=gss-spnego-client", "--password=" + password], workdir)
    raw = gssapi.raw
    try:
        spnego = spnego_oid(gssapi)
        creds = raw.acquire_cred(None, mechs=[spnego], usage="accept").creds
        if helper.ask("SF NTLMSSP_FEATURE_SIGN") != "OK":
            fail("ntlm_auth refused the feature list")
        answer = helper.ask("YR")
        if not answer.startswith("YR "):
            helper.dump_stderr()
            fail("ntlm_auth did not produce a NegTokenInit: " + answer)
        token = base64.b64decode(answer[3:])
        legs.add("<-", token)
        res = raw.accept_sec_context(token, creds)
        context = res.context
        if not res.token or not res.more_steps:
            fail("our acceptor did not answer the NegTokenInit")
        legs.add("->", res.token)
        answer = helper.ask("TT " + base64.b64encode(res.token).decode())
        if not answer.startswith("KK "):
            helper.dump_stderr()
            fail("ntlm_auth did not produce an AUTHENTICATE: " + answer)
        token = base64.b64decode(answer[3:])
        legs.add("<-", token)
        try:
            res = raw.accept_sec_context(token, creds, context)
        except gssapi.exceptions.GSSError as e:
            print("acceptor: GSSError major 0x%08x minor %d: %s" % (e.maj_code, e.min_code, e))
            if not wrong:
                fail("our acceptor rejected ntlm_auth's AUTHENTICATE")
            # MIT's SPNEGO passes on our NTLM's major code (a logon failure,
            # MS-NLMP 3.2.5.1.2) and the reject NegTokenResp that goes with it.
            want = GSS_S_FAILURE if reference else GSS_S_DEFECTIVE_CREDENTIAL
            if (e.maj_code & 0xFFFF0000) != want:
                fail("acceptor failed with major 0x%08x, expected 0x%08x" % (e.maj_code, want))
            reject = getattr(e, "token", None)
            if not reject:
                fail("our SPNEGO acceptor produced no reject token")
            legs.add("->", reject)
            answer = helper.ask("TT " + base64.b64encode(reject).decode())
            if not answer.startswith("NA "):
                fail("ntlm_auth did not take the reject token as a failure: " + answer)
            legs.check("reject")
            print("PASS: our SPNEGO acceptor rejected ntlm_auth's wrong password")
            return
        if wrong:
            fail("our acceptor accepted a wrong password")
        if res.more_steps:
            fail("our acceptor is not complete after the AUTHENTICATE")
        if not res.token:
            fail("our acceptor sent no final NegTokenResp")
        legs.add("->", res.token)
        answer = helper.ask("TT " + base64.b64encode(res.token).decode())
        if answer.split(" ")[0] != "AF":
            helper.dump_stderr()
            fail("ntlm_auth did not accept our final NegTokenResp (mechListMIC): " + answer)
        source = str(gssapi.Name(res.initiator_name)).rstrip("\0")
        mech = str(res.mech.dotted_form)
        print("acceptor: source name %r, mech %s" % (source, mech))
        if source != DOMAIN + "\\" + USER:
            fail("source name %r, expected %r" % (source, DOMAIN + "\\" + USER))
        if mech != NTLM_OID:
            fail("mech %s is not NTLM" % mech)
        legs.check("success")
        print("PASS: ntlm_auth (gss-spnego-client) -> ours")
    finally:
        helper.stop()


if __name__ == "__main__":
    main()
