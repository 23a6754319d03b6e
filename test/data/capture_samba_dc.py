#!/usr/bin/python3
"""Captures SPNEGO and NTLMSSP tokens from the Samba AD DC of the ad suite,
for test/data/samba_dc.vectors. Run under the DC harness:

    bash test/ad/with-dc.sh /usr/bin/python3 test/data/capture_samba_dc.py OUT [LEGS_DIR]

with GSS_MECH_CONFIG naming a mech file for the initiator (MIT's SPNEGO
over gss-ntlmssp: test/interop/gss-ntlmssp.mech in the build tree, so that
no token of the DC's side depends on this project's code). Writes OUT in
the vector-file format (name = lowercase hex):

- smb2_negotiate_init2: the security buffer of the DC's SMB2 NEGOTIATE
  response to a request offering dialects 2.0.2 to 3.0.2: the NegTokenInit2
  a server sends before any client token (MS-SMB2 2.2.4, MS-SPNG 3.2.5.2);
- ldap_ntlm_1_init .. ldap_ntlm_4_completed: a SASL GSS-SPNEGO bind to the
  DC's LDAP server (127.0.0.1:389) as alice, with no Kerberos ticket, so
  that NTLM is negotiated: the initiator's NegTokenInit, the DC's
  NegTokenResp with its NTLMSSP CHALLENGE, the initiator's AUTHENTICATE
  with mechListMIC, and the DC's accept-completed with its mechListMIC.
"""
import base64
import os
import shutil
import socket
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import wire  # noqa: E402


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            fail("the connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def smb2_init2():
    dialects = [0x0202, 0x0210, 0x0300, 0x0302]
    header = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 0, 0, 0, 0xFEFF, 0, 0, b"")
    body = struct.pack("<HHHHI16sQ", 36, len(dialects), 1, 0, 0, os.urandom(16), 0)
    body += b"".join(struct.pack("<H", d) for d in dialects)
    packet = header + body
    with socket.create_connection(("127.0.0.1", 445), timeout=10) as sock:
        sock.sendall(struct.pack(">I", len(packet)) + packet)
        length = struct.unpack(">I", recv_exact(sock, 4))[0] & 0xFFFFFF
        reply = recv_exact(sock, length)
    if reply[:4] != b"\xfeSMB":
        fail("no SMB2 reply")
    status = struct.unpack_from("<I", reply, 8)[0]
    if status != 0:
        fail("SMB2 NEGOTIATE status 0x%08x" % status)
    offset, size = struct.unpack_from("<HH", reply, 64 + 56)
    token = reply[offset:offset + size]
    if not token:
        fail("the NEGOTIATE response has no security buffer")
    return token


def ber_int(value):
    return wire.tlv(0x02, bytes([value]))


def ldap_bind(sock, message_id, token):
    sasl = wire.tlv(0xA3, wire.tlv(0x04, b"GSS-SPNEGO") + wire.tlv(0x04, token))
    bind = wire.tlv(0x60, ber_int(3) + wire.tlv(0x04, b"") + sasl)
    sock.sendall(wire.tlv(0x30, ber_int(message_id) + bind))
    head = recv_exact(sock, 2)
    if head[1] & 0x80:
        extra = recv_exact(sock, head[1] & 0x7F)
        length = int.from_bytes(extra, "big")
        head += extra
    else:
        length = head[1]
    message = head + recv_exact(sock, length)
    _, start, end = wire.read_tlv(message, 0)
    fields = wire.children(message, start, end)
    response = [f for f in fields if f[0] == 0x61]
    if not response:
        fail("no BindResponse in %s" % message.hex())
    body = response[0][1]
    parts = wire.children(body, 0, len(body))
    result = parts[0][1][0]
    creds = [value for tag, value in parts if tag == 0x87]
    return result, creds[0] if creds else b""


def ldap_spnego_bind(first, answer, finish):
    """A two-round SASL GSS-SPNEGO bind to the DC's LDAP server: FIRST is the
    initiator's NegTokenInit, answer(token) its reply to the DC's
    NegTokenResp, finish(token) takes the DC's last token. The four legs."""
    legs = [first]
    with socket.create_connection(("127.0.0.1", 389), timeout=10) as sock:
        result, reply = ldap_bind(sock, 1, first)
        if result != 14:  # saslBindInProgress
            fail("the first bind answered %d, not saslBindInProgress" % result)
        legs += [reply, answer(reply)]
        result, reply = ldap_bind(sock, 2, legs[2])
        if result != 0:
            fail("the second bind answered %d, not success" % result)
        legs.append(reply)
        finish(reply)
    return legs


def ldap_exchange():
    import gssapi
    spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
    name = gssapi.Name("%s\\%s" % (os.environ["GSSNEG_AD_DOMAIN"], os.environ["GSSNEG_AD_ALICE"]),
                       gssapi.NameType.user)
    creds = gssapi.raw.acquire_cred_with_password(name, os.environ["GSSNEG_AD_ALICE_PASSWORD"].encode(),
                                                  usage="initiate", mechs=[spnego]).creds
    target = gssapi.Name("ldap@dc1.%s" % os.environ["GSSNEG_AD_DNS_DOMAIN"], gssapi.NameType.hostbased_service)
    flags = gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.mutual_authentication
    ctx = gssapi.SecurityContext(name=target, creds=gssapi.Credentials(creds), mech=spnego, usage="initiate",
                                 flags=flags)

    def finish(token):
        ctx.step(token)
        if not ctx.complete:
            fail("the initiator did not complete on the DC's last token")

    return ldap_spnego_bind(ctx.step(), ctx.step, finish)


def ntlm_auth_exchange(workdir):
    """The same bind with Samba's own client: ntlm_auth's gss-spnego-client
    helper, told to sign (the DC refuses an LDAP bind without integrity)."""
    sys.path.insert(0, os.path.join(HERE, "..", "interop"))
    from ntlm_auth_common import Helper
    ntlm_auth = shutil.which("ntlm_auth")
    if not ntlm_auth:
        fail("ntlm_auth is missing (package winbind)")
    conf = os.path.join(workdir, "empty-smb.conf")
    open(conf, "w").close()
    helper = Helper([ntlm_auth, "--configfile=" + conf, "--helper-protocol=gss-spnego-client",
                     "--username=" + os.environ["GSSNEG_AD_ALICE"], "--domain=" + os.environ["GSSNEG_AD_DOMAIN"],
                     "--password=" + os.environ["GSSNEG_AD_ALICE_PASSWORD"]], workdir)

    def ask(line, want):
        answer = helper.ask(line)
        if not answer.startswith(want):
            fail("ntlm_auth answered %r to %s, not %s" % (answer, line[:2], want))
        return base64.b64decode(answer[3:]) if len(answer) > 3 else b""

    try:
        ask("SF NTLMSSP_FEATURE_SIGN", "OK")
        return ldap_spnego_bind(ask("YR", "YR "),
                                lambda reply: ask("TT " + base64.b64encode(reply).decode(), "KK "),
                                lambda reply: ask("TT " + base64.b64encode(reply).decode(), "AF"))
    finally:
        helper.stop()


def main():
    if len(sys.argv) not in (2, 3):
        fail("usage: capture_samba_dc.py OUT [LEGS_DIR]")
    lines = ["smb2_negotiate_init2 = " + smb2_init2().hex()]
    workdir = tempfile.mkdtemp(prefix="capture.")
    exchanges = {"ldap_ntlm": ldap_exchange(), "ntlm_auth_ldap": ntlm_auth_exchange(workdir)}
    for prefix, legs in exchanges.items():
        for name, token in zip(("1_init", "2_challenge", "3_authenticate", "4_completed"), legs):
            lines.append("%s_%s = %s" % (prefix, name, token.hex()))
        if len(sys.argv) == 3:
            # The LDAP legs as DIR/PREFIX/leg-N.bin, for spnego_tokens.py.
            out = os.path.join(sys.argv[2], prefix)
            os.makedirs(out, exist_ok=True)
            for n, token in enumerate(legs, 1):
                with open(os.path.join(out, "leg-%d.bin" % n), "wb") as f:
                    f.write(token)
    shutil.rmtree(workdir, ignore_errors=True)
    with open(sys.argv[1], "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(line[:100] for line in lines))


if __name__ == "__main__":
    main()
