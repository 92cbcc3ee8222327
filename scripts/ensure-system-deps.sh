#!/usr/bin/env bash
# Installs the system programs the integration tests use (a real sshd, puttygen) when they are missing
# and we are root on a Debian machine; elsewhere it only says what is missing (the tests then skip).
set -euo pipefail
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
command -v puttygen >/dev/null || missing+=(putty-tools)
command -v openssl >/dev/null || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (needed by the integration tests)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing ${missing[*]}: the tests that need them will be skipped. Install them (Debian: apt-get install ${missing[*]})." >&2
fi
