#!/usr/bin/env bash
# The Samba DC's tokens in test/data/spnego.vectors (samba_dc_*) are still
# what the DC sends: test/data/capture_samba_dc.py captures them again from
# a fresh DC, with MIT's SPNEGO over gss-ntlmssp as the initiator. The SMB2
# NegTokenInit2 carries nothing random and must be byte for byte the stored
# one; the LDAP binds (gss-ntlmssp's and Samba's own client) must again
# negotiate NTLM with a mechListMIC both ways (test/interop/spnego_tokens.py)
# and the DC's CHALLENGE must have the stored one's length (the same names in
# its TargetInfo).
#
# Environment (from meson): GSSNEG_REF_MECH.
source "$(dirname "$0")/common.sh"

ref_mech=${GSSNEG_REF_MECH:?GSSNEG_REF_MECH must name test/interop/gss-ntlmssp.mech}
module=$(awk '!/^#/ && NF { m = $3 } END { print m }' "$ref_mech")
[[ -r $module ]] || skip "gss-ntlmssp is not installed ($module is missing)"
"$GSSNEG_PYTHON" -c 'import gssapi' 2> /dev/null || skip "python3-gssapi is missing for $GSSNEG_PYTHON"

dc_start "$TEST_DIR/dc"
vectors=$AD_TEST_HERE/../data/spnego.vectors
GSS_MECH_CONFIG=$ref_mech KRB5CCNAME=FILE:$TEST_DIR/no-ccache \
    "$GSSNEG_PYTHON" "$AD_TEST_HERE/../data/capture_samba_dc.py" "$TEST_DIR/captured" "$TEST_DIR/legs" ||
    fail "capture_samba_dc.py failed"
stored() { sed -n "s/^$1 = //p" "$vectors"; }
captured() { sed -n "s/^$1 = //p" "$TEST_DIR/captured"; }
expect_eq "the SMB2 NegTokenInit2" "$(stored samba_dc_smb2_init2)" "$(captured smb2_negotiate_init2)"
for client in ldap_ntlm ntlm_auth_ldap; do
    "$GSSNEG_PYTHON" "$AD_TEST_HERE/../interop/spnego_tokens.py" "$TEST_DIR/legs/$client" --expect success ||
        fail "the LDAP bind ($client) is not an NTLM exchange with mechListMICs both ways"
done
expect_eq "the length of the DC's CHALLENGE token" "$(stored samba_dc_ldap_2_challenge | wc -c)" \
    "$(captured ldap_ntlm_2_challenge | wc -c)"
echo "PASS: the Samba DC sends what samba_dc_* records"
