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
# lbhad as scripts/package.sh builds /usr/sbin/lbhad: static, without
# GoBGP (a VRRP-only director never runs the BGP build).
CGO_ENABLED=0 go build -trimpath -tags nogobgp -o "$out/lbhad" ./cmd/lbhad
# A binary the linker just wrote sits in the page cache in large folios
# that the kernel maps whole (20 MB of FilePmdMapped seen at start),
# unlike an installed one read back after a boot: write it back and drop
# it from the cache, so lbhad's RSS is that of an installed binary.
sync "$out/lbhad"
dd if="$out/lbhad" iflag=nocache count=0 status=none
go build -o "$out/vrrpbench" ./bench/vrrp/cmd/vrrpbench
"$out/vrrpbench" -lbhad "$out/lbhad" "$@"
