# Sourced by the other scripts: puts Go and the repo's tools on PATH.
LBHAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A toolchain fetched by scripts/go-toolchain.sh wins, then /usr/local/go.
if [ -x "$LBHAD_ROOT/.work/go/bin/go" ]; then
	export PATH="$LBHAD_ROOT/.work/go/bin:$PATH"
	export GOTOOLCHAIN=local
else
	export PATH="/usr/local/go/bin:$PATH"
	export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
fi
export GOBIN="$LBHAD_ROOT/.work/bin"
export PATH="$GOBIN:$PATH"
