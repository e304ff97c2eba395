#!/usr/bin/env bash
# Installs what the integration tests need, only where it is missing:
#   openssl  (outside checker of RFC 3161 tokens)  — Debian package
#   minio    (real S3 server with Object Lock)      — go install, cached in $(go env GOPATH)/bin
#   chromium (the court's web page, end to end)     — Debian package, with fonts-noto-cjk for Chinese
#   pdfsig, certutil, WenQuanYi (signed PDF certificates) — poppler-utils, libnss3-tools, fonts-wqy-microhei
#   jq, curl (the README's tour, run by cmd/custos/readme_test.go) — Debian packages
#   brotli   (make wasm's compressed copy of the browser verifier) — Debian package
#   softhsm2, opensc (a real PKCS#11 token for the TSA and notary keys) — Debian packages
#   javac, Bouncy Castle (outside checker of RFC 4998 evidence records) — default-jdk-headless, libbcpkix-java
#   python3 with cryptography (independent implementations of the receipt and transaction formats, written from docs/) — python3-cryptography
#   systemd (deploy/systemd/custos.service run under a real systemd, and systemd-analyze) — Debian package
set -euo pipefail
export GOTOOLCHAIN=auto
gobin="$(go env GOPATH)/bin"

apt_missing=()
command -v openssl >/dev/null || apt_missing+=(openssl)
command -v chromium >/dev/null || apt_missing+=(chromium)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || apt_missing+=(fonts-noto-cjk)
command -v pdfsig >/dev/null || apt_missing+=(poppler-utils)
command -v certutil >/dev/null || apt_missing+=(libnss3-tools)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || apt_missing+=(fonts-wqy-microhei)
command -v jq >/dev/null || apt_missing+=(jq)
command -v curl >/dev/null || apt_missing+=(curl)
command -v brotli >/dev/null || apt_missing+=(brotli)
command -v softhsm2-util >/dev/null || apt_missing+=(softhsm2)
command -v pkcs11-tool >/dev/null || apt_missing+=(opensc)
command -v javac >/dev/null || apt_missing+=(default-jdk-headless)
[ -e /usr/share/java/bcpkix.jar ] || apt_missing+=(libbcpkix-java)
python3 -c 'import cryptography' 2>/dev/null || apt_missing+=(python3-cryptography)
command -v systemd-analyze >/dev/null || apt_missing+=(systemd)
if ((${#apt_missing[@]})); then
  echo "installing with apt-get: ${apt_missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}"
fi

if ! command -v minio >/dev/null && [ ! -x "$gobin/minio" ]; then
  echo "building MinIO (go install github.com/minio/minio@latest; several minutes the first time, then cached in $gobin)"
  go install github.com/minio/minio@latest
fi
echo "test dependencies: openssl $(openssl version | cut -d' ' -f2), minio at $(command -v minio || echo "$gobin/minio"), $(chromium --version 2>/dev/null | head -1)"
