#!/bin/sh
# Turns a fresh `debootstrap --variant=minbase` tree into the shared Debian base image. Runs INSIDE the tree
# (chroot TREE /bin/sh -s), so nothing here can touch the host. Env: SUITE, MIRROR, SECURITY_MIRROR.
set -eu
: "${SUITE:?}" "${MIRROR:?}" "${SECURITY_MIRROR:?}"

# Package scripts never start services in an image.
printf '#!/bin/sh\n# images never start services at install time\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

# Slim: no manuals, info pages, translations or documentation beyond the licences, now or in later installs.
cat >/etc/dpkg/dpkg.cfg.d/discovery-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/*
find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

# apt: the suite, its updates and security fixes; no translations; quiet progress in build logs.
rm -f /etc/apt/sources.list
cat >/etc/apt/sources.list.d/debian.sources <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat >/etc/apt/apt.conf.d/90discovery <<'APT'
Acquire::Languages "none";
Dpkg::Use-Pty "0";
APT

# Nothing of the build host: its name, resolver, logs, package caches (the runtime provides hostname and DNS).
rm -f /etc/hostname /etc/resolv.conf /etc/machine-id
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/cache/debconf/*-old \
  /var/lib/dpkg/*-old /var/log/* /tmp/* /var/tmp/* /root/.bash_history
mkdir -p /var/lib/apt/lists/partial /var/cache/apt/archives/partial /var/log/apt
chown _apt:root /var/lib/apt/lists/partial /var/cache/apt/archives/partial 2>/dev/null || true
