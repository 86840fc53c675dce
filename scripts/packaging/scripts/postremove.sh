#!/bin/sh
# lbhad package: after removal (deb: remove, purge, upgrade...; rpm: 0 on
# erase, 1 on upgrade). On deb purge it removes what lbhad itself wrote
# (maintenance state, the real-server lists of "lbhad realserver
# --persist") and the lbhad user and group; rpm keeps the user, as
# Fedora's packaging guidelines ask, so that files it owns elsewhere
# never fall to a reused uid. It never stops a service: prerm does.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
case "$1" in
purge) ;;
*) exit 0 ;;
esac

rm -rf /var/lib/lbhad
rm -f /etc/lbhad/realserver.conf /etc/sysctl.d/90-lbhad-realserver.conf
rmdir /etc/lbhad 2>/dev/null || true
if getent passwd lbhad >/dev/null; then
	if command -v deluser >/dev/null 2>&1; then
		deluser --system --quiet lbhad || true
	else
		userdel lbhad || true
	fi
fi
if getent group lbhad >/dev/null; then
	if command -v delgroup >/dev/null 2>&1; then
		delgroup --system --quiet lbhad || true
	else
		groupdel lbhad || true
	fi
fi
exit 0
