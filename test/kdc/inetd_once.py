#!/usr/bin/python3
"""One connection on 127.0.0.1, handed to a command as its stdin.

    inetd_once.py PORTFILE COMMAND [ARGS...]

Binds 127.0.0.1 on a port the kernel picks, writes the port to PORTFILE
(written to a temporary name, then renamed, so a reader never sees half a
number), accepts exactly one TCP connection, runs COMMAND with the connected
socket as file descriptor 0 (inetd style, as `gss-server -inetd` expects)
and exits with COMMAND's exit status.

MIT's gss-server binds the wildcard address when it listens by itself; run
in -inetd mode under this helper, the only listening socket is on loopback.
"""
import os
import socket
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: inetd_once.py PORTFILE COMMAND [ARGS...]")
    port_file, command = sys.argv[1], sys.argv[2:]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(tmp, port_file)
    conn, _ = listener.accept()
    listener.close()
    with conn:
        child = subprocess.run(command, stdin=conn.fileno())
    sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)


if __name__ == "__main__":
    main()
