"""What the ntlm_auth interop scripts share: the test account, status codes,
skip/fail, recognising the reference module, and one ntlm_auth helper
process speaking a line protocol on stdin/stdout."""
import os
import subprocess
import sys

DOMAIN = "TESTDOM"
USER = "alice"
PASSWORD = "Passw0rd-for-alice"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
GSS_S_DEFECTIVE_CREDENTIAL = 10 << 16
GSS_S_FAILURE = 13 << 16


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def module_is_reference(mech_file):
    """gss-ntlmssp stands in for ours: its known differences apply."""
    with open(mech_file) as f:
        for line in f:
            fields = line.split()
            if line.startswith("#") or len(fields) < 3:
                continue
            if fields[1] == NTLM_OID:
                return os.path.basename(fields[2]) == "gssntlmssp.so"
    return False


class Helper:
    """One ntlm_auth helper process, stopped by its pid at the end."""

    def __init__(self, args, workdir):
        self.stderr_path = os.path.join(workdir, "ntlm_auth.stderr")
        self.stderr = open(self.stderr_path, "w")
        print("ntlm_auth: " + " ".join(a if not a.startswith("--password=") else "--password=..." for a in args))
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True)

    def ask(self, line):
        print("  to ntlm_auth:   " + (line[:2] + " <%d chars>" % (len(line) - 3) if len(line) > 2 else line))
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            self.dump_stderr()
            fail("ntlm_auth closed its output (exit %s)" % self.proc.poll())
        answer = answer.rstrip("\n")
        words = answer.split(" ")
        print("  from ntlm_auth: " + " ".join(w if len(w) < 40 else "<%d chars>" % len(w) for w in words))
        return answer

    def dump_stderr(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            text = f.read()
        if text:
            print("ntlm_auth stderr:\n" + text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait()
        self.stderr.close()
