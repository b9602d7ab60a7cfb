#!/usr/bin/env bash
# Mints a throwaway CA and a server certificate for 127.0.0.1 / localhost
# into DIR with the openssl CLI (ECDSA P-256: quick to make and to use).
# Nothing here is checked in; a rerun reuses what exists.
#   ca.pem              the root the TLS port under test trusts (--ca)
#   server.pem/.key     what peer.py serves (--tls-cert / --tls-key)
set -euo pipefail
DIR=${1:?usage: mint_certs.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
[ -s server.pem ] && [ -s server.key ] && [ -s ca.pem ] && exit 0
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=xbl_mpsd conformance CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
ec server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > leaf.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
  -extfile leaf.ext -out server.pem 2>/dev/null
rm -f server.csr leaf.ext ca.srl
