#!/usr/bin/env bash
# Installs the system programs that `npm run demo` or `npm test` use when they are missing, as root on
# Debian; elsewhere it says exactly what to install and fails (the demo cannot run without them; the
# tests then skip what needs them, and fail under CI=true).
#   ensure-system-deps.sh demo   openssh-server (the sandbox's sshd), openssl (the simulator's judge)
#   ensure-system-deps.sh test   the same, plus openssh-client (ssh-keygen), putty-tools (puttygen),
#                                libxml2-utils (xmllint, the tests' judge of the official XSDs), redis-server
#                                (the sequence store of n8n's queue mode) and postgresql (the queue-mode test's
#                                database; its own server is started by the test, not the system's)
set -euo pipefail
mode="${1:-test}"
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v openssl >/dev/null || missing+=(openssl)
if [ "$mode" = test ]; then
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v puttygen >/dev/null || missing+=(putty-tools)
  command -v xmllint >/dev/null || missing+=(libxml2-utils)
  command -v redis-server >/dev/null || missing+=(redis-server)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (needed by npm run $mode)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing ${missing[*]}. Install them as root (Debian/Ubuntu: apt-get install ${missing[*]})." >&2
[ "$mode" = test ] && [ "${CI:-}" != true ] && exit 0
exit 1
