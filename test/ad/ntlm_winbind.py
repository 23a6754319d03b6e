#!/usr/bin/python3
"""NTLM validated by the AD domain controller through winbindd: our NTLM
acceptor with the winbind backend only (GSS_NEGOTIATE_NTLM_BACKENDS=winbind,
no user file), hosted by python3-gssapi, with the build tree's conf/mech.
Run by ntlm_winbind.sh under nss_wrapper (dc.sh dc_winbind), which is what
lets libwbclient reach the test DC's winbindd.

  ntlm_winbind.py ours          our initiator (alice's, then bob's password)
                                against our acceptor: the CHALLENGE names the
                                domain as winbindd reports it; the source
                                name is the domain's account with its SIDs as
                                name attributes; messages protected both ways
                                with the session key the DC returned
  ntlm_winbind.py ntlmv1        LM_COMPAT_LEVEL=1: NTLMv1 with extended
                                session security, which the DC checks against
                                MD5(server || client challenge)[0..7]; the
                                trace names the response, sealing works with
                                the session key derived from the DC's key
  ntlm_winbind.py ntlm-auth     Samba's ntlm_auth ntlmssp-client-1 (alice)
                                against our acceptor
  ntlm_winbind.py errors        a wrong password, an unknown user, accounts
                                disabled, expired and locked out, a password
                                that must be changed: each its own major,
                                minor and text, which names the user and not
                                the password
  ntlm_winbind.py unavailable   winbindd stopped: "winbindd cannot be reached",
                                for a logon and for single sign-on
  ntlm_winbind.py no-privilege  run as a user outside winbindd's privileged
                                group: "may not use its privileged pipe";
                                single sign-on needs no privilege: bob's
                                credentials, cached by this user, log on,
                                alice's, cached by root, are refused
  ntlm_winbind.py negotiate     Negotiate without a Kerberos ticket: the
                                acceptor (HTTP/localhost keytab) falls back to
                                NTLM, which the DC validates
  ntlm_winbind.py sso           single sign-on: alice's password is in
                                winbindd's memory only (ntlm_winbind.sh ran
                                wbinfo --ccache-save), no user file, no
                                ticket. Our NTLM and Negotiate initiators with
                                GSS_C_NO_CREDENTIAL log on as alice, with a
                                MIC and protection from winbindd's session
                                key; Samba's ntlm_auth --use-cached-creds
                                does the same against our acceptor. Refused:
                                bob, whose credentials winbindd lacks
                                (GSS_S_NO_CRED); channel bindings, which
                                winbindd cannot sign (GSS_S_BAD_BINDINGS);
                                winbind_credentials = no; a CHALLENGE without
                                SIGN, or with an altered AV pair
"""
import base64
import faulthandler
import os
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from ntlm_auth_common import Helper  # noqa: E402
import wire  # noqa: E402

NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
SPNEGO_OID = "1.3.6.1.5.5.2"
GSS_S_DEFECTIVE_CREDENTIAL = 10 << 16
GSS_S_CREDENTIALS_EXPIRED = 11 << 16
GSS_S_FAILURE = 13 << 16
GSS_S_BAD_BINDINGS = 4 << 16
GSS_S_NO_CRED = 7 << 16
GSS_S_DEFECTIVE_TOKEN = 9 << 16
NTLMSSP_SIGN = 0x10
DOMAIN_USERS_RID = 513
# MS-NLMP 2.2.2.1 AV pair ids.
AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN, AV_DNS_TREE = 1, 2, 3, 4, 5


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


def env(name):
    value = os.environ.get(name)
    if not value:
        fail("%s is not set: run under ntlm_winbind.sh" % name)
    return value


faulthandler.dump_traceback_later(60, exit=True)
DOMAIN = env("GSSNEG_AD_DOMAIN")
DNS_DOMAIN = env("GSSNEG_AD_DNS_DOMAIN")
ALICE, ALICE_PASSWORD, ALICE_SID = env("GSSNEG_AD_ALICE"), env("GSSNEG_AD_ALICE_PASSWORD"), env("GSSNEG_AD_ALICE_SID")
BOB, BOB_PASSWORD, BOB_SID = env("GSSNEG_AD_BOB"), env("GSSNEG_AD_BOB_PASSWORD"), env("GSSNEG_AD_BOB_SID")
CAROL, CAROL_PASSWORD = env("GSSNEG_AD_DISABLED"), env("GSSNEG_AD_DISABLED_PASSWORD")
DAVE, DAVE_PASSWORD = env("GSSNEG_AD_EXPIRED"), env("GSSNEG_AD_EXPIRED_PASSWORD")
ERIN, ERIN_PASSWORD = env("GSSNEG_AD_MUSTCHANGE"), env("GSSNEG_AD_MUSTCHANGE_PASSWORD")
FRANK, FRANK_PASSWORD = env("GSSNEG_AD_LOCKED"), env("GSSNEG_AD_LOCKED_PASSWORD")
DOMAIN_SID = env("GSSNEG_AD_DOMAIN_SID")
os.environ["GSS_MECH_CONFIG"] = env("GSSNEG_BUILD_MECH")
os.environ["GSS_NEGOTIATE_NTLM_BACKENDS"] = "winbind"
os.environ.pop("NTLM_USER_FILE", None)
import gssapi  # noqa: E402

NTLM = gssapi.OID.from_int_seq(NTLM_OID)
SPNEGO = gssapi.OID.from_int_seq(SPNEGO_OID)
TARGET = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
FLAGS = (gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.integrity |
         gssapi.RequirementFlag.replay_detection | gssapi.RequirementFlag.out_of_sequence_detection)


def av_pairs(challenge):
    """The CHALLENGE's TargetInfo (MS-NLMP 2.2.1.2) as {AvId: text}."""
    length, _, offset = struct.unpack_from("<HHI", challenge, 40)
    info = challenge[offset:offset + length]
    pairs = {}
    pos = 0
    while pos + 4 <= len(info):
        av_id, av_len = struct.unpack_from("<HH", info, pos)
        if av_id == 0:
            break
        value = info[pos + 4:pos + 4 + av_len]
        if av_id in (AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN, AV_DNS_TREE):
            pairs[av_id] = value.decode("utf-16-le")
        pos += 4 + av_len
    return pairs


def password_creds(user, password, mech=NTLM):
    name = gssapi.Name(DOMAIN + "\\" + user, gssapi.NameType.user)
    return gssapi.raw.acquire_cred_with_password(name, password.encode(), usage="initiate", mechs=[mech]).creds


def attribute(name, attr):
    """Every value of a name attribute: python3-gssapi runs the RFC 6680
    'more' loop of gss_get_name_attribute (-1, then each next index)."""
    result = gssapi.raw.get_name_attribute(name, attr.encode())
    if not result.authenticated or not result.complete:
        fail("%s is not marked authenticated and complete" % attr)
    if list(result.values) != list(result.display_values):
        fail("%s: the display values differ from the values" % attr)
    return [v.decode() for v in result.values]


def run_ntlm(user, password):
    initiator = gssapi.SecurityContext(name=TARGET, creds=password_creds(user, password), mech=NTLM,
                                       flags=FLAGS, usage="initiate")
    acceptor = gssapi.SecurityContext(creds=None, usage="accept")
    negotiate = initiator.step()
    challenge = acceptor.step(negotiate)
    print("-> NEGOTIATE %d bytes, <- CHALLENGE %d bytes" % (len(negotiate), len(challenge)))
    authenticate = initiator.step(challenge)
    return initiator, acceptor, challenge, authenticate


def expect_domain_identity(acceptor, user, user_sid):
    source = acceptor.initiator_name
    check("source name", DOMAIN + "\\" + user, str(source))
    check("mechanism", NTLM_OID, acceptor.mech.dotted_form)
    listed = sorted(a.decode() for a in gssapi.raw.inquire_name(source).attrs)
    check("attributes listed", sorted(["urn:gss-negotiate:user-sid", "urn:gss-negotiate:group-sids",
                                       "urn:gss-negotiate:sids", "urn:gss-negotiate:account",
                                       "urn:gss-negotiate:logon-server", "urn:gssntlmssp:sids"]), listed)
    check("user-sid", [user_sid], attribute(source, "urn:gss-negotiate:user-sid"))
    groups = attribute(source, "urn:gss-negotiate:group-sids")
    check("primary group (Domain Users)", "%s-%d" % (DOMAIN_SID, DOMAIN_USERS_RID), groups[0])
    check("sids", [user_sid] + groups, attribute(source, "urn:gss-negotiate:sids"))
    check("urn:gssntlmssp:sids", [",".join([user_sid] + groups)], attribute(source, "urn:gssntlmssp:sids"))
    check("account", [DOMAIN + "\\" + user], attribute(source, "urn:gss-negotiate:account"))
    server = attribute(source, "urn:gss-negotiate:logon-server")
    if len(server) != 1 or not server[0]:
        fail("no logon server: %r" % server)
    print("ok: logon server %r, %d groups" % (server[0], len(groups)))
    try:
        gssapi.raw.get_name_attribute(source, b"urn:gss-negotiate:no-such-attribute", -1)
        fail("an unknown attribute was answered")
    except gssapi.exceptions.GSSError as e:
        check("unknown attribute major", 16 << 16, e.maj_code & 0xFFFF0000)  # GSS_S_UNAVAILABLE


def expect_protection(initiator, acceptor):
    for sender, receiver, what in ((initiator, acceptor, "initiator -> acceptor"),
                                   (acceptor, initiator, "acceptor -> initiator")):
        message = ("sealed " + what).encode()
        wrapped = sender.wrap(message, True)
        if not wrapped.encrypted or message in wrapped.message:
            fail("%s: the message was not sealed" % what)
        check(what + " unwrap", message, receiver.unwrap(wrapped.message).message)
        receiver.verify_signature(message, sender.get_signature(message))
    print("ok: sealing and MICs both ways with the DC's session key")


def case_ours():
    for user, password, sid in ((ALICE, ALICE_PASSWORD, ALICE_SID), (BOB, BOB_PASSWORD, BOB_SID)):
        initiator, acceptor, challenge, authenticate = run_ntlm(user, password)
        pairs = av_pairs(challenge)
        check("CHALLENGE NbDomainName", DOMAIN, pairs.get(AV_NB_DOMAIN))
        check("CHALLENGE DnsDomainName", DNS_DOMAIN, pairs.get(AV_DNS_DOMAIN))
        check("CHALLENGE DnsTreeName", DNS_DOMAIN, pairs.get(AV_DNS_TREE))
        final = acceptor.step(authenticate)
        if final or not acceptor.complete or not initiator.complete:
            fail("the handshake did not complete in three legs")
        expect_domain_identity(acceptor, user, sid)
        expect_protection(initiator, acceptor)
    print("PASS: ours")


def case_ntlmv1():
    for user, password, sid in ((ALICE, ALICE_PASSWORD, ALICE_SID), (BOB, BOB_PASSWORD, BOB_SID)):
        initiator, acceptor, challenge, authenticate = run_ntlm(user, password)
        nt_length = struct.unpack_from("<H", authenticate, 20)[0]
        check("NT response length (NTLMv1)", 24, nt_length)
        final = acceptor.step(authenticate)
        if final or not acceptor.complete or not initiator.complete:
            fail("the NTLMv1 handshake did not complete")
        expect_domain_identity(acceptor, user, sid)
        expect_protection(initiator, acceptor)
    with open(os.environ["GSS_NEGOTIATE_TRACE"]) as f:
        trace = f.read()
    for user in (ALICE, BOB):
        wanted = "acceptor: authenticated %s\\%s with NTLMv1 with extended session security" % (DOMAIN, user)
        if wanted not in trace:
            fail("the trace does not say: " + wanted)
    print("ok: both logons were NTLMv1 with extended session security")
    print("PASS: ntlmv1")


def case_ntlm_auth():
    ntlm_auth = shutil.which("ntlm_auth")
    if not ntlm_auth:
        fail("ntlm_auth is missing (package winbind)")
    workdir = tempfile.mkdtemp(prefix="gssneg-ntlm_auth.")
    smb_conf = os.path.join(workdir, "smb.conf")
    open(smb_conf, "w").close()
    helper = Helper([ntlm_auth, "--configfile=" + smb_conf, "--helper-protocol=ntlmssp-client-1",
                     "--username=" + ALICE, "--domain=" + DOMAIN, "--password=" + ALICE_PASSWORD], workdir)
    try:
        acceptor = gssapi.SecurityContext(creds=None, usage="accept")
        answer = helper.ask("YR")
        if not answer.startswith("YR "):
            fail("ntlm_auth gave no NEGOTIATE: " + answer)
        challenge = acceptor.step(base64.b64decode(answer[3:]))
        check("CHALLENGE NbDomainName", DOMAIN, av_pairs(challenge).get(AV_NB_DOMAIN))
        answer = helper.ask("TT " + base64.b64encode(challenge).decode())
        if answer[:3] not in ("KK ", "AF "):
            helper.dump_stderr()
            fail("ntlm_auth gave no AUTHENTICATE: " + answer)
        if acceptor.step(base64.b64decode(answer[3:])) or not acceptor.complete:
            fail("our acceptor did not complete on ntlm_auth's AUTHENTICATE")
        expect_domain_identity(acceptor, ALICE, ALICE_SID)
    finally:
        helper.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("PASS: ntlm_auth ntlmssp-client-1 -> our acceptor through winbind")


def expect_refusal(user, password, major, texts):
    initiator, acceptor, challenge, authenticate = run_ntlm(user, password)
    try:
        acceptor.step(authenticate)
    except gssapi.exceptions.GSSError as e:
        message = e.gen_message()
        print("%s: major 0x%08x minor 0x%08x: %s" % (user, e.maj_code, e.min_code, message))
        check(user + ": major", major, e.maj_code & 0xFFFF0000)
        for text in texts:
            if text not in message:
                fail("%s: %r is not in %r" % (user, text, message))
        if password in message:
            fail("the password appears in the error text")
        return e.min_code
    fail("%s: the acceptor accepted the logon" % user)


def case_errors():
    minors = {
        "wrong password": expect_refusal(ALICE, "not-" + ALICE_PASSWORD, GSS_S_DEFECTIVE_CREDENTIAL,
                                         ["does not match the user's password", DOMAIN + "\\" + ALICE,
                                          "NT_STATUS_WRONG_PASSWORD"]),
        "disabled": expect_refusal(CAROL, CAROL_PASSWORD, GSS_S_DEFECTIVE_CREDENTIAL,
                                   ["the domain account is disabled", DOMAIN + "\\" + CAROL]),
        "unknown": expect_refusal("nobody", "Nobody-pw.1", GSS_S_DEFECTIVE_CREDENTIAL,
                                  ["the user is not known", DOMAIN + "\\nobody"]),
        "expired": expect_refusal(DAVE, DAVE_PASSWORD, GSS_S_DEFECTIVE_CREDENTIAL,
                                  ["the domain account has expired", "NT_STATUS_ACCOUNT_EXPIRED"]),
        "must change": expect_refusal(ERIN, ERIN_PASSWORD, GSS_S_CREDENTIALS_EXPIRED,
                                      ["password must be changed", "NT_STATUS_PASSWORD_MUST_CHANGE"]),
        "locked": expect_refusal(FRANK, FRANK_PASSWORD, GSS_S_DEFECTIVE_CREDENTIAL,
                                 ["the domain account is locked out", "NT_STATUS_ACCOUNT_LOCKED_OUT"]),
    }
    if len(set(minors.values())) != len(minors):
        fail("the refusals share minor codes: %r" % minors)
    print("ok: %d refusals, %d minor codes" % (len(minors), len(minors)))
    print("PASS: errors")


def case_unavailable():
    expect_refusal(ALICE, ALICE_PASSWORD, GSS_S_FAILURE, ["winbindd cannot be reached"])
    os.environ.pop("NTLMUSER", None)
    os.environ["USER"] = ALICE
    expect_no_sso("single sign-on", GSS_S_NO_CRED, ["no password and no user database", "winbindd cannot be reached"])
    print("PASS: winbindd stopped")


def case_no_privilege():
    if os.geteuid() == 0:
        fail("run this case as a user outside winbindd's privileged group")
    expect_refusal(ALICE, ALICE_PASSWORD, GSS_S_FAILURE, ["may not use its privileged pipe"])
    print("PASS: no right to the privileged pipe")
    # winbindd's cached credentials need no privilege, and answer only the
    # uid that stored them: alice's (root's) are refused, bob's (this
    # user's, ntlm_winbind.sh stored them) sign on. The acceptor checks
    # bob with his password in a user file, apart from winbindd.
    os.environ.pop("NTLMUSER", None)
    os.environ["USER"] = ALICE
    expect_no_sso("alice, cached for root", GSS_S_NO_CRED, ["winbindd holds no credentials", DOMAIN + "\\" + ALICE])
    workdir = tempfile.mkdtemp(prefix="gssneg-sso.")
    try:
        users = os.path.join(workdir, "users")
        with open(users, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, BOB, BOB_PASSWORD))
        os.environ["USER"] = BOB
        initiator = gssapi.SecurityContext(name=TARGET, mech=NTLM, flags=FLAGS, usage="initiate")
        negotiate = initiator.step()
        os.environ["NTLM_USER_FILE"] = users
        os.environ["GSS_NEGOTIATE_NTLM_BACKENDS"] = "file"
        acceptor = gssapi.SecurityContext(creds=None, usage="accept")
        authenticate = initiator.step(acceptor.step(negotiate))
        if acceptor.step(authenticate) or not acceptor.complete or not initiator.complete:
            fail("bob's single sign-on did not complete")
        check("source name", DOMAIN + "\\" + BOB, str(acceptor.initiator_name))
        expect_protection(initiator, acceptor)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("PASS: winbindd's cached credentials answer the uid that stored them, without privilege")


def case_negotiate():
    # No ticket: the Negotiate initiator falls back to NTLM with the user
    # file's password (the acceptor's backend is winbind alone, so the file
    # means nothing to it).
    workdir = tempfile.mkdtemp(prefix="gssneg-nego.")
    try:
        users = os.path.join(workdir, "users")
        with open(users, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, ALICE, ALICE_PASSWORD))
        os.environ["NTLM_USER_FILE"] = users
        os.environ["KRB5CCNAME"] = "FILE:" + os.path.join(workdir, "no-ccache")
        initiator, acceptor, legs = relay(SPNEGO)
        check("Negotiate legs", 4, legs)
        check("mechanism", NTLM_OID, acceptor.mech.dotted_form)
        expect_domain_identity(acceptor, ALICE, ALICE_SID)
        expect_protection(initiator, acceptor)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("PASS: Negotiate falls back to NTLM, validated by the DC")


def relay(mech):
    """A handshake between a fresh initiator (default credential) and our
    acceptor; the contexts and the number of legs."""
    initiator = gssapi.SecurityContext(name=TARGET, mech=mech, flags=FLAGS, usage="initiate")
    acceptor = gssapi.SecurityContext(creds=None, usage="accept")
    token, legs = initiator.step(), 1
    while token:
        reply = acceptor.step(token)
        if not reply:
            break
        legs += 1
        token = initiator.step(reply)
        if token:
            legs += 1
    if not initiator.complete or not acceptor.complete:
        fail("the %s handshake did not complete" % mech.dotted_form)
    return initiator, acceptor, legs


def expect_no_sso(what, major, texts, absent=(), bindings=None):
    """A fresh initiator with the default credential makes no NEGOTIATE."""
    initiator = gssapi.SecurityContext(name=TARGET, mech=NTLM, flags=FLAGS, usage="initiate",
                                       channel_bindings=bindings)
    expect_step_refused(what, initiator, None, major, texts, absent)


def sso_challenge():
    initiator = gssapi.SecurityContext(name=TARGET, mech=NTLM, flags=FLAGS, usage="initiate")
    acceptor = gssapi.SecurityContext(creds=None, usage="accept")
    return initiator, acceptor, acceptor.step(initiator.step())


def expect_step_refused(what, context, token, major, texts, absent=()):
    """context.step(token) fails with MAJOR; the status text holds every one
    of TEXTS (the minor's sentence among them) and none of ABSENT."""
    try:
        context.step(token)
    except gssapi.exceptions.GSSError as e:
        message = e.gen_message()
        print("%s: major 0x%08x: %s" % (what, e.maj_code, message))
        check(what + ": major", major, e.maj_code & 0xFFFF0000)
        for text in texts:
            if text not in message:
                fail("%s: %r is not in %r" % (what, text, message))
        for text in absent:
            if text in message:
                fail("%s: %r is in %r" % (what, text, message))
        return
    fail(what + ": the step was not refused")


def case_sso():
    trace_file = env("GSS_NEGOTIATE_TRACE")
    workdir = tempfile.mkdtemp(prefix="gssneg-sso.")
    try:
        os.environ["KRB5CCNAME"] = "FILE:" + os.path.join(workdir, "no-ccache")
        os.environ.pop("NTLMUSER", None)
        os.environ["USER"] = ALICE
        for mech, mech_name, want_legs in ((NTLM, "NTLM", 3), (SPNEGO, "Negotiate", 4)):
            initiator, acceptor, legs = relay(mech)
            check(mech_name + " legs", want_legs, legs)
            check(mech_name + " initiator name", DOMAIN + "\\" + ALICE, str(initiator.initiator_name))
            check(mech_name + " mechanism", NTLM_OID, acceptor.mech.dotted_form)
            expect_domain_identity(acceptor, ALICE, ALICE_SID)
            expect_protection(initiator, acceptor)
        with open(trace_file) as f:
            trace = f.read()
        for wanted in ("from winbindd's cached credentials of %s\\%s, NTLMv2, MIC" % (DOMAIN, ALICE),
                       "acceptor: authenticated %s\\%s with NTLMv2, MIC verified" % (DOMAIN, ALICE)):
            if wanted not in trace:
                fail("the trace does not say: " + wanted)
        print("ok: winbindd made NTLMv2 AUTHENTICATEs with a MIC that our acceptor verified")

        # Samba's own client from the same cache: the reference.
        ntlm_auth = shutil.which("ntlm_auth")
        smb_conf = os.path.join(workdir, "smb.conf")
        open(smb_conf, "w").close()
        helper = Helper([ntlm_auth, "--configfile=" + smb_conf, "--helper-protocol=ntlmssp-client-1",
                         "--use-cached-creds", "--username=" + ALICE, "--domain=" + DOMAIN], workdir)
        try:
            acceptor = gssapi.SecurityContext(creds=None, usage="accept")
            answer = helper.ask("YR")
            if not answer.startswith("YR "):
                fail("ntlm_auth --use-cached-creds gave no NEGOTIATE: " + answer)
            challenge = acceptor.step(base64.b64decode(answer[3:]))
            answer = helper.ask("TT " + base64.b64encode(challenge).decode())
            if answer[:3] not in ("KK ", "AF "):
                helper.dump_stderr()
                fail("ntlm_auth --use-cached-creds gave no AUTHENTICATE: " + answer)
            if acceptor.step(base64.b64decode(answer[3:])) or not acceptor.complete:
                fail("our acceptor did not complete on ntlm_auth's AUTHENTICATE")
            expect_domain_identity(acceptor, ALICE, ALICE_SID)
        finally:
            helper.stop()
        print("ok: ntlm_auth --use-cached-creds logs on from the same cache")

        # A man in the middle that rewrites the CHALLENGE: clearing SIGN is
        # refused before winbindd is asked; an altered AV pair travels in
        # winbindd's AUTHENTICATE, which our acceptor refuses.
        initiator, acceptor, challenge = sso_challenge()
        expect_step_refused("SIGN cleared", initiator, wire.with_flags(challenge, wire.flags(challenge) & ~NTLMSSP_SIGN),
                            GSS_S_FAILURE, ["drops a protection", "the CHALLENGE clears SIGN (integrity)"])
        initiator, acceptor, challenge = sso_challenge()
        altered = wire.edit_target_info(challenge, lambda pairs: [
            (av_id, wire.utf16("DC2") if av_id == AV_NB_COMPUTER else value) for av_id, value in pairs])
        authenticate = initiator.step(altered)
        expect_step_refused("NbComputerName altered", acceptor, authenticate, GSS_S_DEFECTIVE_TOKEN,
                            ["with another value", "MsvAvNbComputerName"])

        cb = gssapi.raw.ChannelBindings(application_data=b"tls-server-end-point:" + bytes(32))
        expect_no_sso("channel bindings", GSS_S_BAD_BINDINGS,
                      ["winbindd's cached credentials cannot sign", DOMAIN + "\\" + ALICE], bindings=cb)
        os.environ["USER"] = BOB
        expect_no_sso("bob, not cached", GSS_S_NO_CRED,
                      ["no password and no user database", "winbindd holds no credentials",
                       DOMAIN + "\\" + BOB])
        os.environ["USER"] = ALICE
        config = os.path.join(workdir, "gss-negotiate.conf")
        with open(config, "w") as f:
            f.write("winbind_credentials = no\n")
        os.environ["GSS_NEGOTIATE_CONFIG"] = config
        expect_no_sso("winbind_credentials = no", GSS_S_NO_CRED, ["no password and no user database"],
                      absent=["winbindd"])
        del os.environ["GSS_NEGOTIATE_CONFIG"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("PASS: single sign-on with winbindd's cached credentials")


CASES = {"ours": case_ours, "ntlmv1": case_ntlmv1, "ntlm-auth": case_ntlm_auth, "errors": case_errors,
         "unavailable": case_unavailable, "no-privilege": case_no_privilege, "negotiate": case_negotiate, "sso": case_sso}
if len(sys.argv) != 2 or sys.argv[1] not in CASES:
    fail("usage: ntlm_winbind.py " + "|".join(CASES))
CASES[sys.argv[1]]()
