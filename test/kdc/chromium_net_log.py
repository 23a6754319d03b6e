#!/usr/bin/env python3
"""Checks the GSSAPI events of a Chromium net log (--log-net-log, capture
mode Everything) for one HTTP Negotiate exchange.

    chromium_net_log.py NET_LOG MECH        MECH is krb5, ntlm or fallback

Chromium logs the library it loaded (AUTH_LIBRARY_LOAD), each SPN it
imported (AUTH_LIBRARY_IMPORT_NAME), and each gss_init_sec_context call
(AUTH_LIBRARY_INIT_SEC_CTX) with its status and, when the call succeeded,
the context as gss_inquire_context described it. With the net log on,
Chromium inquires the context after every call, also while SPNEGO is
still negotiating: the calls that crashed Chromium's network service
before the interposer handed out names the mechglue could release.

The check, the same for our Negotiate and for MIT's SPNEGO over
gss-ntlmssp:
- one load of libgssapi_krb5.so.2, and every SPN is HTTP@localhost;
- one init call per leg the client sends (krb5 1, ntlm 2, fallback 3:
  the AP-REQ, then NEGOTIATE and AUTHENTICATE), none failed, each with
  a context description;
- while the context is not open, its mechanism is SPNEGO and its flags
  hold neither PROT_READY nor TRANS;
- a source name, where the mechanism gives one, is the user of that leg's
  mechanism: alice@GSSNEG.TEST for Kerberos, TESTDOM\\alice for NTLM
  (gss-ntlmssp counts the name's terminating NUL into its length; the
  check strips one trailing NUL).
"""

import base64
import json
import sys

SPNEGO = "1.3.6.1.5.5.2"
GSS_C_PROT_READY_FLAG = 128
GSS_C_TRANS_FLAG = 256
KERBEROS_USER = "alice@GSSNEG.TEST"
NTLM_USER = "TESTDOM\\alice"
# The mechanism of each leg the client sends.
LEGS = {"krb5": ["krb5"], "ntlm": ["ntlm", "ntlm"], "fallback": ["krb5", "ntlm", "ntlm"]}


def oid_text(der):
    """Dotted form of a DER-encoded OID body."""
    first, rest = der[0], der[1:]
    arcs, value = [first // 40, first % 40], 0
    for byte in rest:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # A log that the exiting process did not close lacks "]}".
        return json.loads(text.rstrip().rstrip(",") + "]}")


def main():
    path, mech = sys.argv[1], sys.argv[2]
    legs = LEGS[mech]
    log = load(path)
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    events = [(types.get(e["type"], str(e["type"])), e.get("params")) for e in log["events"]]
    events = [(name, params) for name, params in events if name.startswith("AUTH_LIBRARY") and params]
    problems = []

    loads = [p.get("library_name") for name, p in events if name == "AUTH_LIBRARY_LOAD"]
    print(f"library loads: {loads}")
    if loads != ["libgssapi_krb5.so.2"]:
        problems.append(f"expected one load of libgssapi_krb5.so.2, got {loads}")
    spns = [p.get("spn") for name, p in events if name == "AUTH_LIBRARY_IMPORT_NAME"]
    print(f"SPNs imported: {spns}")
    if not spns or any(spn != "HTTP@localhost" for spn in spns):
        problems.append(f"expected the SPN HTTP@localhost, got {spns}")

    inits = [p for name, p in events if name == "AUTH_LIBRARY_INIT_SEC_CTX"]
    if len(inits) != len(legs):
        problems.append(f"{len(inits)} gss_init_sec_context calls logged, expected {len(legs)}")
    for i, (params, leg) in enumerate(zip(inits, legs), 1):
        status = params.get("status", {})
        major = status.get("major_status", {}).get("status")
        context = params.get("context")
        if context is None:
            print(f"init {i}: major {major}, no context description")
            problems.append(f"init {i}: no context description")
            continue
        mech_der = base64.b64decode(context.get("mechanism", {}).get("bytes", ""))
        mech_oid = oid_text(mech_der) if mech_der else None
        flags = int(context.get("flags", {}).get("value", "0"), 16)
        source = context.get("source", {}).get("name")
        target = context.get("target", {}).get("name")
        print(f"init {i}: major {major}, mechanism {mech_oid}, "
              f"open {context.get('open')}, flags {flags:#x}, lifetime {context.get('lifetime')}, "
              f"source {source!r}, target {target!r}")
        if major not in (0, 1):
            problems.append(f"init {i}: major status {major}: {status}")
        if not context.get("open"):
            if mech_oid != SPNEGO:
                problems.append(f"init {i}: the mechanism of a context not yet open is not SPNEGO")
            if flags & (GSS_C_PROT_READY_FLAG | GSS_C_TRANS_FLAG):
                problems.append(f"init {i}: flags {flags:#x} of a context not yet open have PROT_READY or TRANS")
        expected_source = KERBEROS_USER if leg == "krb5" else NTLM_USER
        if source is not None and source.removesuffix("\x00") != expected_source:
            problems.append(f"init {i}: source {source!r}, expected {expected_source!r}")

    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print(f"ok: the net log describes the context after each of its {len(inits)} gss_init_sec_context call(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
