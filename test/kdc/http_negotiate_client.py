#!/usr/bin/env python3
"""An HTTP Negotiate client the way requests-gssapi and httpx-gssapi are
written: python-gssapi over SPNEGO, one keep-alive connection, mutual
authentication required, the server's last token checked.

    http_negotiate_client.py URL OUT_DIR

Sends GET URL; on a 401 with "WWW-Authenticate: Negotiate", steps an
initiator context for HTTP@<host> with SPNEGO (flags MUTUAL and
OUT_OF_SEQUENCE, as requests-gssapi asks by default) and sends each token
in an Authorization header on the same connection until the answer is not
401. On the 200 the server's final Negotiate token goes to the context,
which must then be complete (for Kerberos the AP-REP, for NTLM the
acceptor's mechListMIC): a client that does not check it would accept an
answer that a man in the middle wrote.

Writes OUT_DIR/body (the page), OUT_DIR/status (the HTTP status),
OUT_DIR/legs.hex (one "client HEX" or "server HEX" line per token, for
negotiate_tokens.py) and OUT_DIR/context (the mechanism, the initiator's
name, whether the context is complete and mutual). Exits 0 when the page
came with 200 and the context completed, 1 otherwise.
"""

import base64
import http.client
import os
import sys
import urllib.parse

import gssapi

SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


def negotiate_token(response):
    """The token of the response's "WWW-Authenticate: Negotiate" header:
    b"" for a bare "Negotiate", None when there is no such header."""
    for value in response.headers.get_all("WWW-Authenticate") or []:
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() == "negotiate":
            return base64.b64decode(rest.strip()) if rest.strip() else b""
    return None


def main():
    url, out = sys.argv[1], sys.argv[2]
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    # The Host header names the server as the user typed it; the SPN is
    # HTTP@ that host, as requests-gssapi forms it.
    headers = {"Host": f"{host}:{parts.port}"}
    path = parts.path or "/"
    legs = []

    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    target = gssapi.Name(f"HTTP@{host}", gssapi.NameType.hostbased_service)
    flags = gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection
    ctx = gssapi.SecurityContext(name=target, mech=SPNEGO, usage="initiate", flags=flags)
    rounds = 0
    while response.status == 401:
        token_in = negotiate_token(response)
        if token_in is None:
            print(f"FAIL: 401 without a Negotiate challenge: {response.getheaders()}")
            return 1
        if token_in:
            legs.append(("server", token_in))
        rounds += 1
        if rounds > 5:
            print("FAIL: still 401 after 5 rounds")
            return 1
        token_out = ctx.step(token_in or None)
        legs.append(("client", token_out))
        auth = {"Authorization": "Negotiate " + base64.b64encode(token_out).decode()}
        conn.request("GET", path, headers={**headers, **auth})
        response = conn.getresponse()
        body = response.read()

    final = negotiate_token(response)
    if final:
        legs.append(("server", final))
        if not ctx.complete:
            ctx.step(final)
    conn.close()

    with open(os.path.join(out, "body"), "wb") as f:
        f.write(body)
    with open(os.path.join(out, "status"), "w", encoding="ascii") as f:
        f.write(f"{response.status}\n")
    with open(os.path.join(out, "legs.hex"), "w", encoding="ascii") as f:
        for label, token in legs:
            f.write(f"{label} {token.hex()}\n")
    description = {
        "complete": ctx.complete,
        "mech": ctx.mech.dotted_form if ctx.complete else None,
        "initiator": str(ctx.initiator_name) if ctx.complete else None,
        "mutual": bool(ctx.actual_flags & gssapi.RequirementFlag.mutual_authentication) if ctx.complete else None,
    }
    with open(os.path.join(out, "context"), "w", encoding="utf-8") as f:
        for key, value in description.items():
            f.write(f"{key} {value}\n")
    print(f"HTTP {response.status} after {rounds} authenticated request(s); context {description}")
    if response.status != 200:
        return 1
    if not ctx.complete:
        print("FAIL: the server's last token did not complete the context")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
