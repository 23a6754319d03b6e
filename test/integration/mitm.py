#!/usr/bin/python3
"""A man in the middle between a GSS initiator and a GSS acceptor, both
through the real mechglue (python3-gssapi, an RTLD_LOCAL host), the
acceptor in a process of its own. Each row rewrites one token of a live
exchange (or replays, holds back or reflects one) and names the exact
refusal our module must give: the side, the leg, the GSS major status and
the text of the minor status. Rows run raw NTLM (the NTLM OID) and, where
they make sense there, Negotiate over NTLM (the SPNEGO OID: our
interposer); with --kerberos, Negotiate rows that need a Kerberos ticket
(run it under test/kdc/with-kdc.sh --kinit alice).

The same rows run against the reference, gss-ntlmssp (raw NTLM) and MIT's
own SPNEGO over gss-ntlmssp (Negotiate), in the same run: its column is
reported, never judged, so that a failure in ours is ours and not the
harness's. A row whose attack the reference also refuses shows the same
words there.

  mitm.py [--kerberos] [--markdown FILE]

Environment: GSSNEG_BUILD_MECH (our mech file), GSSNEG_REF_MECH
(gss-ntlmssp's mech file; the reference column is skipped with a note when
it is missing, and fails under CI=true).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wire  # noqa: E402

DOMAIN = "MITMDOM"
USER = "alice"
PASSWORD = "Mitm-Pa55-for-alice"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
SPNEGO_OID = "1.3.6.1.5.5.2"
TARGET = "host@localhost"

MAJORS = {
    1: "BAD_MECH", 2: "BAD_NAME", 3: "BAD_NAMETYPE", 4: "BAD_BINDINGS", 5: "BAD_STATUS",
    6: "BAD_SIG", 7: "NO_CRED", 8: "NO_CONTEXT", 9: "DEFECTIVE_TOKEN", 10: "DEFECTIVE_CREDENTIAL",
    11: "CREDENTIALS_EXPIRED", 12: "CONTEXT_EXPIRED", 13: "FAILURE", 14: "BAD_QOP", 15: "UNAUTHORIZED",
    16: "UNAVAILABLE", 17: "DUPLICATE_ELEMENT", 18: "NAME_NOT_MN",
}
GSS_C_CHANNEL_BOUND_FLAG = 2048


def major_name(code):
    return MAJORS.get((code >> 16) & 0xFF, "0x%x" % code)


def error_outcome(side, leg, e):
    try:
        text = "; ".join(s for s in e.get_all_statuses(e.min_code, False) if s)
    except Exception:  # an older python3-gssapi: the whole message
        text = str(e)
    return {"result": "refused", "side": side, "leg": leg, "major": major_name(e.maj_code), "text": text}


# ------------------------------------------------------------ the acceptor

def acceptor_main():
    """Reads one JSON command a line, answers one JSON line."""
    import gssapi.raw as raw
    ctx = None
    cred = None
    bindings = None
    for line in sys.stdin:
        cmd = json.loads(line)
        reply = {}
        try:
            if cmd["cmd"] == "new":
                ctx = None
                if cmd.get("config") is not None:
                    path = os.path.join(cmd["dir"], "acceptor-%d.conf" % cmd["serial"])
                    with open(path, "w") as f:
                        f.write(cmd["config"])
                    os.environ["GSS_NEGOTIATE_CONFIG"] = path
                else:
                    os.environ.pop("GSS_NEGOTIATE_CONFIG", None)
                cred = None
                if cmd.get("name"):
                    name = raw.import_name(cmd["name"].encode(), raw.NameType.hostbased_service)
                    mechs = [raw.OID.from_int_seq(cmd["mech"])] if cmd.get("mech") else None
                    cred = raw.acquire_cred(name, mechs=mechs, usage="accept").creds
                bindings = None
                if cmd.get("bindings") is not None:
                    bindings = raw.ChannelBindings(application_data=bytes.fromhex(cmd["bindings"]))
            elif cmd["cmd"] == "step":
                res = raw.accept_sec_context(bytes.fromhex(cmd["token"]), acceptor_creds=cred, context=ctx,
                                             channel_bindings=bindings)
                ctx = res.context
                reply = {"token": (res.token or b"").hex(), "complete": not res.more_steps, "flags": int(res.flags),
                         "mech": res.mech.dotted_form if res.mech else None}
            elif cmd["cmd"] == "verify_mic":
                raw.verify_mic(ctx, bytes.fromhex(cmd["message"]), bytes.fromhex(cmd["token"]))
            elif cmd["cmd"] == "unwrap":
                reply = {"message": raw.unwrap(ctx, bytes.fromhex(cmd["token"])).message.hex()}
        except raw.misc.GSSError as e:
            reply = error_outcome("acceptor", None, e)
        print(json.dumps(reply), flush=True)


class Acceptor:
    def __init__(self, env, workdir):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--acceptor"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.dir = workdir
        self.serial = 0

    def call(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the acceptor process ended")
        return json.loads(line)

    def new(self, setup):
        self.serial += 1
        return self.call(cmd="new", dir=self.dir, serial=self.serial, config=setup.get("acceptor_config"),
                         name=setup.get("acceptor_name"), mech=setup.get("acceptor_mech"),
                         bindings=setup["acceptor_bindings"].hex() if "acceptor_bindings" in setup else None)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)

# ------------------------------------------------------------ the exchange

REQ_FLAGS = None  # set in worker_main once gssapi is imported


def exchange(raw, acceptor, mode, row):
    """Runs one exchange with the row's rewrite; the outcome as a dict."""
    setup = row.setup
    acceptor.new(setup)
    mech = raw.OID.from_int_seq(NTLM_OID if mode == "ntlm" else SPNEGO_OID)
    target = raw.import_name(setup.get("target", TARGET).encode(), raw.NameType.hostbased_service)
    icb = None
    if "initiator_bindings" in setup:
        icb = raw.ChannelBindings(application_data=setup["initiator_bindings"])
    # python3-gssapi takes flags=0 for "the defaults" (MUTUAL and
    # SEQUENCE); MUTUAL alone asks NTLM for no protection at all.
    flags = raw.RequirementFlag.mutual_authentication if setup.get("req_flags") == "none" else REQ_FLAGS
    history = []
    ctx = None
    to_initiator = None
    init_complete = acc_complete = False
    acc_flags = 0
    acc_mech = None
    authenticate = None

    def rewrite(token):
        n = len(history)
        if n in row.mutations:
            token = row.mutations[n](token, history)
        history.append(token)
        msg = wire.inner_ntlm(token) if token else None
        if msg and msg[:8] == b"NTLMSSP\0" and wire.message_type(msg) == wire.AUTHENTICATE:
            nonlocal authenticate
            authenticate = msg
        return token

    for _ in range(8):
        if not init_complete:
            try:
                res = raw.init_sec_context(target, context=ctx, mech=mech, flags=flags, channel_bindings=icb,
                                           input_token=to_initiator)
            except raw.misc.GSSError as e:
                return error_outcome("initiator", len(history) - 1, e)
            ctx = res.context
            init_complete = not res.more_steps
            out = res.token
        else:
            out = None
        if out:
            token = rewrite(out)
            if setup.get("hold") and row.leg == len(history) - 1:
                time.sleep(setup["hold"])
            r = acceptor.call(cmd="step", token=token.hex())
            if r.get("result") == "refused":
                r["leg"] = len(history) - 1
                if authenticate is not None and len(wire.field_bytes(authenticate, wire.AUTH_NT)) > 24:
                    r["blob"] = {str(i): v.hex() for i, v in wire.blob_av_pairs(authenticate)}
                return r
            acc_complete = r["complete"]
            acc_flags = r["flags"]
            acc_mech = r["mech"]
            to_initiator = rewrite(bytes.fromhex(r["token"])) if r["token"] else None
            if to_initiator is None and not init_complete:
                return {"result": "stalled", "detail": "the initiator waits, the acceptor sent nothing"}
        elif to_initiator is None or init_complete:
            break
    if not (init_complete and acc_complete):
        return {"result": "stalled", "detail": "initiator complete %s, acceptor complete %s" % (init_complete, acc_complete)}
    outcome = {"result": "established", "acceptor_flags": acc_flags, "initiator_flags": int(res.flags),
               "mech": acc_mech}
    if authenticate is not None and len(wire.field_bytes(authenticate, wire.AUTH_NT)) > 24:
        outcome["blob"] = {str(i): v.hex() for i, v in wire.blob_av_pairs(authenticate)}
    if row.after is not None:
        outcome.update(row.after(raw, ctx, acceptor))
    return outcome

# ------------------------------------------------------------ the rows

class Row:
    """leg and mutate: the token (0 the initiator's first, 1 the acceptor's
    answer, ...) and its rewrite; mutations={leg: rewrite} for several."""

    def __init__(self, name, modes, leg, mutate, expect, note="", after=None, run=None, mutations=None, **setup):
        self.name = name
        self.modes = modes
        self.mutations = dict(mutations or {})
        if leg is not None and mutate is not None:
            self.mutations[leg] = mutate
        self.leg = leg
        self.expect = expect     # {mode: Expect} or Expect for every mode
        self.note = note
        self.after = after       # more to do on the established contexts
        self.run = run           # a whole attack of its own (no relayed exchange)
        self.setup = setup

    def expected(self, mode):
        return self.expect[mode] if isinstance(self.expect, dict) else self.expect


class Refused:
    """Refused by side at leg (0-based), with major and a minor text that
    holds every fragment of text (a string or a tuple); signed=(id, value)
    also checks an AV pair of the NTLMv2 blob the initiator signed."""

    def __init__(self, side, leg, major, text, signed=None):
        self.side, self.leg, self.major = side, leg, major
        self.text = text if isinstance(text, tuple) else (text,)
        self.signed = signed

    def check(self, o):
        if o.get("result") != "refused":
            return "not refused: %s" % describe(o)
        want = (self.side, self.leg, self.major)
        got = (o["side"], o["leg"], o["major"])
        if want != got or any(t not in o["text"] for t in self.text):
            return "expected %s at %s leg %d with \"%s\"; got %s" % (self.major, self.side, self.leg + 1,
                                                                    " ... ".join(self.text), describe(o))
        if self.signed is not None:
            av_id, value = self.signed
            got_value = o.get("blob", {}).get(str(av_id))
            if got_value != value.hex():
                return "the initiator signed %s as AV pair %d, not %s" % (got_value, av_id, value.hex())
        return None

    def words(self):
        return "%s, %s leg %d: %s" % (self.major, self.side, self.leg + 1, self.text)


class Holds:
    """The exchange completes, and check(outcome) says the attack gained
    nothing (an injected value was not signed, no binding claimed)."""

    def __init__(self, what, check):
        self.what, self._check = what, check

    def check(self, o):
        if o.get("result") != "established":
            return "expected an exchange that completes without the attacker's gain; got %s" % describe(o)
        return self._check(o)

    def words(self):
        return self.what


def describe(o):
    if o.get("result") == "refused":
        return "%s at %s leg %s: %s" % (o["major"], o["side"], "?" if o["leg"] is None else o["leg"] + 1, o["text"])
    if o.get("result") == "established":
        extra = ""
        if o.get("acceptor_flags", 0) & GSS_C_CHANNEL_BOUND_FLAG:
            extra = ", acceptor channel-bound"
        if o.get("protection"):
            extra += ", " + o["protection"]
        return "established" + extra
    return o.get("result", "?") + (": " + o["detail"] if o.get("detail") else "")


def ntlm(edit):
    """A rewrite of the NTLM message inside the token (raw or SPNEGO)."""
    def mutate(token, history):
        msg = wire.inner_ntlm(token)
        assert msg is not None, "leg %d carries no NTLM message" % len(history)
        return wire.with_inner_ntlm(token, edit(msg))
    return mutate


def clear_flags(bits):
    return ntlm(lambda m: wire.with_flags(m, wire.flags(m) & ~bits))


def drop_pair(av_id):
    return ntlm(lambda m: wire.edit_target_info(m, lambda pairs: [p for p in pairs if p[0] != av_id]))


def both(*edits):
    def mutate(token, history):
        for e in edits:
            token = e(token, history)
        return token
    return mutate


def spnego(edit):
    def mutate(token, history):
        t = wire.NegTokenInit(token) if wire.is_spnego_init(token) else wire.NegTokenResp(token)
        edit(t)
        return t.serialize()
    return mutate


ATTACKER_CB = b"tls-server-end-point:the-attacker's-certificate"
NTLM_OID_DER = wire.NTLM_OID
ALL_PROTECTION = wire.SIGN | wire.SEAL | wire.KEY_EXCH | wire.NEG_128 | wire.NEG_56 | wire.ESS


def blob_has(av_id, value_hex):
    def check(o):
        got = o.get("blob", {}).get(str(av_id))
        if got != value_hex:
            return "the signed blob carries %s for AV pair %d, expected %s" % (got, av_id, value_hex)
        if o["acceptor_flags"] & GSS_C_CHANNEL_BOUND_FLAG:
            return "the acceptor reports GSS_C_CHANNEL_BOUND_FLAG"
        return None
    return check


def inject_pair(av_id, value):
    return ntlm(lambda m: wire.edit_target_info(
        m, lambda pairs: [p for p in pairs if p[0] != av_id] + [(av_id, value)]))


def protect_dummy(raw, ctx, acceptor):
    """MS-NLMP 3.4.4's unkeyed signature on a context without SIGN."""
    dummy = bytes([1, 0, 0, 0]) + bytes(12)
    r = acceptor.call(cmd="verify_mic", message=b"pay the attacker".hex(), token=dummy.hex())
    if r.get("result") == "refused":
        return {"protection": "verify_mic refuses the dummy signature: " + r["major"],
                "protection_major": r["major"], "protection_text": r["text"]}
    return {"protection": "verify_mic accepts the dummy signature", "protection_major": "COMPLETE"}


def refused_dummy(o):
    if o.get("protection_major") != "UNAVAILABLE" or "Integrity was not negotiated" not in o.get("protection_text", ""):
        return "expected UNAVAILABLE \"Integrity was not negotiated\" for the dummy signature; got %s" % o.get(
            "protection")
    return None


def replay_authenticate(raw, acceptor, mode, row):
    """An AUTHENTICATE recorded from one exchange given to a new acceptor
    context, after that context's own CHALLENGE."""
    recorded = []

    def keep(token, history):
        recorded.append(token)
        return token
    o = exchange(raw, acceptor, mode, Row("record", row.modes, 2, keep, None))
    if o.get("result") != "established":
        return {"result": "stalled", "detail": "the recorded exchange failed: " + describe(o)}
    return exchange(raw, acceptor, mode, Row("replay", row.modes, 2, lambda token, history: recorded[0], None))


def reflect(raw, acceptor, mode, row):
    """The attacker opens a context with an acceptor of the victim's own
    process (so no child process here) and hands its CHALLENGE to the
    victim, whose target is the attacker's host."""
    mech = raw.OID.from_int_seq(NTLM_OID if mode == "ntlm" else SPNEGO_OID)
    victim_target = raw.import_name(b"host@attacker.example", raw.NameType.hostbased_service)
    first = raw.init_sec_context(victim_target, mech=mech, flags=REQ_FLAGS)
    acc = raw.accept_sec_context(first.token)
    try:
        raw.init_sec_context(victim_target, context=first.context, mech=mech, flags=REQ_FLAGS,
                             input_token=acc.token)
    except raw.misc.GSSError as e:
        return error_outcome("initiator", 1, e)
    return {"result": "established", "acceptor_flags": 0, "initiator_flags": 0,
            "detail": "the victim answered the reflected CHALLENGE"}


CLEAN = "no rewrite (the harness's own check: it must complete in both columns)"
KRB5 = "1.2.840.113554.1.2.2"
BOTH = ("ntlm", "negotiate")
NTLM_ONLY = ("ntlm",)
NEGO = ("negotiate",)
ECHO_MISSING = "leaves out an AV pair of the CHALLENGE's TargetInfo"
ECHO_ALTERED = "carries an AV pair of the CHALLENGE's TargetInfo with another value"
DOWNGRADED = "drops a protection the application asked for"
MIC_MISMATCH = "MIC does not verify"


def rows(kerberos):
    if kerberos:
        return kerberos_rows()
    return [
        Row(CLEAN, BOTH, None, None, Holds("completes", lambda o: None)),
        # ---- the MIC dropped (CVE-2019-1040 class) and the flags it protects
        Row("CHALLENGE without MsvAvTimestamp (the initiator then sends no MIC)", BOTH, 1,
            drop_pair(wire.AV_TIMESTAMP), Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_MISSING, "MsvAvTimestamp"))),
        Row("CHALLENGE without MsvAvTimestamp, SIGN SEAL KEY_EXCH 128 56 ESS cleared", BOTH, 1,
            both(drop_pair(wire.AV_TIMESTAMP), clear_flags(ALL_PROTECTION)),
            Refused("initiator", 1, "FAILURE", DOWNGRADED)),
        Row("CHALLENGE with SIGN and SEAL cleared", BOTH, 1, clear_flags(wire.SIGN | wire.SEAL),
            Refused("initiator", 1, "FAILURE", DOWNGRADED + " (it may have been altered in transit): the CHALLENGE "
                    "clears SIGN (integrity), SEAL (confidentiality)")),
        Row("CHALLENGE with ESS cleared (NTLMv1 session keys)", BOTH, 1, clear_flags(wire.ESS),
            Refused("initiator", 1, "FAILURE", "clears EXTENDED_SESSIONSECURITY")),
        Row("CHALLENGE with NEGOTIATE_128 cleared (56-bit keys)", BOTH, 1, clear_flags(wire.NEG_128),
            Refused("initiator", 1, "FAILURE", "clears 128-bit keys")),
        Row("CHALLENGE with KEY_EXCH cleared (a flag the application did not ask for)", BOTH, 1,
            clear_flags(wire.KEY_EXCH), Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH)),
        Row("NEGOTIATE with SIGN and SEAL cleared", BOTH, 0, clear_flags(wire.SIGN | wire.SEAL),
            Refused("initiator", 1, "FAILURE", DOWNGRADED)),
        Row("NEGOTIATE with KEY_EXCH cleared (the MIC covers the NEGOTIATE)", BOTH, 0, clear_flags(wire.KEY_EXCH),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH)),
        Row("NEGOTIATE and CHALLENGE with ESS cleared, LM_KEY set", BOTH, None, None,
            Refused("initiator", 1, "FAILURE", "clears EXTENDED_SESSIONSECURITY"),
            mutations={0: ntlm(lambda m: wire.with_flags(m, (wire.flags(m) & ~wire.ESS) | wire.LM_KEY)),
                       1: clear_flags(wire.ESS)}),
        Row("CHALLENGE without TargetInfo (the NTLMv1-era message)", BOTH, 1,
            ntlm(lambda m: wire.with_flags(wire.with_target_info(m, b""), wire.flags(m) & ~wire.TARGET_INFO)),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", ECHO_MISSING)),
        # ---- AV pairs removed, altered, added, duplicated
        Row("CHALLENGE without MsvAvNbDomainName", BOTH, 1, drop_pair(wire.AV_NB_DOMAIN),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_MISSING, "MsvAvNbDomainName"))),
        Row("CHALLENGE with MsvAvDnsComputerName altered", BOTH, 1,
            inject_pair(wire.AV_DNS_COMPUTER, wire.utf16("attacker.example")),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_ALTERED, "MsvAvDnsComputerName"))),
        Row("CHALLENGE with MsvAvTimestamp moved back an hour", BOTH, 1,
            ntlm(lambda m: wire.edit_target_info(m, lambda pairs: [
                (i, (int.from_bytes(v, "little") - 36000000000).to_bytes(8, "little") if i == wire.AV_TIMESTAMP else v)
                for i, v in pairs])),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_ALTERED, "MsvAvTimestamp"))),
        Row("CHALLENGE with an unknown AV pair added", BOTH, 1, inject_pair(0x00F0, b"attacker"),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH), note="not copied by the initiator; the MIC covers it"),
        Row("CHALLENGE with MsvAvNbComputerName twice", BOTH, 1,
            ntlm(lambda m: wire.edit_target_info(m, lambda pairs: pairs + [p for p in pairs if p[0] == wire.AV_NB_COMPUTER])),
            Refused("initiator", 1, "DEFECTIVE_TOKEN", "repeats an attribute")),
        Row("CHALLENGE with MsvAvFlags 0 added (no MIC promised)", BOTH, 1, inject_pair(wire.AV_FLAGS, bytes(4)),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH), note="the initiator writes its own MsvAvFlags"),
        # ---- the MIC itself
        Row("AUTHENTICATE with its MIC zeroed", BOTH, 2, ntlm(lambda m: wire.with_mic(m, bytes(16))),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH)),
        Row("AUTHENTICATE with its MIC field removed (offsets moved)", BOTH, 2, ntlm(wire.without_mic_field),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", "has no MIC although MsvAvFlags promises one")),
        Row("AUTHENTICATE with the MIC bit of MsvAvFlags cleared", BOTH, 2,
            ntlm(lambda m: wire.edit_blob_av_flags(m, lambda f: f & ~0x2)),
            Refused("acceptor", 2, "DEFECTIVE_CREDENTIAL", "does not match the user's password"),
            note="the flags are under NTProofStr"),
        # ---- injection: values the CHALLENGE offers that the initiator must not sign
        Row("a relayed logon of an unbound initiator to an acceptor bound to the attacker's TLS", BOTH, None, None,
            Holds("completes unbound: the initiator signs Z(16), the acceptor claims no channel binding "
                  "(channel_bindings = optional, the default)", blob_has(wire.AV_CHANNEL_BINDINGS, bytes(16).hex())),
            acceptor_bindings=ATTACKER_CB),
        Row("the same relay with channel_bindings = required", BOTH, None, None,
            Refused("acceptor", 2, "BAD_BINDINGS", "Server requires channel bindings"),
            acceptor_bindings=ATTACKER_CB, acceptor_config="channel_bindings = required\n"),
        Row("the same relay, the attacker's MsvAvChannelBindings added to the CHALLENGE", BOTH, 1,
            inject_pair(wire.AV_CHANNEL_BINDINGS, wire.channel_bindings_hash(ATTACKER_CB)),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH, signed=(wire.AV_CHANNEL_BINDINGS, bytes(16))),
            acceptor_bindings=ATTACKER_CB),
        Row("the same relay, the attacker's MsvAvChannelBindings added and MsvAvTimestamp stripped", BOTH, 1,
            both(inject_pair(wire.AV_CHANNEL_BINDINGS, wire.channel_bindings_hash(ATTACKER_CB)),
                 drop_pair(wire.AV_TIMESTAMP)),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_MISSING, "MsvAvTimestamp"),
                    signed=(wire.AV_CHANNEL_BINDINGS, bytes(16))),
            acceptor_bindings=ATTACKER_CB),
        Row("bindings of another channel", BOTH, None, None,
            Refused("acceptor", 2, "BAD_BINDINGS", "do not match"),
            initiator_bindings=b"tls-server-end-point:what-the-client-saw", acceptor_bindings=ATTACKER_CB),
        Row("CHALLENGE with MsvAvTargetName of the attacker's choice", BOTH, 1,
            inject_pair(wire.AV_TARGET_NAME, wire.utf16("cifs/attacker.example")),
            Refused("acceptor", 2, "BAD_SIG", MIC_MISMATCH, signed=(wire.AV_TARGET_NAME, wire.utf16("host/localhost")))),
        Row("the same target name, and MsvAvTimestamp stripped so that no MIC is sent", BOTH, 1,
            both(inject_pair(wire.AV_TARGET_NAME, wire.utf16("cifs/attacker.example")), drop_pair(wire.AV_TIMESTAMP)),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_MISSING, "MsvAvTimestamp"),
                    signed=(wire.AV_TARGET_NAME, wire.utf16("host/localhost")))),
        Row("an initiator aiming at another service than the acceptor's", NTLM_ONLY, None, None,
            Refused("acceptor", 2, "BAD_BINDINGS", "names another service"),
            target="host@elsewhere.example", acceptor_name="host@localhost", acceptor_mech=NTLM_OID),
        # ---- replay, delay, reflection
        Row("an AUTHENTICATE replayed on a new acceptor context", BOTH, 2, None,
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", (ECHO_ALTERED, "MsvAvTimestamp")), run=replay_authenticate),
        Row("an AUTHENTICATE held back past challenge_lifetime", BOTH, 2, lambda t, h: t,
            Refused("acceptor", 2, "CONTEXT_EXPIRED", "older than challenge_lifetime"),
            acceptor_config="challenge_lifetime = 1\n", hold=2.2),
        Row("the acceptor's CHALLENGE reflected to a victim of the same process", BOTH, 1, None,
            Refused("initiator", 1, "DEFECTIVE_TOKEN", "reflected back to its own host"), run=reflect),
        # ---- a context without keys
        Row("a context without SIGN or SEAL verifies a dummy signature", NTLM_ONLY, None, None,
            Holds("verify_mic refuses it: UNAVAILABLE, Integrity was not negotiated", refused_dummy),
            req_flags="none", after=protect_dummy),
    ] + negotiate_rows()


def negotiate_rows():
    def strip_mic(t):
        t.mech_list_mic = None

    def garble_mic(t):
        t.mech_list_mic = bytes(len(t.mech_list_mic))

    def add_mech(t):
        t.mech_types = t.mech_types + [bytes([0x2A, 0x03, 0x04])]

    def set_state(value):
        def edit(t):
            t.neg_state = value
        return edit

    def set_mech(oid):
        def edit(t):
            t.supported_mech = oid
        return edit

    return [
        Row("mechListMIC stripped from the initiator's AUTHENTICATE leg", NEGO, 2, spnego(strip_mic),
            Refused("acceptor", 2, "DEFECTIVE_TOKEN", "did not send the required mechListMIC")),
        Row("mechListMIC of the initiator replaced with zeros", NEGO, 2, spnego(garble_mic),
            Refused("acceptor", 2, "BAD_SIG", "does not verify")),
        Row("mechListMIC stripped from the acceptor's last leg", NEGO, 3, spnego(strip_mic),
            Refused("initiator", 3, "DEFECTIVE_TOKEN", "did not send the required mechListMIC")),
        Row("mechListMIC of the acceptor replaced with zeros", NEGO, 3, spnego(garble_mic),
            Refused("initiator", 3, "BAD_SIG", "does not verify")),
        Row("mechTypes with another mechanism appended", NEGO, 0, spnego(add_mech),
            Refused("acceptor", 2, "BAD_SIG", "does not verify")),
        Row("negState accept-completed in place of accept-incomplete", NEGO, 1, spnego(set_state(0)),
            Refused("initiator", 1, "DEFECTIVE_TOKEN", "still has a token for the acceptor")),
        Row("negState reject in the acceptor's last leg", NEGO, 3, spnego(set_state(2)),
            Refused("initiator", 3, "FAILURE", ("rejected the Negotiate exchange", "sent reject"))),
        Row("negState accept-incomplete in the acceptor's last leg", NEGO, 3, spnego(set_state(1)),
            Refused("initiator", 3, "DEFECTIVE_TOKEN", "did not complete")),
        Row("supportedMech rewritten to Kerberos, which was not offered", NEGO, 1, spnego(set_mech(wire.KRB5_OID)),
            Refused("initiator", 1, "BAD_MECH", ("selected a mechanism that was not offered", "Kerberos"))),
    ]


def kerberos_rows():
    def ntlm_only(drop_token):
        def edit(t):
            t.mech_types = [wire.NTLM_OID]
            if drop_token:
                t.mech_token = None
        return edit

    def swap(t):
        t.mech_types = list(reversed(t.mech_types))

    return [
        Row(CLEAN, NEGO, None, None, Holds("completes over Kerberos", lambda o: None if o.get("mech") == KRB5 else
                                           "the acceptor used %s" % o.get("mech"))),
        Row("mechTypes rewritten to NTLM only, the Kerberos token dropped", NEGO, 0, spnego(ntlm_only(True)),
            Refused("acceptor", 4, "BAD_SIG", "does not verify"),
            note="the initiator's mechListMIC covers the list it sent"),
        Row("mechTypes rewritten to NTLM only and MsvAvTimestamp stripped", NEGO, None, None,
            Refused("acceptor", 4, "DEFECTIVE_TOKEN", (ECHO_MISSING, "MsvAvTimestamp")),
            mutations={0: spnego(ntlm_only(True)), 3: drop_pair(wire.AV_TIMESTAMP)}),
        Row("mechTypes reversed (NTLM first)", NEGO, 0, spnego(swap),
            Refused("initiator", 1, "DEFECTIVE_TOKEN", "did not send the required mechListMIC"),
            note="the acceptor picks Kerberos as not the first choice and asks for a MIC; the initiator's "
                 "Kerberos context completed with its optimistic token, which the acceptor dropped"),
    ]



# ------------------------------------------------------------ the worker

def worker_main(kerberos):
    import gssapi.raw as raw
    global REQ_FLAGS
    REQ_FLAGS = (raw.RequirementFlag.integrity | raw.RequirementFlag.confidentiality |
                 raw.RequirementFlag.replay_detection | raw.RequirementFlag.out_of_sequence_detection)
    acceptor = Acceptor(dict(os.environ), os.environ["GSSNEG_MITM_DIR"])
    results = []
    for row in rows(kerberos):
        for mode in row.modes:
            try:
                if row.run is not None:
                    outcome = row.run(raw, acceptor, mode, row)
                else:
                    outcome = exchange(raw, acceptor, mode, row)
            except raw.misc.GSSError as e:
                outcome = {"result": "harness", "detail": "a call outside the attack failed: " + str(e)}
            except (AssertionError, KeyError, IndexError, ValueError, TypeError) as e:
                outcome = {"result": "harness", "detail": "the rewrite does not apply: %s" % (e or repr(e))}
            results.append({"row": row.name, "mode": mode, "outcome": outcome})
    acceptor.close()
    print(json.dumps(results))

# ------------------------------------------------------------ the table

def column_env(mech_file, workdir, column, kerberos):
    env = dict(os.environ)
    env.update({
        "GSS_MECH_CONFIG": mech_file,
        "NTLM_USER_FILE": os.path.join(workdir, "users"),
        "NTLMUSER": DOMAIN + "\\" + USER,
        "GSSNEG_MITM_DIR": workdir,
        "GSS_NEGOTIATE_TRACE": os.path.join(workdir, column + ".trace"),
    })
    env.pop("GSS_NEGOTIATE_CONFIG", None)
    env.pop("LM_COMPAT_LEVEL", None)
    if not kerberos:
        # No Kerberos anywhere: Negotiate uses NTLM.
        env.update({
            "KRB5CCNAME": "FILE:" + os.path.join(workdir, "no-ccache"),
            "KRB5_CLIENT_KTNAME": os.path.join(workdir, "no-client-keytab"),
            "KRB5_KTNAME": os.path.join(workdir, "no-keytab"),
        })
    return env


def run_column(mech_file, workdir, column, kerberos):
    args = [sys.executable, os.path.abspath(__file__), "--worker"] + (["--kerberos"] if kerberos else [])
    proc = subprocess.run(args, env=column_env(mech_file, workdir, column, kerberos), stdout=subprocess.PIPE,
                          text=True, timeout=600)
    if proc.returncode != 0:
        print("FAIL: the %s column's worker exited with %d" % (column, proc.returncode))
        sys.exit(1)
    return {(r["row"], r["mode"]): r["outcome"] for r in json.loads(proc.stdout)}


def cell(o):
    """An outcome in a few words, for the table."""
    if o is None:
        return "(not run)"
    if o.get("result") == "refused":
        return "%s (%s, leg %d)" % (o["major"], o["side"], o["leg"] + 1)
    if o.get("result") == "established":
        words = "**completes**"
        if o.get("acceptor_flags", 0) & GSS_C_CHANNEL_BOUND_FLAG:
            words += ", channel-bound"
        if o.get("protection"):
            words += "; " + o["protection"]
        return words
    if o.get("result") == "harness":
        return "n/a (%s)" % o["detail"].replace("the rewrite does not apply: ", "")
    return o.get("result", "?")


def minor_words(o):
    """The minor status text as far as its first detail."""
    text = o.get("text", "")
    if text.startswith("NTLM: "):
        text = text[len("NTLM: "):]
    return text


def markdown_table(kerberos, ours, reference, mit_over_ours):
    head = ["| attack | ours, NTLM | ours, Negotiate | gss-ntlmssp | MIT SPNEGO over gss-ntlmssp |"
            " MIT SPNEGO over our NTLM |", "|---|---|---|---|---|---|"]
    texts = []
    for row in rows(kerberos):
        cells = []
        for results in (ours, reference):
            for mode in ("ntlm", "negotiate"):
                cells.append(cell(results.get((row.name, mode))) if results is not None and mode in row.modes
                             else "" if mode not in row.modes else "(not run)")
        cells.append(cell(mit_over_ours.get((row.name, "negotiate"))) if mit_over_ours is not None and
                     "negotiate" in row.modes else "")
        head.append("| %s | %s |" % (row.name, " | ".join(cells)))
        o = ours.get((row.name, row.modes[0]))
        if o.get("result") == "refused":
            texts.append("- %s: %s" % (row.name, minor_words(o)))
        elif o.get("result") == "established" and row.name != CLEAN:
            texts.append("- %s: %s" % (row.name, row.expected(row.modes[0]).words()))
    return "\n".join(head) + "\n\nOur minor status texts (raw NTLM; Negotiate prefixes \"NTLM: \"):\n\n" + \
        "\n".join(texts) + "\n"


def main():
    kerberos = "--kerberos" in sys.argv
    markdown = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
    ours_mech = os.environ.get("GSSNEG_BUILD_MECH")
    if not ours_mech:
        print("FAIL: GSSNEG_BUILD_MECH is not set")
        sys.exit(1)
    ref_mech = os.environ.get("GSSNEG_REF_MECH")
    if kerberos and not os.environ.get("GSSNEG_KDC_PID"):
        print("FAIL: --kerberos runs under test/kdc/with-kdc.sh --kinit alice")
        sys.exit(1)
    workdir = tempfile.mkdtemp(prefix="gssneg-mitm.")
    with open(os.path.join(workdir, "users"), "w") as f:
        f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    ours = run_column(ours_mech, workdir, "ours", kerberos)
    # MIT's SPNEGO over our NTLM (the mech file without the interposer).
    mit_over_ours = None
    ours_ntlm_mech = os.environ.get("GSSNEG_BUILD_MECH_NTLM")
    if ours_ntlm_mech and os.path.exists(ours_ntlm_mech):
        mit_over_ours = run_column(ours_ntlm_mech, workdir, "mit-over-ours", kerberos)
    reference = None
    preload = os.environ.get("LD_PRELOAD", "")
    if "libasan" in preload or "libclang_rt.asan" in preload:
        # The sanitizer stage preloads ASan into the host: gss-ntlmssp would
        # report its own faults there (a heap overflow in its name code).
        print("note: no reference column under AddressSanitizer (gss-ntlmssp is not ours to instrument)")
    elif ref_mech and os.path.exists(ref_mech):
        reference = run_column(ref_mech, workdir, "reference", kerberos)
    elif os.environ.get("CI") == "true":
        print("FAIL: GSSNEG_REF_MECH (gss-ntlmssp) is missing under CI=true")
        sys.exit(1)
    else:
        print("note: no reference column (GSSNEG_REF_MECH, gss-ntlmssp, is missing)")

    failures = []
    for mode in [m for r in rows(kerberos) if r.name == CLEAN for m in r.modes]:
        for column, results in (("ours", ours), ("reference", reference)):
            if results is not None and results[(CLEAN, mode)].get("result") != "established":
                failures.append("[%s] the %s column's clean exchange failed: %s" % (
                    mode, column, describe(results[(CLEAN, mode)])))
    for row in rows(kerberos):
        for mode in row.modes:
            got = ours[(row.name, mode)]
            why = row.expected(mode).check(got)
            print("%s: [%s] %s\n    ours:      %s" % ("ok" if why is None else "FAIL", mode, row.name, describe(got)))
            print("    reference: %s" % (describe(reference[(row.name, mode)]) if reference is not None else "(not run)"))
            if why is not None:
                failures.append("[%s] %s: %s" % (mode, row.name, why))
            if mode == "negotiate" and mit_over_ours is not None:
                mit = mit_over_ours[(row.name, mode)]
                print("    MIT's SPNEGO over ours: %s" % describe(mit))
                # Where our NTLM refused beneath our Negotiate, it refuses
                # beneath MIT's SPNEGO too, with the same status.
                if got.get("result") == "refused" and got["text"].startswith("NTLM: "):
                    if mit.get("result") != "refused" or mit["major"] != got["major"]:
                        failures.append("[MIT's SPNEGO over our NTLM] %s: %s, not %s" % (
                            row.name, describe(mit), got["major"]))
    trace = os.path.join(workdir, "ours.trace")
    if os.path.exists(trace):
        with open(trace, encoding="utf-8", errors="replace") as f:
            if PASSWORD.lower() in f.read().lower():
                failures.append("the trace holds the password")
    if markdown:
        with open(markdown, "w") as f:
            f.write(markdown_table(kerberos, ours, reference, mit_over_ours))
    if failures:
        for f in failures:
            print("FAIL: " + f)
        sys.exit(1)
    print("PASS: %d rows, each refused or harmless in our column" % sum(len(r.modes) for r in rows(kerberos)))


if __name__ == "__main__":
    if "--acceptor" in sys.argv:
        acceptor_main()
    elif "--worker" in sys.argv:
        worker_main("--kerberos" in sys.argv)
    else:
        main()
