#!/usr/bin/env bash
# Reproduce the IPVS reconciliation benchmark of docs/PERFORMANCE.md:
#
#   sudo bash bench/ipvs/run.sh [ipvsbench flags, e.g. -runs 7 -services 500]
#
# Prepares the qemu guest kernel (integration/vm/setup.sh, idempotent),
# builds a static ipvsbench, boots it once in the guest and prints the
# result table on stdout (the guest's console goes to stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
bash integration/vm/setup.sh >&2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -o "$out/ipvsbench" ./bench/ipvs/cmd/ipvsbench
"$out/ipvsbench" "$@"
