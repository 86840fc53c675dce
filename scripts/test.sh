#!/usr/bin/env bash
# The one command that runs every lbhad test: installs what the tests
# need, checks formatting and static analysis, runs the unit tests with
# the race detector, every fuzz target for a few seconds (scripts/fuzz.sh),
# then the integration tests (network namespaces on
# this kernel, keepalived as a peer, IPVS in a qemu guest kernel).
# Run as root. Under CI=true a skipped integration test is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
start=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

step "installing test dependencies"
bash scripts/deps.sh
source scripts/env.sh # deps.sh may have fetched Go into .work/go
[ -x "$GOBIN/staticcheck" ] || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt wants to change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...
go vet -tags integration ./integration/...
go vet -tags 'integration ipvsguest' ./integration/...
# Linux only at the edges: every package must build elsewhere too.
GOOS=darwin go vet ./...
GOOS=freebsd go build ./...

step "staticcheck"
staticcheck ./...
staticcheck -tags integration ./integration/...
staticcheck -tags 'integration ipvsguest' ./integration/...

step "unit tests (race)"
go test -race -count=1 ./...

step "fuzzing (every target, briefly)"
bash scripts/fuzz.sh

step "integration tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
go test -tags integration -count=1 -timeout 25m -v ./integration/... 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "${CI:-}" = "true" ] && grep -q -- '--- SKIP' "$log"; then
	echo "integration tests were skipped under CI=true; that counts as a failure:" >&2
	grep -- '--- SKIP' "$log" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

step "all tests passed"
