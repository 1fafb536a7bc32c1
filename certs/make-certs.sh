#!/usr/bin/env bash
# Makes a local test PKI with openssl: a CA, a server certificate (SAN localhost, the host
# name, 127.0.0.1 and ::1) and a client certificate (for requireClientCert and TACACS+ over
# TLS). For trials and tests only: production uses certificates from your own CA (see
# certs/README.md). Usage: make-certs.sh [OUT_DIR] — existing files are kept unless FORCE=1.
set -euo pipefail
out=${1:-$(dirname "$0")}
mkdir -p "$out"
cd "$out"
if [ -s ca.crt ] && [ -s server.crt ] && [ -s client.crt ] && [ "${FORCE:-0}" != 1 ]; then
  exit 0
fi
umask 077
host=$(hostname 2>/dev/null || echo localhost)
days=825
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=uid-listener test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt

issue() { # name subject extendedKeyUsage subjectAltName
  ec "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$3" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
issue server "$host" serverAuth "subjectAltName=DNS:localhost,DNS:$host,IP:127.0.0.1,IP:::1"
issue client uid-listener-client clientAuth "subjectAltName=DNS:uid-listener-client"
rm -f ca.srl
chmod 644 ./*.crt
