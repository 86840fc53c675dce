#!/usr/bin/env bash
# Reproduce the health-check benchmark of docs/PERFORMANCE.md (lbhad's
# checker engine on loopback, in a fresh network namespace; needs root):
#
#   sudo bash bench/checker/run.sh [checkerbench flags, e.g. -checks 10000 -duration 20s]
#
# Builds bench/checker/cmd/checkerbench, then prints the report on stdout
# (progress on stderr). -short is a smoke run of a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
go build -o "$out/checkerbench" ./bench/checker/cmd/checkerbench
# lbhad as scripts/package.sh builds /usr/sbin/lbhad, for the daemon phase.
CGO_ENABLED=0 go build -trimpath -tags nogobgp -o "$out/lbhad" ./cmd/lbhad
"$out/checkerbench" -lbhad "$out/lbhad" "$@"
