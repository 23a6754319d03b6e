#!/usr/bin/python3
"""Accounts for the test domain, written straight into a freshly provisioned
Samba AD database (the DC is not running yet), and the service keytab.

    populate.py SMB_CONF KEYTAB < SPEC

SPEC has one account a line:

    user NAME PASSWORD          an enabled user
    disabled NAME PASSWORD      a user whose account is disabled
    expired NAME PASSWORD       a user whose account expired (in 1601)
    mustchange NAME PASSWORD    a user who must change the password first
    locked NAME PASSWORD        a user locked out (lockoutTime now, under a
                                lockout policy of 5 bad passwords, 30 minutes)
    service NAME SPN            a service account with a random password,
                                AES keys only, and SPN; its keys go to KEYTAB
    delegates NAME SPN          the service account NAME may impersonate
                                users (S4U2Self, protocol transition) to SPN
                                (S4U2Proxy, constrained delegation:
                                msDS-AllowedToDelegateTo); NAME's service
                                line comes first. NAME's own principal's
                                keys go to KEYTAB too, for its TGT

Prints "domain-sid SID" and "sid NAME SID" lines for the harness.

One Python process does what a dozen samba-tool runs would (each of those
loads the whole samba-tool machinery, about 0.8 s): samba-tool user create,
user setexpiry --noexpiry, user disable, spn add, and domain exportkeytab.
Runs under Debian's /usr/bin/python3, where Samba's modules live.
"""
import os
import secrets
import sys
import time

import ldb
import samba.samdb
from samba import dsdb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.net import Net
from samba.param import LoadParm

try:
    # Importing it gives Net its export_keytab method.
    from samba import dckeytab  # noqa: F401
except ImportError as e:
    sys.exit("populate.py: Samba has no keytab export (%s)" % e)


def replace(db, dn, attr, value):
    msg = ldb.Message(dn)
    msg[attr] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attr)
    db.modify(msg)


def filetime_now():
    """100 ns intervals since 1601-01-01."""
    return int((time.time() + 11644473600) * 10_000_000)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: populate.py SMB_CONF KEYTAB < SPEC")
    smb_conf, keytab = sys.argv[1:]
    lp = LoadParm()
    lp.load(smb_conf)
    db = samba.samdb.SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    realm = lp.get("realm").upper()
    print("domain-sid %s" % db.get_domain_sid())

    spns = []
    delegators = []
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or fields[0] not in ("user", "disabled", "expired", "mustchange", "locked", "service",
                                                 "delegates"):
            sys.exit("populate.py: bad spec line: %r" % line)
        kind, name, value = fields
        if kind == "delegates":
            account = "(sAMAccountName=%s)" % ldb.binary_encode(name)
            entry = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE, expression=account,
                              attrs=["userAccountControl"])[0]
            # TRUSTED_TO_AUTH_FOR_DELEGATION: S4U2Self tickets that are
            # forwardable, which S4U2Proxy needs.
            control = int(entry["userAccountControl"][0]) | dsdb.UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION
            replace(db, entry.dn, "userAccountControl", str(control))
            replace(db, entry.dn, "msDS-AllowedToDelegateTo", value)
            # The account's own principal too: its key gets it a TGT.
            delegators.append(name)
            continue
        password = secrets.token_urlsafe(48) + "-A1." if kind == "service" else value
        db.newuser(name, password)
        account = "(sAMAccountName=%s)" % ldb.binary_encode(name)
        if kind == "mustchange":
            # pwdLastSet 0; a password that never expires would override it.
            db.force_password_change_at_next_login(account)
        else:
            # The tests must not start failing 42 days after someone's clock
            # moved: no password expiry, as samba-tool user setexpiry --noexpiry.
            db.setexpiry(account, 0, no_expiry_req=True)
        if kind == "disabled":
            db.disable_account(account)
        entry = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE, expression=account,
                          attrs=["objectSid"])[0]
        if kind == "expired":
            replace(db, entry.dn, "accountExpires", "1")
        if kind == "locked":
            replace(db, ldb.Dn(db, db.domain_dn()), "lockoutThreshold", "5")
            replace(db, entry.dn, "lockoutTime", str(filetime_now()))
        if kind == "service":
            replace(db, entry.dn, "servicePrincipalName", value)
            # Without msDS-SupportedEncryptionTypes the KDC issues RC4
            # tickets for the account and exportkeytab writes RC4 keys only.
            replace(db, entry.dn, "msDS-SupportedEncryptionTypes",
                    str(dsdb.ENC_HMAC_SHA1_96_AES128 | dsdb.ENC_HMAC_SHA1_96_AES256))
            spns.append(value)
        print("sid %s %s" % (name, ndr_unpack(security.dom_sid, entry["objectSid"][0])))

    if os.path.exists(keytab):
        os.unlink(keytab)
    net = Net(None, lp)
    for principal in spns + delegators:
        net.export_keytab(keytab=keytab, principal="%s@%s" % (principal, realm))


if __name__ == "__main__":
    main()
