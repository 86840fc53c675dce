# Sourced by the other scripts: puts Go and the repo's tools on PATH.
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
LBHAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOBIN="$LBHAD_ROOT/.work/bin"
export PATH="$GOBIN:$PATH"
