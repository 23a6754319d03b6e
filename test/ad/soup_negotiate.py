#!/usr/bin/python3
"""HTTP Negotiate as libsoup 3 does it (GNOME Web, Evolution, GNOME Online
Accounts): a Soup.Session with SoupAuthNegotiate, which answers the 401's
"WWW-Authenticate: Negotiate" through gss_init_sec_context (SPNEGO) and
hands the final token of the 200 to it as well.

    soup_negotiate.py URL OUT_DIR

libsoup uses Negotiate only for the URIs in SOUP_GSSAPI_TRUSTED_URIS
(HTTPS URIs when it is unset); the caller sets it. Writes OUT_DIR/body and
OUT_DIR/status. Exits 0 when the page came back with 200.
"""
import os
import sys

import gi

gi.require_version("Soup", "3.0")
from gi.repository import Soup  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print("usage: soup_negotiate.py URL OUT_DIR")
        return 2
    url, out = sys.argv[1:]
    if not Soup.AuthNegotiate.supported():
        print("FAIL: this libsoup has no GSSAPI")
        return 1
    session = Soup.Session()
    session.add_feature_by_type(Soup.AuthNegotiate)
    message = Soup.Message.new("GET", url)
    body = session.send_and_read(message, None).get_data()
    status = message.get_status()
    with open(os.path.join(out, "body"), "wb") as f:
        f.write(body)
    with open(os.path.join(out, "status"), "w") as f:
        f.write("%d\n" % status)
    print("libsoup %d.%d: HTTP %d, %d bytes" % (Soup.get_major_version(), Soup.get_minor_version(), status,
                                              len(body)))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
