#!/usr/bin/env bash
# The main job: a local lab of a director pair. Builds lbhad, starts two
# directors and a client in network namespaces, shows who is master, kills
# it and measures the failover gap the client sees, then cleans up.
# Pass -keepalived to run keepalived as the second director, -v3 for
# VRRPv3 at advert_int 0.1 (a sub-second failover).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (it builds network namespaces)" >&2
	exit 1
fi
if ! command -v ip >/dev/null || ! command -v keepalived >/dev/null || ! command -v go >/dev/null; then
	bash scripts/deps.sh
	source scripts/env.sh # deps.sh may have fetched Go into .work/go
fi
mkdir -p .work/bin
go build -o .work/bin/lbhad ./cmd/lbhad
go build -o .work/bin/lbhad-demo ./internal/lab/demo
exec "$PWD/.work/bin/lbhad-demo" -lbhad "$PWD/.work/bin/lbhad" "$@"
