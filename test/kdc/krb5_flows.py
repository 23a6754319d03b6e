#!/usr/bin/python3
"""The krb5 mechanism's token flows, both sides in one python3-gssapi process,
against the loopback KDC (run under with-kdc.sh --kinit alice).

    krb5_flows.py CASE

    no-mutual        1 token: framed AP-REQ (tok-id 01 00); both sides complete
    mutual           2 tokens: framed AP-REQ, framed AP-REP (02 00)
    dce              GSS_C_DCE_STYLE: 3 tokens: raw AP-REQ (0x6e), raw AP-REP
                     (0x6f) with CONTINUE_NEEDED, the initiator's raw AP-REP
    unknown-service  the initiator fails before any token: no such principal
    acceptor-error   an acceptor keytab with the right kvno but a wrong key:
                     with mutual the acceptor fails with GSS_S_FAILURE and a
                     framed KRB-ERROR (tok-id 03 00, 0x7e) that the initiator
                     turns into its own failure; without mutual no token

Prints every token (side, size, first byte, tok-id, inner first byte) and
asserts the table of MIT-MECHGLUE.md. The acceptor runs in a thread of its
own: krb5 keeps the last extended error text per thread, and the two sides'
messages must not mix.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# Only the mechglue's built-in mechanisms: no plugin from /etc/gss/mech.d.
_no_plugins = os.path.join(os.environ["GSSNEG_KDC_DIR"], "no-plugins.mech")
open(_no_plugins, "w").close()
os.environ["GSS_MECH_CONFIG"] = _no_plugins

import gssapi.raw as gr  # noqa: E402  (after GSS_MECH_CONFIG)
from gssapi.raw import RequirementFlag as Flag  # noqa: E402

REALM = os.environ["GSSNEG_REALM"]
ALICE = os.environ["GSSNEG_ALICE"]
KRB5 = gr.OID.from_int_seq("1.2.840.113554.1.2.2")
KRB5_OID_DER = bytes.fromhex("06092a864886f712010202")
GSS_S_FAILURE = 0xD0000

TOKEN_NAMES = {0x6E: "AP-REQ", 0x6F: "AP-REP", 0x7E: "KRB-ERROR"}

acceptor_thread = ThreadPoolExecutor(max_workers=1)


class Failed(Exception):
    pass


def check(what, expected, actual):
    if expected != actual:
        raise Failed("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


def der_length(buf, pos):
    """(length, position after the length octets) of the DER length at pos."""
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    return int.from_bytes(buf[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def describe(token):
    """(framing, tok-id hex or None, inner first byte) of a krb5 token."""
    if token[0] == 0x60:
        length, pos = der_length(token, 1)
        if pos + length != len(token):
            raise Failed("framed token length %d does not match %d bytes" % (length, len(token)))
        if token[pos:pos + len(KRB5_OID_DER)] != KRB5_OID_DER:
            raise Failed("framed token does not carry the krb5 OID: %s" % token[:20].hex())
        pos += len(KRB5_OID_DER)
        return "framed", token[pos:pos + 2].hex(" "), token[pos + 2]
    return "raw", None, token[0]


def show(index, side, token):
    framing, tok_id, inner = describe(token)
    print("token %d: %s, %d bytes, first byte 0x%02x, %s%s, inner 0x%02x (%s)" % (
        index, side, len(token), token[0], framing,
        ", tok-id " + tok_id if tok_id else "", inner, TOKEN_NAMES.get(inner, "?")))
    return (side, token[0], tok_id, inner)


def krb_error_code(token):
    """The error-code field [6] of the KRB-ERROR inside a framed token."""
    _, pos = der_length(token, 1)
    pos += len(KRB5_OID_DER) + 2
    if token[pos] != 0x7E:
        raise Failed("not a KRB-ERROR")
    _, pos = der_length(token, pos + 1)          # [APPLICATION 30]
    if token[pos] != 0x30:
        raise Failed("KRB-ERROR is not a SEQUENCE")
    seq_len, pos = der_length(token, pos + 1)
    end = pos + seq_len
    while pos < end:
        tag = token[pos]
        length, body = der_length(token, pos + 1)
        if tag == 0xA6:                              # error-code [6] Int32
            if token[body] != 0x02:
                raise Failed("error-code is not an INTEGER")
            n, value = der_length(token, body + 1)
            return int.from_bytes(token[value:value + n], "big", signed=True)
        pos = body + length
    raise Failed("KRB-ERROR without error-code")


def minor_text(err):
    return err.get_all_statuses(err.min_code, False)


def accept(token, cred, ctx):
    """One gss_accept_sec_context in the acceptor thread; returns the result
    or the GSSError it raised (whose .token is the error token, if any)."""
    def call():
        try:
            return gr.accept_sec_context(token, cred, ctx)
        except gr.GSSError as err:
            err.minor_texts = minor_text(err)
            return err
    return acceptor_thread.submit(call).result()


def target(service="host@localhost"):
    return gr.import_name(service.encode(), gr.NameType.hostbased_service)


def acceptor_cred(keytab=None):
    def call():
        if keytab is None:
            return gr.acquire_cred(target(), usage="accept", mechs=[KRB5]).creds
        return gr.acquire_cred_from({b"keytab": keytab.encode()}, target(),
                                    usage="accept", mechs=[KRB5]).creds
    return acceptor_thread.submit(call).result()


def handshake(flags, expected_flow):
    """Runs a context to completion; checks the flow, names, flags and one
    wrapped message each way."""
    cred = acceptor_cred()
    flow = []
    ictx = actx = None
    in_token = None
    init_done = acc_done = False
    while True:
        r = gr.init_sec_context(target(), None, ictx, KRB5, flags, None, None, in_token)
        ictx = r.context
        init_done = not r.more_steps
        if not r.token:
            break
        flow.append(show(len(flow) + 1, "initiator", r.token))
        a = accept(r.token, cred, actx)
        if isinstance(a, gr.GSSError):
            raise Failed("acceptor failed: %s" % a.minor_texts)
        actx = a.context
        acc_done = not a.more_steps
        if not a.token:
            break
        flow.append(show(len(flow) + 1, "acceptor", a.token))
        if init_done:
            break
        in_token = a.token
    if not init_done:
        r = gr.init_sec_context(target(), None, ictx, KRB5, flags, None, None, in_token)
        ictx = r.context
        init_done = not r.more_steps
        check("initiator token after the acceptor's last", b"", r.token or b"")
    check("token flow", expected_flow, flow)
    check("initiator complete", True, init_done)
    check("acceptor complete", True, acc_done)
    check("acceptor's mech", KRB5, a.mech)
    check("initiator as the acceptor sees it", ALICE,
          gr.display_name(a.initiator_name).name.decode())
    want_mutual = bool(flags & (Flag.mutual_authentication | Flag.dce_style))
    check("initiator's mutual flag", want_mutual, Flag.mutual_authentication in r.flags)
    check("acceptor's mutual flag", want_mutual, Flag.mutual_authentication in a.flags)
    check("initiator's DCE flag", bool(flags & Flag.dce_style), Flag.dce_style in r.flags)
    check("acceptor's DCE flag", bool(flags & Flag.dce_style), Flag.dce_style in a.flags)
    wrapped = gr.wrap(ictx, b"from alice", True).message
    check("unwrapped at the acceptor", b"from alice",
          acceptor_thread.submit(lambda: gr.unwrap(actx, wrapped).message).result())
    back = acceptor_thread.submit(lambda: gr.wrap(actx, b"from host", True).message).result()
    check("unwrapped at the initiator", b"from host", gr.unwrap(ictx, back).message)


def unknown_service():
    try:
        gr.init_sec_context(target("nosuch@localhost"), None, None, KRB5,
                            Flag.mutual_authentication)
    except gr.GSSError as err:
        check("major", GSS_S_FAILURE, err.maj_code)
        check("minor text", ["Server nosuch/localhost@%s not found in Kerberos database" % REALM],
              minor_text(err))
        check("error token", None, err.token)
        return
    raise Failed("init_sec_context to an unknown service succeeded")


def wrong_key_keytab():
    """host/localhost at the KDC's kvno 2, but a key from another password."""
    path = os.path.join(os.environ["GSSNEG_KDC_DIR"], "wrong-key.keytab")
    if os.path.exists(path):
        return path
    script = ("addent -password -p host/localhost@%s -k 2 -e aes256-cts-hmac-sha1-96\n"
              "not-the-service-key\nwkt %s\n" % (REALM, path))
    subprocess.run(["ktutil"], input=script, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    return path


def acceptor_error(flags):
    cred = acceptor_cred(wrong_key_keytab())
    r = gr.init_sec_context(target(), None, None, KRB5, flags)
    flow = [show(1, "initiator", r.token)]
    a = accept(r.token, cred, None)
    if not isinstance(a, gr.GSSError):
        raise Failed("the acceptor accepted a ticket it cannot decrypt")
    check("acceptor major", GSS_S_FAILURE, a.maj_code)
    check("acceptor minor text",
          ["Request ticket server host/localhost@%s kvno 2 enctype aes256-cts "
           "found in keytab but cannot decrypt ticket" % REALM], a.minor_texts)
    mutual = bool(flags & Flag.mutual_authentication)
    if not mutual:
        check("acceptor error token", None, a.token)
        check("token flow", [("initiator", 0x60, "01 00", 0x6E)], flow)
        check("initiator complete after its only token", False, r.more_steps)
        return
    flow.append(show(2, "acceptor", a.token))
    check("token flow", [("initiator", 0x60, "01 00", 0x6E),
                         ("acceptor", 0x60, "03 00", 0x7E)], flow)
    check("KRB-ERROR error-code (KRB_AP_ERR_BAD_INTEGRITY)", 31, krb_error_code(a.token))
    try:
        gr.init_sec_context(target(), None, r.context, KRB5, flags, None, None, a.token)
    except gr.GSSError as err:
        check("initiator major", GSS_S_FAILURE, err.maj_code)
        check("initiator minor text", ["Decrypt integrity check failed"], minor_text(err))
        check("initiator output token", None, err.token)
        return
    raise Failed("the initiator accepted a KRB-ERROR")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: krb5_flows.py CASE")
    case = sys.argv[1]
    ap_req = ("initiator", 0x60, "01 00", 0x6E)
    if case == "no-mutual":
        # python-gssapi turns flags=0 into its defaults (mutual): ask for
        # integrity only.
        handshake(Flag.integrity, [ap_req])
    elif case == "mutual":
        handshake(Flag.mutual_authentication | Flag.integrity,
                  [ap_req, ("acceptor", 0x60, "02 00", 0x6F)])
    elif case == "dce":
        handshake(Flag.mutual_authentication | Flag.dce_style | Flag.integrity,
                  [("initiator", 0x6E, None, 0x6E), ("acceptor", 0x6F, None, 0x6F),
                   ("initiator", 0x6F, None, 0x6F)])
    elif case == "unknown-service":
        unknown_service()
    elif case == "acceptor-error":
        acceptor_error(Flag.mutual_authentication | Flag.integrity)
        acceptor_error(Flag.integrity)
    else:
        sys.exit("unknown case " + case)
    print("PASS: " + case)


if __name__ == "__main__":
    try:
        main()
    except Failed as failure:
        print("FAIL: %s" % failure)
        sys.exit(1)
    finally:
        acceptor_thread.shutdown()
