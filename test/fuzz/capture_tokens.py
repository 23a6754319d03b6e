#!/usr/bin/python3
"""Captures real NTLM tokens as fuzz seeds: handshakes through
python3-gssapi and the mechglue, with our module, with gss-ntlmssp, and
with Samba's ntlm_auth as client and as server against our module.

  test/fuzz/capture_tokens.py BUILD_DIR OUT_DIR

writes OUT_DIR/fuzz_negotiate/<peer>-..., fuzz_challenge/..., fuzz_av_pairs/...
and fuzz_authenticate/... (each AUTHENTICATE behind fuzz_authenticate's
selector byte 3: an NTLMv2 client). Run with /usr/bin/python3 (python3-gssapi).
Each mech file is loaded in its own child process: the mechglue reads
GSS_MECH_CONFIG once.
"""
import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile

DOMAIN = "EXAMPLE"
USER = "alice"
PASSWORD = "Secret-1"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
TARGET = "HTTP@server.example"
NTLMV2_SELECTOR = b"\x03"


def save(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    print("  %s/%s (%d bytes)" % (target, name, len(data)))


def payload(token, field_offset):
    """The bytes of a (Len, MaxLen, Offset) payload field, or b""."""
    if len(token) < field_offset + 8:
        return b""
    length, _, offset = struct.unpack_from("<HHI", token, field_offset)
    return token[offset:offset + length]


def save_leg(out, peer, token):
    kind = token[8] if token[:8] == b"NTLMSSP\0" and len(token) > 8 else None
    if kind == 1:
        save(out, "fuzz_negotiate", peer, token)
    elif kind == 2:
        save(out, "fuzz_challenge", peer, token)
        info = payload(token, 40)
        if info:
            save(out, "fuzz_av_pairs", peer + "-target-info", info)
    elif kind == 3:
        save(out, "fuzz_authenticate", peer, NTLMV2_SELECTOR + token)
        nt = payload(token, 20)
        if len(nt) > 16 + 28:
            save(out, "fuzz_av_pairs", peer + "-client-blob", nt[16 + 28:])
    else:
        print("  not an NTLM message: %d bytes" % len(token))


def in_process(label, out, with_password, bindings):
    """Both sides in this process, through the mechglue."""
    import gssapi
    ntlm = gssapi.OID.from_int_seq(NTLM_OID)
    creds = None
    if with_password:
        name = gssapi.Name(DOMAIN + "\\" + USER, gssapi.NameType.user)
        creds = gssapi.raw.acquire_cred_with_password(name, PASSWORD.encode(), usage="initiate",
                                                      mechs=[ntlm]).creds
    cb = gssapi.raw.ChannelBindings(application_data=b"tls-server-end-point:fuzz") if bindings else None
    initiator = gssapi.SecurityContext(name=gssapi.Name(TARGET, gssapi.NameType.hostbased_service),
                                       creds=creds, mech=ntlm, usage="initiate", channel_bindings=cb,
                                       flags=gssapi.RequirementFlag.confidentiality |
                                       gssapi.RequirementFlag.integrity)
    acceptor = gssapi.SecurityContext(creds=None, usage="accept", channel_bindings=cb)
    token = initiator.step()
    legs = 0
    while token and legs < 4:
        save_leg(out, label, token)
        token = acceptor.step(token)
        legs += 1
        if not token:
            break
        save_leg(out, label, token)
        token = initiator.step(token)
        legs += 1
    if not acceptor.complete:
        raise SystemExit("%s: the handshake did not complete" % label)


def ntlm_auth_legs(out, workdir):
    """Samba's ntlm_auth against our module (loaded by this process)."""
    import gssapi
    ntlm_auth = shutil.which("ntlm_auth")
    if not ntlm_auth:
        print("ntlm_auth is not installed: skipped")
        return
    smb_conf = os.path.join(workdir, "smb.conf")
    open(smb_conf, "w").close()
    common = [ntlm_auth, "--configfile=" + smb_conf, "--username=" + USER, "--domain=" + DOMAIN,
              "--password=" + PASSWORD]

    def helper(protocol, lines):
        p = subprocess.run(common + ["--helper-protocol=" + protocol], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=30, check=False)
        return p.stdout.splitlines()

    # ntlm_auth as the client: its NEGOTIATE, then its AUTHENTICATE for our
    # CHALLENGE. The helper keeps state between lines, so the CHALLENGE has
    # to come from an acceptor that saw its NEGOTIATE: two passes.
    first = helper("ntlmssp-client-1", ["YR"])
    negotiate = base64.b64decode(first[0][3:])
    save_leg(out, "ntlm_auth", negotiate)
    acceptor = gssapi.SecurityContext(creds=None, usage="accept")
    challenge = acceptor.step(negotiate)
    answers = helper("ntlmssp-client-1", ["YR", "TT " + base64.b64encode(challenge).decode()])
    if len(answers) > 1 and answers[1][:3] in ("KK ", "AF "):
        save_leg(out, "ntlm_auth", base64.b64decode(answers[1][3:]))

    # ntlm_auth as the server: its CHALLENGE for our NEGOTIATE.
    ntlm = gssapi.OID.from_int_seq(NTLM_OID)
    name = gssapi.Name(DOMAIN + "\\" + USER, gssapi.NameType.user)
    creds = gssapi.raw.acquire_cred_with_password(name, PASSWORD.encode(), usage="initiate", mechs=[ntlm]).creds
    initiator = gssapi.SecurityContext(name=gssapi.Name(TARGET, gssapi.NameType.hostbased_service),
                                       creds=creds, mech=ntlm, usage="initiate")
    ours = initiator.step()
    answers = helper("squid-2.5-ntlmssp", ["YR " + base64.b64encode(ours).decode()])
    if answers and answers[0].startswith("TT "):
        save_leg(out, "ntlm_auth-server", base64.b64decode(answers[0][3:]))


def child(label, mech, out):
    os.environ["GSS_MECH_CONFIG"] = mech
    workdir = tempfile.mkdtemp(prefix="gssneg-capture.")
    try:
        users = os.path.join(workdir, "users")
        with open(users, "w") as f:
            f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
        os.environ["NTLM_USER_FILE"] = users
        os.environ["NTLMUSER"] = DOMAIN + "\\" + USER
        if label == "ntlm_auth":
            ntlm_auth_legs(out, workdir)
        else:
            in_process(label, out, with_password=False, bindings=False)
            in_process(label + "-password-cb", out, with_password=True, bindings=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    if len(sys.argv) != 3:
        raise SystemExit("usage: capture_tokens.py BUILD_DIR OUT_DIR")
    build, out = (os.path.abspath(a) for a in sys.argv[1:])
    peers = [("ours", os.path.join(build, "conf", "mech")),
             ("gss-ntlmssp", os.path.join(build, "test", "interop", "gss-ntlmssp.mech")),
             ("ntlm_auth", os.path.join(build, "conf", "mech"))]
    for label, mech in peers:
        if not os.path.exists(mech):
            print("%s: %s is missing, skipped" % (label, mech))
            continue
        print("%s (%s):" % (label, mech))
        subprocess.run([sys.executable, os.path.abspath(__file__), "--child", label, mech, out], check=True)


if __name__ == "__main__":
    main()
