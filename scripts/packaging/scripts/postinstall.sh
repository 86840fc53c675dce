#!/bin/sh
# lbhad package: after install or upgrade (deb: configure; rpm: 1 or 2).
# Creates the lbhad system user, gives it its directories and tells
# systemd about the units. It never starts, restarts or enables a
# service: a fresh install has no config (only lbhad.hcl.sample), and an
# upgrade must not move the VIPs at a moment the operator did not choose
# (docs/operations.md: "Upgrade").
set -e
case "$1" in
configure | 1 | 2) ;;
*) exit 0 ;;
esac

if ! getent passwd lbhad >/dev/null; then
	if command -v adduser >/dev/null 2>&1 && adduser --help 2>&1 | grep -q -- --system; then
		adduser --system --group --quiet --home /var/lib/lbhad --no-create-home \
			--shell /usr/sbin/nologin --gecos "lbhad director daemon" lbhad
	else
		useradd --system --user-group --home-dir /var/lib/lbhad --no-create-home \
			--shell /sbin/nologin --comment "lbhad director daemon" lbhad
	fi
fi

# The config may hold secrets (SMTP, webhook tokens): root writes it, the
# daemon's group reads it, nobody else enters the directory. setgid, so
# a config copied in gets the group lbhad.
chown root:lbhad /etc/lbhad
chmod 2750 /etc/lbhad
chown lbhad:lbhad /var/lib/lbhad
chmod 0750 /var/lib/lbhad

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
exit 0
