#!/usr/bin/env bash
# Mints the TLS test certificates with the openssl CLI into DIR (default
# build/tls/certs). Nothing here is ever checked in; a rerun reuses what exists.
#   ca.pem / ca.key          test CA
#   server.pem / server.key  signed by the test CA for 127.0.0.1 and localhost
#   other_ca.pem             a second CA that signed nothing we serve
#   expired.pem / .key       signed by the test CA for localhost, expired in 2021
#   wrongname.pem / .key     signed by the test CA for wrong.example only
set -euo pipefail
DIR=${1:-build/tls/certs}
mkdir -p "$DIR"
cd "$DIR"
[ -s wrongname.pem ] && exit 0

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

ca() {  # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem"
}

# A leaf signed by ca.pem through `openssl ca`, the only 3.0 command that
# takes arbitrary validity dates (needed for the expired certificate).
leaf() {  # name san startdate enddate
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
  rm -rf db && mkdir db && : > db/index.txt && echo 1000 > db/serial
  cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $2
CNF
  openssl ca -batch -notext -config ca.cnf -in "$1.csr" -startdate "$3" -enddate "$4" -out "$1.pem" 2>/dev/null
  rm -rf db ca.cnf "$1.csr"
}

ca ca "xbl_mpsd test CA"
ca other_ca "xbl_mpsd unrelated CA"
rm -f other_ca.key
leaf server "IP:127.0.0.1,DNS:localhost" 20240101000000Z 20991231000000Z
leaf expired "IP:127.0.0.1,DNS:localhost" 20200101000000Z 20210101000000Z
leaf wrongname "DNS:wrong.example" 20240101000000Z 20991231000000Z
