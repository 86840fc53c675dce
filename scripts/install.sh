#!/usr/bin/env bash
# Installs lbhad from source on this machine: the binary in
# /usr/local/sbin, the systemd units (scripts/packaging/, with that path), the
# lbhad system user the unit runs as, an example config (never over an
# existing one), the IPVS modules to load at boot and the config
# reference. The packages (scripts/package.sh) are the first choice; this
# is for a machine that builds its own. DESTDIR=/some/dir stages the same tree there
# instead (for packaging and for the test of this script). LBHAD_BIN=FILE
# installs that binary instead of building one (a packager's own build,
# or the binary a test already built).
#
#   sudo ./scripts/install.sh && sudo systemctl enable --now lbhad
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dest="${DESTDIR:-}"
if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root, or set DESTDIR to stage the files" >&2
	exit 1
fi

ver="$(git describe --always --dirty 2>/dev/null || echo dev)"
bin="${LBHAD_BIN:-}"
if [ -z "$bin" ]; then
	mkdir -p .work/bin
	CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$ver" -o .work/bin/lbhad ./cmd/lbhad
	bin=.work/bin/lbhad
fi

install -D -m 0755 "$bin" "$dest/usr/local/sbin/lbhad"
for unit in lbhad.service lbhad-realserver.service; do
	mkdir -p "$dest/etc/systemd/system"
	sed 's|/usr/sbin/lbhad|/usr/local/sbin/lbhad|g' "scripts/packaging/$unit" >"$dest/etc/systemd/system/$unit"
	chmod 0644 "$dest/etc/systemd/system/$unit"
done
if [ ! -e "$dest/etc/default/lbhad" ]; then
	install -D -m 0644 scripts/packaging/default "$dest/etc/default/lbhad"
fi
install -D -m 0644 docs/config.md "$dest/usr/share/doc/lbhad/config.md"
# A sample, never the live config (as the package does): the unit's
# ConditionFileNotEmpty keeps the service down until lbhad.hcl exists.
install -D -m 0644 examples/dr-pair.hcl "$dest/etc/lbhad/lbhad.hcl.sample"
if [ -e "$dest/etc/lbhad/lbhad.hcl" ]; then
	echo "kept the existing $dest/etc/lbhad/lbhad.hcl"
else
	echo "no config yet: cp $dest/etc/lbhad/lbhad.hcl.sample $dest/etc/lbhad/lbhad.hcl, edit it, lbhad validate"
fi
# The unit runs without CAP_SYS_MODULE, so IPVS and its schedulers are
# loaded at boot; the kernel loads a scheduler on first use as well.
install -D -m 0644 scripts/packaging/modules-load.conf "$dest/etc/modules-load.d/lbhad.conf"
mkdir -p "$dest/var/lib/lbhad"

# The unit runs as lbhad: the package's postinstall makes the user and
# gives it its directories; so does this, on a real install.
if [ -z "$dest" ]; then
	bash scripts/packaging/scripts/postinstall.sh configure
	if [ -e /etc/lbhad/lbhad.hcl ]; then chgrp lbhad /etc/lbhad/lbhad.hcl; fi
fi

if [ -z "$dest" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	echo "now: systemctl enable --now lbhad"
fi
echo "lbhad $ver installed under ${dest:-/}"
