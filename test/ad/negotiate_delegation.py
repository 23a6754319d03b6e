#!/usr/bin/python3
"""Constrained delegation with protocol transition through Negotiate, in
the AD domain: httpsvc (HTTP/localhost) impersonates alice with
gss_acquire_cred_impersonate_name (S4U2Self), then opens a Negotiate
context to cifs@localhost with that credential (S4U2Proxy: the DC lets
httpsvc delegate to cifs/localhost, msDS-AllowedToDelegateTo). Run under
with-dc.sh.

    negotiate_delegation.py             both stacks, then compares them
    negotiate_delegation.py --run MECH  one stack (a child process)

The service's TGT comes from its account key (kinit -k httpsvc). Each
stack runs in its own process, ours (conf/mech) and MIT's SPNEGO over
Kerberos alone (an empty mech file), and answers:
- the impersonated credential names alice and offers SPNEGO;
- the context to cifs@localhost completes over Kerberos, and the acceptor
  (cifs/localhost's key from the keytab) sees alice as the source; its
  PAC carries the delegation info (urn:mspac:delegation-info) naming
  cifs/localhost as the target and httpsvc as the service that delegated;
- a context to HTTP@localhost (the impersonator itself) and one to
  host@dc1.ad.example.test (a service httpsvc may not delegate to, whose
  key the acceptor lacks) end as they end with MIT's SPNEGO.
Ours must give what MIT's SPNEGO gives, field by field.
"""
import json
import os
import subprocess
import sys
import tempfile

SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
TARGETS = ("cifs@localhost", "HTTP@localhost", "host@dc1.ad.example.test")


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


def run_stack():
    import gssapi
    import gssapi.raw as gr
    spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
    realm = os.environ["GSSNEG_AD_REALM"]
    service = gr.acquire_cred(None, mechs=[spnego], usage="both").creds
    user = gr.import_name(("%s@%s" % (os.environ["GSSNEG_AD_ALICE"], realm)).encode(),
                          gssapi.NameType.kerberos_principal)
    impersonated = gr.acquire_cred_impersonate_name(service, user, mechs=[spnego], usage="initiate").creds
    inquired = gr.inquire_cred(impersonated, name=True, usage=True, mechs=True)
    result = {"cred_name": gr.display_name(inquired.name).name.decode(), "cred_usage": inquired.usage,
              "cred_offers_spnego": any(m.dotted_form.endswith(".43.6.1.5.5.2") or m.dotted_form == SPNEGO_OID
                                        for m in inquired.mechs)}
    for target_text in TARGETS:
        target = gssapi.Name(target_text, gssapi.NameType.hostbased_service)
        outcome = {}
        try:
            initiator = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate",
                                               creds=gssapi.Credentials(impersonated))
            acceptor = gssapi.SecurityContext(usage="accept")
            token = initiator.step()
            legs = 1
            while not (initiator.complete and acceptor.complete):
                token = acceptor.step(token)
                legs += 1
                if token and not initiator.complete:
                    token = initiator.step(token)
                    legs += 1
                if legs > 6:
                    fail("the handshake to %s does not end" % target_text)
            outcome["status"] = "complete"
            outcome["mech"] = acceptor.mech.dotted_form
            outcome["source"] = str(acceptor.initiator_name)
            attrs = sorted(a.decode() for a in gr.inquire_name(acceptor.initiator_name, attrs=True).attrs)
            outcome["delegation_info"] = "urn:mspac:delegation-info" in attrs
            if outcome["delegation_info"]:
                value = gr.get_name_attribute(acceptor.initiator_name, b"urn:mspac:delegation-info")
                outcome["delegation_info_value"] = b"".join(value.values).hex()
                pac = gr.get_name_attribute(acceptor.initiator_name, b"urn:mspac:")
                outcome["pac"] = b"".join(pac.values).hex()
        except gssapi.exceptions.GSSError as e:
            outcome["status"] = "major 0x%x" % (e.maj_code & 0xFFFF0000)
            outcome["text"] = e.gen_message()
        result[target_text] = outcome
    print(json.dumps(result))


def delegation_names(pac_hex):
    """The PAC's S4U_DELEGATION_INFO buffer (MS-PAC 2.9, type 11) as
    (target, transited services)."""
    from samba.dcerpc import krb5pac
    from samba.ndr import ndr_unpack
    pac = ndr_unpack(krb5pac.PAC_DATA, bytes.fromhex(pac_hex))
    for buf in pac.buffers:
        if buf.type == krb5pac.PAC_TYPE_CONSTRAINED_DELEGATION:
            info = buf.info.info
            return str(info.proxy_target), [str(s) for s in info.transited_services]
    fail("the PAC has no S4U_DELEGATION_INFO buffer")


def main():
    ad_dir = os.environ.get("GSSNEG_AD_DIR")
    mech_file = os.environ.get("GSSNEG_BUILD_MECH")
    if not ad_dir or not mech_file:
        fail("run under test/ad/with-dc.sh, with GSSNEG_BUILD_MECH naming conf/mech")
    realm = os.environ["GSSNEG_AD_REALM"]
    account = os.environ["GSSNEG_AD_HTTP_ACCOUNT"]
    workdir = tempfile.mkdtemp(prefix="delegation.", dir=ad_dir)
    ccache = "FILE:" + os.path.join(workdir, "service.ccache")
    keytab = os.environ["KRB5_KTNAME"].removeprefix("FILE:")
    kinit = subprocess.run(["kinit", "-k", "-t", keytab, "-f", "-c", ccache, "%s@%s" % (account, realm)],
                           capture_output=True, text=True)
    if kinit.returncode != 0:
        fail("kinit -k %s: %s" % (account, kinit.stderr.strip()))
    empty = os.path.join(workdir, "no-mechs")
    open(empty, "w").close()
    results = {}
    for stack, mechs in (("ours", mech_file), ("mit", empty)):
        env = dict(os.environ, KRB5CCNAME=ccache, GSS_MECH_CONFIG=mechs,
                   GSS_NEGOTIATE_TRACE=os.path.join(workdir, stack + ".trace"))
        env.pop("NTLM_USER_FILE", None)
        child = subprocess.run([sys.executable, __file__, "--run"], env=env, capture_output=True, text=True)
        if child.returncode != 0 or not child.stdout.strip():
            print(child.stdout + child.stderr)
            fail("the %s stack's child failed" % stack)
        results[stack] = json.loads(child.stdout.strip().splitlines()[-1])
        print("%s: %s" % (stack, json.dumps(results[stack], indent=1)))
    ours, mit = results["ours"], results["mit"]

    alice = "%s@%s" % (os.environ["GSSNEG_AD_ALICE"], realm)
    check("the impersonated credential's name", alice, ours["cred_name"])
    check("... offers SPNEGO", True, ours["cred_offers_spnego"])
    delegated = ours["cifs@localhost"]
    check("cifs@localhost: status", "complete", delegated["status"])
    check("cifs@localhost: mechanism", KRB5_OID, delegated["mech"])
    check("cifs@localhost: source name", alice, delegated["source"])
    check("cifs@localhost: the PAC has delegation info", True, delegated["delegation_info"])
    target, transited = delegation_names(delegated["pac"])
    check("delegation info: the target", "cifs/localhost", target)
    check("delegation info: the services that delegated", ["%s@%s" % (account, realm)], transited)
    with open(os.path.join(workdir, "ours.trace")) as f:
        if "negotiate:" not in f.read():
            fail("our trace shows no Negotiate: the interposer did not run")
    for key in ("cred_name", "cred_usage", "cred_offers_spnego"):
        check("as MIT's SPNEGO: " + key, mit[key], ours[key])
    for target_text in TARGETS:
        for field in sorted(set(mit[target_text]) | set(ours[target_text])):
            if field in ("text", "pac"):
                continue  # minor texts name each stack's mechanism; PAC signatures differ per ticket
            check("as MIT's SPNEGO: %s %s" % (target_text, field), mit[target_text].get(field),
                  ours[target_text].get(field))
    print("PASS: constrained delegation through Negotiate")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--run":
        run_stack()
    elif len(sys.argv) == 1:
        main()
    else:
        fail("usage: negotiate_delegation.py [--run]")
