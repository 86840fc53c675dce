#!/usr/bin/env bash
# Reproduce the VRRP benchmark of docs/PERFORMANCE.md (lbhad vs keepalived
# in network namespaces; needs root and keepalived 2.2.7):
#
#   sudo bash bench/vrrp/run.sh [vrrpbench flags, e.g. -runs 5 -window 60s]
#
# Builds cmd/lbhad and bench/vrrp/cmd/vrrpbench, then prints the result tables on stdout
# (progress on stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
command -v keepalived >/dev/null || apt-get install -y keepalived >&2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
go build -o "$out/lbhad" ./cmd/lbhad
go build -o "$out/vrrpbench" ./bench/vrrp/cmd/vrrpbench
"$out/vrrpbench" -lbhad "$out/lbhad" "$@"
