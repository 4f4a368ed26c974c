#!/usr/bin/env bash
# Makes the certificates the tls tests use, with the openssl command, into
# DIR (created; default build/tls-certs). Deterministic names; keys are new
# on every run. Files (PEM):
#   ca.{key,crt}            a CA (RSA-2048)
#   server.{key,crt}        localhost + 127.0.0.1 + ::1, signed by the CA (RSA-2048)
#   server-ec.{key,crt}     the same names with an ECDSA P-256 key
#   expired.{key,crt}       localhost, signed by the CA, expired in 2020
#   wronghost.{key,crt}     for wrong.example, signed by the CA
#   self.{key,crt}          localhost, self-signed
#   other.{key,crt}         localhost, signed by a second CA that is not trusted
#   client.{key,crt}        a client certificate signed by the CA
#   chain.crt               server.crt followed by ca.crt
#   enc.key                 server.key encrypted with the passphrase "secret"
#   server.pfx              server.key, server.crt and ca.crt in PKCS#12
#                           (DER), passphrase "secret"
#   crl.pem                 the CA's revocation list: wronghost.crt revoked
#   dh.pem                  Diffie-Hellman parameters (RFC 7919 ffdhe2048)
set -euo pipefail
dir=${1:-build/tls-certs}
mkdir -p "$dir"
cd "$dir"
export OPENSSL_CONF=/dev/null
ossl() { openssl "$@" 2>/dev/null; }

rsa() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
ec() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# ca NAME SUBJECT: a self-signed CA certificate.
ca() {
  rsa "$1.key"
  ossl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -sha256 \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.crt"
}

# leaf NAME KEYKIND SUBJECT SAN CA [openssl x509 dates...]
leaf() {
  local name=$1 kind=$2 subj=$3 san=$4 signer=$5
  shift 5
  $kind "$name.key"
  ossl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" > "$name.ext"
  ossl x509 -req -in "$name.csr" -CA "$signer.crt" -CAkey "$signer.key" \
    -set_serial "0x$(printf '%s' "$name" | od -An -tx1 | tr -d ' \n')" \
    -sha256 -extfile "$name.ext" "$@" -out "$name.crt"
  rm -f "$name.csr" "$name.ext"
}

ca ca "/C=US/O=lode/CN=lode test CA"
ca other-ca "/CN=other CA"
local_san="DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
leaf server rsa "/CN=localhost" "$local_san" ca -days 3650
leaf server-ec ec "/CN=localhost" "$local_san" ca -days 3650
leaf wronghost rsa "/CN=wrong.example" "DNS:wrong.example" ca -days 3650
leaf other rsa "/CN=localhost" "$local_san" other-ca -days 3650
leaf client rsa "/CN=client" "DNS:client" ca -days 3650
# Expired: valid from 2019-01-01 to 2020-01-01 (x509 -not_before/-not_after
# are OpenSSL 3.4+; the ca command takes dates everywhere).
rsa expired.key
ossl req -new -key expired.key -subj "/CN=localhost" -out expired.csr
mkdir -p ca.db
: > ca.db/index.txt
printf '01\n' > ca.db/serial
printf '01\n' > ca.db/crlnumber
cat > ca.db/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca.db/index.txt
serial = ca.db/serial
crlnumber = ca.db/crlnumber
default_crl_days = 3650
new_certs_dir = ca.db
default_md = sha256
policy = p
copy_extensions = none
x509_extensions = e
[p]
commonName = supplied
[e]
subjectAltName = $local_san
basicConstraints = CA:FALSE
CNF
ossl ca -batch -config ca.db/ca.cnf -cert ca.crt -keyfile ca.key \
  -startdate 20190101000000Z -enddate 20200101000000Z -notext \
  -in expired.csr -out expired.crt
# crl.pem: the CA's revocation list, with wronghost.crt revoked.
ossl ca -config ca.db/ca.cnf -cert ca.crt -keyfile ca.key -revoke wronghost.crt
ossl ca -config ca.db/ca.cnf -cert ca.crt -keyfile ca.key -gencrl -out crl.pem
rm -rf ca.db expired.csr
# Self-signed leaf.
rsa self.key
ossl req -x509 -new -key self.key -subj "/CN=localhost" -days 3650 \
  -addext "subjectAltName=$local_san" -out self.crt
cat server.crt ca.crt > chain.crt
ossl pkey -in server.key -aes256 -passout pass:secret -out enc.key
# RFC 7919's group: no prime search, so no wait.
ossl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh.pem
# Last, as the tests take the set for complete once it is there.
ossl pkcs12 -export -inkey server.key -in server.crt -certfile ca.crt \
  -passout pass:secret -out server.pfx
echo "certificates in $dir"
