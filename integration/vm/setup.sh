#!/usr/bin/env bash
# setup.sh prepares everything the IPVS VM tests need, from Debian packages only:
#   - host tools: qemu-system-x86, busybox-static, ipvsadm, kmod, iproute2, cpio
#     (plus xz-utils, zstd, gzip to unpack the kernel image), and bird2, whose
#     bird and birdc are copied into the guest as the ECMP tests' router (its
#     service is disabled: the tests run their own bird);
#   - a Debian kernel, downloaded with `apt-get download` and unpacked into a
#     cache directory, NOT installed on the host;
#   - the uncompressed vmlinux extracted from its bzImage (PVH boot is about
#     twice as fast under TCG), falling back to the bzImage;
#   - a `depmod -b` module tree so busybox modprobe works in the guest.
#
# It is idempotent: a second run with a warm cache only checks and exits.
# The cache is $LBHAD_VM_CACHE, default /var/cache/lbhad-vm when writable,
# else <repo>/.work/vm. The Go package integration/vm reads the same place.
set -euo pipefail

log() { printf 'lbhad-vm setup: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -n "${LBHAD_VM_CACHE:-}" ]]; then
	cache=$LBHAD_VM_CACHE
elif mkdir -p /var/cache/lbhad-vm 2>/dev/null && [[ -w /var/cache/lbhad-vm ]]; then
	cache=/var/cache/lbhad-vm
else
	cache=$repo_root/.work/vm
fi
mkdir -p "$cache"

[[ $(id -u) -eq 0 ]] || die "must run as root (it uses apt-get); try: sudo bash $0"
export DEBIAN_FRONTEND=noninteractive

packages=(qemu-system-x86 busybox-static ipvsadm kmod iproute2 cpio xz-utils zstd gzip bird2)
apt_updated=0
apt_update_once() {
	if [[ $apt_updated -eq 0 ]]; then
		log "apt-get update"
		apt-get update -qq
		apt_updated=1
	fi
}

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})); then
	apt_update_once
	log "installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	if [[ " ${missing[*]} " == *" bird2 "* ]]; then
		systemctl disable --now bird >/dev/null 2>&1 || true
	fi
fi

# Resolve the kernel package the linux-image-amd64 metapackage points at now.
resolve_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
kpkg=$(resolve_kernel_pkg || true)
if [[ -z "$kpkg" ]]; then
	apt_update_once
	kpkg=$(resolve_kernel_pkg || true)
fi
[[ -n "$kpkg" ]] || die "cannot resolve the kernel package behind linux-image-amd64"
kver=${kpkg#linux-image-}
kdir=$cache/$kver

if [[ ! -f $kdir/.complete ]]; then
	log "fetching $kpkg into $kdir"
	rm -rf "$kdir"
	mkdir -p "$kdir/deb"
	(cd "$kdir/deb" && apt-get download -qq "$kpkg" 2>&1 | grep -v 'unsandboxed as root' >&2 || true)
	deb=$(ls "$kdir"/deb/*.deb 2>/dev/null | head -n1 || true)
	if [[ -z "$deb" ]]; then
		apt_update_once
		(cd "$kdir/deb" && apt-get download -qq "$kpkg")
		deb=$(ls "$kdir"/deb/*.deb | head -n1)
	fi
	mkdir -p "$kdir/root"
	dpkg-deb -x "$deb" "$kdir/root"
	rm -rf "$kdir/deb"
	[[ -f $kdir/root/boot/vmlinuz-$kver ]] || die "no boot/vmlinuz-$kver in $kpkg"
	[[ -d $kdir/root/lib/modules/$kver ]] || die "no lib/modules/$kver in $kpkg"

	# extract-vmlinux: find each compressed-stream magic in the bzImage, try to
	# decompress from there and keep the first result that is an ELF file.
	bz=$kdir/root/boot/vmlinuz-$kver
	try_decompress() { # magic-as-grep-pattern decompress-command...
		local magic=$1
		shift
		local off
		for off in $(LC_ALL=C grep -obUaP "$magic" "$bz" | cut -d: -f1); do
			tail -c "+$((off + 1))" "$bz" | "$@" >"$kdir/vmlinux.tmp" 2>/dev/null || true
			if [[ $(head -c4 "$kdir/vmlinux.tmp" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then
				mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
				return 0
			fi
		done
		rm -f "$kdir/vmlinux.tmp"
		return 1
	}
	if try_decompress '\x1f\x8b\x08' gunzip -c ||
		try_decompress '\xfd7zXZ\x00' unxz -c ||
		try_decompress '\x28\xb5\x2f\xfd' unzstd -c; then
		log "extracted $(du -h "$kdir/vmlinux" | cut -f1) vmlinux"
		echo "$kdir/vmlinux" >"$kdir/image"
	else
		log "warning: could not extract vmlinux; the slower bzImage will be booted"
		echo "$bz" >"$kdir/image"
	fi

	depmod -b "$kdir/root" "$kver"
	echo "$kver" >"$kdir/.complete"
fi
ln -sfn "$kver" "$cache/current.tmp" && mv -T "$cache/current.tmp" "$cache/current"
log "ready: kernel $kver, image $(cat "$kdir/image"), cache $cache"
