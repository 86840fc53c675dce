// Package vm boots a Debian kernel under qemu with a small initramfs so that
// tests needing kernel features the host lacks (IPVS above all: CONFIG_IP_VS
// is unset on the development and CI machines) run against a real kernel.
//
// integration/vm/setup.sh installs qemu, busybox, iproute2 and ipvsadm from
// Debian packages and unpacks (does not install) a Debian kernel into a cache
// directory. This package finds that kernel ([FindKernel]), writes an
// initramfs holding busybox, iproute2's ip, ipvsadm, the kernel modules and
// an /init script ([BuildInitramfs]), and boots it with per-run files
// appended as a second cpio ([Run]). The guest's /init loads the modules,
// runs the requested commands, prints [ExitMarker] with the exit code on the
// serial console and powers off, so one boot runs a whole batch of tests.
//
// qemu runs with TCG by default: /dev/kvm on these machines is a nested
// software implementation on which a stock kernel hangs at early boot.
// See README.md beside this file.
package vm
