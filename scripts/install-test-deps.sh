#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks start (never as services: tests start
# their own instances on 127.0.0.1 with temporary data directories).
set -euo pipefail
# openssl: `openssl verify` in the CA tests; bsdutils: `script`, the pty that drives `kubectl exec -it`.
packages=(openssl bsdutils)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "already installed: ${packages[*]}"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
