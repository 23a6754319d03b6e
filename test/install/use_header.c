/* Compiled against the installed header and pkg-config file by
 * install_layout.sh: the header stands alone in a C program next to
 * gssapi.h, and its OID bytes, lengths and dotted strings agree (the
 * mechglue's gss_oid_to_str decodes the bytes). */
#include <gssapi/gssapi.h>
#include <gss-negotiate/gss_negotiate.h>

#include <stdio.h>
#include <string.h>

static int check(const char *what, const char *bytes, size_t bytes_size, size_t length,
                 const char *dotted)
{
    gss_OID_desc oid = {(OM_uint32)length, (void *)bytes};
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    OM_uint32 minor = 0;
    int ok;

    if (bytes_size - 1 != length) {
        printf("%s: %zu bytes, but the length macro says %zu\n", what, bytes_size - 1, length);
        return 0;
    }
    if (gss_oid_to_str(&minor, &oid, &text) != GSS_S_COMPLETE) {
        printf("%s: gss_oid_to_str failed\n", what);
        return 0;
    }
    /* "{ 1 3 6 ... }"; MIT counts the terminating NUL in the length. */
    char expect[128];
    size_t n = 0;
    expect[n++] = '{';
    expect[n++] = ' ';
    for (const char *p = dotted; *p != '\0' && n < sizeof expect - 3; p++)
        expect[n++] = *p == '.' ? ' ' : *p;
    expect[n++] = ' ';
    expect[n++] = '}';
    expect[n++] = '\0';
    ok = text.length == n && memcmp(text.value, expect, n) == 0;
    printf("%s: %s %s %s\n", what, (const char *)text.value, ok ? "==" : "!=", dotted);
    gss_release_buffer(&minor, &text);
    return ok;
}

#define CHECK(what, name) \
    check(what, name##_OID_BYTES, sizeof(name##_OID_BYTES), name##_OID_LENGTH, name##_OID_STRING)

int main(void)
{
    int ok = 1;
    ok &= CHECK("NTLM", GSSNEG_NTLM);
    ok &= CHECK("SPNEGO", GSSNEG_SPNEGO);
    ok &= CHECK("SSPI session key", GSSNEG_INQ_SSPI_SESSION_KEY);
    ok &= CHECK("SASL SSF", GSSNEG_SEC_CONTEXT_SASL_SSF);
    ok &= CHECK("mechListMIC required", GSSNEG_SPNEGO_REQ_MECHLIST_MIC);
    ok &= CHECK("NTLM reset crypto", GSSNEG_NTLM_RESET_CRYPTO);
    return ok ? 0 : 1;
}
