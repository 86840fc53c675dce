#!/bin/sh
# lbhad package: before removal (deb: remove; rpm: 0 on erase). Stops the
# daemons when the package goes away for good, so no lbhad keeps running
# from a deleted binary; an upgrade (deb: upgrade; rpm: 1) stops nothing.
set -e
case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl stop lbhad.service lbhad-realserver.service >/dev/null 2>&1 || true
fi
exit 0
