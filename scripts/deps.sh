#!/usr/bin/env bash
# Installs everything lbhad's tests and demo need on a Debian or Ubuntu
# machine, from the distribution's packages and the Go module proxy only.
# Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: run as root (the tests build network namespaces)" >&2
		exit 1
	fi
}
need_root

# Debian packages: iproute2 for namespaces, keepalived as the interop peer
# (its service is never started; tests run the binary in a namespace),
# tcpdump for captures, ipvsadm for cross-checking IPVS tables; the VM
# harness adds its own list in integration/vm/setup.sh. rpm lists the
# built .rpm's contents (the package test); adduser and systemd (for
# systemd-analyze) are what the .deb test installs and verifies with.
pkgs=(iproute2 keepalived tcpdump ipvsadm kmod procps psmisc ca-certificates git make python3-aiosmtpd rpm adduser systemd)
# prometheus for promtool, which checks and unit-tests examples/monitoring's
# alert rules (internal/metrics TestAlertRules); its service is never started.
pkgs+=(prometheus)
# bird2, the routing daemon lbhad's BGP speaker peers with in
# integration/bgp_bird_test.go; its service is never started (the test
# runs its own bird in a namespace).
pkgs+=(bird2)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Never let a package start its own service (keepalived would).
	created_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		created_policy=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
	[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	# The prometheus package enables its server; only promtool is wanted.
	if [[ " ${missing[*]} " == *" prometheus "* ]]; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
	if [[ " ${missing[*]} " == *" bird2 "* ]]; then
		systemctl disable --now bird >/dev/null 2>&1 || true
	fi
fi

# Go 1.26: from PATH or /usr/local/go, else fetched (scripts/go-toolchain.sh).
bash scripts/go-toolchain.sh

# The IPVS guest kernel and its tools.
bash integration/vm/setup.sh
