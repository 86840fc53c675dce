#!/usr/bin/env bash
# Makes sure a Go >= 1.26 is available for building lbhad, using only
# Debian's packages and the Go module proxy: when neither PATH nor
# /usr/local/go has one, it installs the distribution's Go (any version
# can download modules) and with it fetches the official toolchain,
# published on the module proxy as golang.org/toolchain, into .work/go.
# scripts/env.sh puts .work/go/bin first on PATH when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
want_minor=26
version="1.26.8"

ok() { # ok GO: prints nothing, succeeds when GO is Go 1.26 or newer
	local v
	v="$("$1" env GOVERSION 2>/dev/null)" || return 1
	v="${v#go}"
	[ "${v%%.*}" -gt 1 ] 2>/dev/null && return 0
	local minor="${v#1.}"
	minor="${minor%%.*}"
	[ "${minor%%[!0-9]*}" -ge "$want_minor" ] 2>/dev/null
}

for g in "$PWD/.work/go/bin/go" /usr/local/go/bin/go "$(command -v go 2>/dev/null || true)"; do
	if [ -n "$g" ] && [ -x "$g" ] && GOTOOLCHAIN=local ok "$g"; then
		[ "${LBHAD_FORCE_TOOLCHAIN:-}" = 1 ] || exit 0
	fi
done

boot="$(command -v go 2>/dev/null || true)"
[ -n "$boot" ] || boot=/usr/local/go/bin/go
if [ ! -x "$boot" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends golang-go ca-certificates
	boot="$(command -v go)"
fi
case "$(uname -m)" in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) echo "go-toolchain.sh: no Go toolchain for $(uname -m)" >&2; exit 1 ;;
esac
mod="golang.org/toolchain@v0.0.1-go${version}.linux-${arch}"
tmp="$(mktemp -d)"
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
echo "fetching Go ${version} from the module proxy ($mod)" >&2
(cd "$tmp" && GOMODCACHE="$tmp/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local "$boot" mod download "$mod")
rm -rf .work/go
mkdir -p .work
cp -r "$tmp/mod/$mod" .work/go
chmod -R u+w .work/go
# Module zips carry no file modes.
chmod +x .work/go/bin/* .work/go/pkg/tool/*/*
.work/go/bin/go version
