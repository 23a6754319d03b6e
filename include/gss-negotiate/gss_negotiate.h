/*
 * gss-negotiate public header: object identifiers, credential-store keys and
 * extension OIDs understood by the gss-negotiate GSS-API mechanism module.
 *
 * The module is loaded by MIT Kerberos's mechglue; applications use the
 * ordinary GSS-API (gssapi/gssapi.h) and select the mechanism by OID.
 */
#ifndef GSS_NEGOTIATE_GSS_NEGOTIATE_H
#define GSS_NEGOTIATE_GSS_NEGOTIATE_H

/* NTLMSSP, MS-NLMP: 1.3.6.1.4.1.311.2.2.10 */
#define GSSNEG_NTLM_OID_STRING "1.3.6.1.4.1.311.2.2.10"
#define GSSNEG_NTLM_OID_LENGTH 10
#define GSSNEG_NTLM_OID_BYTES "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"

/* SPNEGO, RFC 4178: 1.3.6.1.5.5.2 (interposed by gss-negotiate's Negotiate) */
#define GSSNEG_SPNEGO_OID_STRING "1.3.6.1.5.5.2"
#define GSSNEG_SPNEGO_OID_LENGTH 6
#define GSSNEG_SPNEGO_OID_BYTES "\x2b\x06\x01\x05\x05\x02"

/* SASL mechanism name of NTLM (RFC 5801 GS2 family) */
#define GSSNEG_NTLM_SASL_NAME "GS2-NTLM"

/*
 * Credential-store keys for gss_acquire_cred_from() with the NTLM mech.
 *
 *   "ntlm_user_file"  path of a user database (both formats, see docs/configuration.md):
 *                     the acceptor validates against it; the initiator takes
 *                     the desired user's password or NT hash from it.
 *   "password"        the initiator's password (UTF-8).
 *   "nt_hash"         the initiator's NT hash, 32 hex digits, instead of a
 *                     password.
 *   "domain"          the domain to authenticate in when the name has none.
 *   "workstation"     the workstation name the initiator announces.
 *
 * gss-ntlmssp's keys mean the same here: "ntlmssp_keyfile" is
 * "ntlm_user_file", "ntlmssp_password" "password", "ntlmssp_nthash"
 * "nt_hash" and "ntlmssp_domain" "domain".
 *
 * Other keys belong to other mechanisms (MIT's SPNEGO hands the whole store
 * to each): they are ignored, as MIT's krb5 ignores keys it does not own.
 * A malformed value is refused with GSS_S_CRED_UNAVAIL.
 */
#define GSSNEG_CRED_STORE_USER_FILE "ntlm_user_file"
#define GSSNEG_CRED_STORE_PASSWORD "password"
#define GSSNEG_CRED_STORE_NT_HASH "nt_hash"
#define GSSNEG_CRED_STORE_DOMAIN "domain"
#define GSSNEG_CRED_STORE_WORKSTATION "workstation"

/*
 * Context inquiry OIDs (gss_inquire_sec_context_by_oid).
 *
 * GSS_C_INQ_SSPI_SESSION_KEY (MIT's 1.2.840.113554.1.2.2.5.5): the session
 * key; the second buffer holds the encryption type (not meaningful for NTLM).
 */
#define GSSNEG_INQ_SSPI_SESSION_KEY_OID_STRING "1.2.840.113554.1.2.2.5.5"
#define GSSNEG_INQ_SSPI_SESSION_KEY_OID_LENGTH 11
#define GSSNEG_INQ_SSPI_SESSION_KEY_OID_BYTES "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05"

/*
 * GSS_C_SEC_CONTEXT_SASL_SSF (MIT's 1.2.840.113554.1.2.2.5.15): the SASL
 * security strength factor, 4 bytes big-endian. As gss-ntlmssp reports it:
 * 64 when sealing with 128-bit keys (RC4 counted as degraded, as MIT does
 * for rc4-hmac), 56 or 40 when sealing with 56- or 40-bit keys, 1 when
 * only signing, 0 without either.
 */
#define GSSNEG_SEC_CONTEXT_SASL_SSF_OID_STRING "1.2.840.113554.1.2.2.5.15"
#define GSSNEG_SEC_CONTEXT_SASL_SSF_OID_LENGTH 11
#define GSSNEG_SEC_CONTEXT_SASL_SSF_OID_BYTES "\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x0f"

/*
 * Message protection of the NTLM mechanism.
 *
 *   gss_wrap / gss_unwrap: the token is the 16-byte NTLMSSP_MESSAGE_SIGNATURE
 *   followed by the message, sealed when confidentiality was negotiated.
 *   gss_wrap_iov: one HEADER buffer of 16 bytes, DATA (sealed) and SIGN_ONLY
 *   (signed only) buffers, covered in order; PADDING and TRAILER get length
 *   0. gss_unwrap_iov also takes STREAM | DATA.
 *   Replay and sequence status (GSS_S_DUPLICATE_TOKEN ...) is reported only
 *   for tokens whose signature verifies; with NTLMSSP_NEGOTIATE_KEY_EXCH
 *   (always negotiated by this module) the RC4 stream lets only the next
 *   token verify, so a replayed or reordered token is GSS_S_BAD_SIG and
 *   leaves the context able to take the genuine next one.
 *   gss_export_sec_context: complete contexts only; the token contains the
 *   session key and must be protected like a key.
 *   gss_pseudo_random: GSS_S_UNAVAILABLE (MS-NLMP defines no PRF).
 */

/*
 * MIT SPNEGO's private OIDs for an NTLM sub-mechanism (MS-SPNG 3.3.5.1):
 * 1.3.6.1.4.1.7165.655.1.2 asks whether the mechListMIC is required (one
 * byte 0x01 when the AUTHENTICATE message carried a MIC); setting
 * 1.3.6.1.4.1.7165.655.1.3 resets the RC4 state after the mechListMIC.
 */
#define GSSNEG_SPNEGO_REQ_MECHLIST_MIC_OID_STRING "1.3.6.1.4.1.7165.655.1.2"
#define GSSNEG_SPNEGO_REQ_MECHLIST_MIC_OID_LENGTH 11
#define GSSNEG_SPNEGO_REQ_MECHLIST_MIC_OID_BYTES "\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x02"
#define GSSNEG_NTLM_RESET_CRYPTO_OID_STRING "1.3.6.1.4.1.7165.655.1.3"
#define GSSNEG_NTLM_RESET_CRYPTO_OID_LENGTH 11
#define GSSNEG_NTLM_RESET_CRYPTO_OID_BYTES "\x2b\x06\x01\x04\x01\xb7\x7d\x85\x0f\x01\x03"

/*
 * Environment variables and options-file keys read by the module.
 *
 *   GSS_NEGOTIATE_CONFIG   path of the options file (default
 *                          /etc/gss-negotiate/gss-negotiate.conf)
 *   GSS_NEGOTIATE_TRACE    "stderr" or a file path: log each leg
 *   NTLM_USER_FILE         user database (overrides the options file)
 *   LM_COMPAT_LEVEL        0-5 as Windows' LmCompatibilityLevel (default 3)
 *   NTLMUSER, USER         default initiator user name
 */

#endif /* GSS_NEGOTIATE_GSS_NEGOTIATE_H */
