#!/usr/bin/env bash
# Builds the lbhad .deb and .rpm into dist/ (OUT=DIR elsewhere;
# FORMATS="deb" for one) with nfpm v2.45.2, from scripts/packaging/nfpm.yaml:
# a static (CGO_ENABLED=0), version-stamped /usr/sbin/lbhad (without
# GoBGP) and /usr/libexec/lbhad/lbhad-bgp (with it), the units,
# /etc/lbhad/lbhad.hcl.sample, /etc/default/lbhad, the modules-load.d
# file, /var/lib/lbhad, the docs, and the man pages (docs/man) and shell
# completions (lbhad completion bash|zsh|fish) when this tree has them.
#
#   ./scripts/package.sh                 # dist/lbhad_VERSION_amd64.deb, dist/lbhad-VERSION-1.x86_64.rpm
#   LBHAD_VERSION=1.2.3 ./scripts/package.sh
#
# nfpm runs with "go run ...@v2.45.2" rather than as a go.mod tool: it is
# pinned just as exactly (the module proxy and go.sum's checksum database
# verify it), Go caches the built tool, and its ~60 modules stay out of the
# daemon's go.mod, so `go mod graph` and dependency reviews show only what
# the daemon links.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="${OUT:-dist}"
formats="${FORMATS:-deb rpm}"
nfpm=(go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2)

# deb and rpm versions start with a digit and rpm's hold no "-".
ver="${LBHAD_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo unknown)}"
if [[ "$ver" =~ ^v?[0-9]+\.[0-9]+ ]]; then
	ver="${ver#v}"
else
	ver="0.0.0~git.$ver" # an untagged tree: sorts before every release
fi
ver="${ver//-/.}"
rev="$(git rev-parse HEAD 2>/dev/null || true)"
revtime="$(git log -1 --format=%cI 2>/dev/null || true)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then rev="$rev-dirty"; fi

work=.work/pkg
rm -rf "$work"
mkdir -p "$work" "$out"
export CGO_ENABLED=0
LBHAD_ARCH="${GOARCH:-$(go env GOARCH)}"
export LBHAD_ARCH LBHAD_VERSION="$ver"
ldflags="-X main.version=$ver -X main.revision=$rev -X main.revisionTime=$revtime"
# Two builds of one program: /usr/sbin/lbhad without GoBGP (tag
# nogobgp), which a VRRP/IPVS director runs, and the full one in
# /usr/libexec/lbhad/lbhad-bgp, which the lean one executes in its place
# when the config at start has a bgp block. GoBGP's code and package
# inits cost 4.5 MB of RSS even unused (docs/PERFORMANCE.md, "GoBGP").
go build -trimpath -tags nogobgp \
	-ldflags "$ldflags -X main.bgpBinary=/usr/libexec/lbhad/lbhad-bgp" \
	-o "$work/lbhad" ./cmd/lbhad
go build -trimpath -ldflags "$ldflags" -o "$work/lbhad-bgp" ./cmd/lbhad

# The optional parts, appended to the contents list when present.
cfg="$work/nfpm.yaml"
cp scripts/packaging/nfpm.yaml "$cfg"
add() { # add SRC DST [PACKAGER]
	printf '  - src: %s\n    dst: %s\n    file_info:\n      mode: 0644\n' "$1" "$2" >>"$cfg"
	if [ -n "${3:-}" ]; then printf '    packager: %s\n' "$3" >>"$cfg"; fi
}
shopt -s nullglob
for page in docs/man/*.[1-8]; do
	sec="${page##*.}"
	gzip -9nc "$page" >"$work/$(basename "$page").gz"
	add "$work/$(basename "$page").gz" "/usr/share/man/man$sec/$(basename "$page").gz"
done
if "$work/lbhad" completion bash >"$work/lbhad.bash" 2>/dev/null; then
	"$work/lbhad" completion zsh >"$work/_lbhad"
	"$work/lbhad" completion fish >"$work/lbhad.fish"
	add "$work/lbhad.bash" /usr/share/bash-completion/completions/lbhad
	add "$work/_lbhad" /usr/share/zsh/vendor-completions/_lbhad deb
	add "$work/_lbhad" /usr/share/zsh/site-functions/_lbhad rpm
	add "$work/lbhad.fish" /usr/share/fish/vendor_completions.d/lbhad.fish
else
	echo "package.sh: this lbhad has no completion command; packaging without completions" >&2
fi

for f in $formats; do
	"${nfpm[@]}" package --config "$cfg" --packager "$f" --target "$out/"
done
ls -l "$out"
