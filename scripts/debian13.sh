#!/bin/bash
# SPDX-License-Identifier: MIT
# Run tlspolicyd's whole test suite on Debian 13 (trixie, Postfix 3.10) from
# a Debian 12 (or 13) host, as root:
#
#   scripts/debian13.sh            build (or reuse) a Debian 13 root made of
#                                  Debian's own packages with mmdebstrap, copy
#                                  this tree's tracked files into it and run
#                                  "scripts/setup.sh --test" there
#   scripts/debian13.sh --root     only make sure the root exists; print its path
#   scripts/debian13.sh --shell    a shell in the root (for debugging)
#   scripts/debian13.sh --run CMD  run CMD (bash) in the fresh copy of the
#                                  tree inside the root, e.g. one world test
#
# The root is cached in $DEBIAN13_CACHE (default /var/cache/tlspolicyd), one
# directory per package list: a change to scripts/packages-*.txt builds a new
# one (about a minute) and removes the old.  Nothing is fetched but Debian's
# packages, from the host's own Debian mirror.
#
# The suite runs in a private mount namespace (unshare), so the mounts it
# needs (/proc, /sys, /dev, /run) vanish when it ends; the test world's
# network namespace is made by the host's kernel as on the host.  Exit status:
# that of the suite (77 when this host cannot make the root: not root, no
# mmdebstrap and no way to install it).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DEBIAN13_CACHE:-/var/cache/tlspolicyd}
SUITE=trixie
MODE=test
case "${1:-}" in
	"") ;;
	--root) MODE=root ;;
	--shell) MODE=shell ;;
	--run) MODE=run; RUN_CMD=${2:?"--run needs a command"} ;;
	*) echo "usage: $0 [--root|--shell|--run CMD]" >&2; exit 2 ;;
esac

die() { echo "debian13.sh: $*" >&2; exit "${2:-1}"; }
[ "$(id -u)" = 0 ] || die "run as root (it makes a chroot)" 77

# The packages of the root: what setup.sh would install on trixie, so that
# setup.sh inside finds everything installed and needs no network.
packages() {
	"$TOP/scripts/setup.sh" --list-packages "$SUITE" test
}

mirror() {	# the host's Debian mirror, from its apt sources
	local m
	m=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list \
		/etc/apt/sources.list.d/ 2>/dev/null | grep -v security | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

make_root() {
	local want key root
	want=$(packages | sort -u | paste -sd, -)
	key=$(printf '%s\n%s\n' "$SUITE" "$want" | sha256sum | cut -c1-16)
	root=$CACHE/debian13-$key
	if [ -f "$root/.complete" ]; then
		echo "$root"
		return
	fi
	command -v mmdebstrap >/dev/null || {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >&2 \
			|| { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q mmdebstrap >&2; } \
			|| die "cannot install mmdebstrap" 77
	}
	mkdir -p "$CACHE"
	rm -rf "$root" "$CACHE"/debian13-*/
	echo "debian13.sh: making the Debian 13 root $root" >&2
	# Postfix without a generated main.cf, as setup.sh installs it.
	mmdebstrap --variant=apt --include="$want" \
		--essential-hook='echo "postfix postfix/main_mailer_type select No configuration" | chroot "$1" debconf-set-selections' \
		"$SUITE" "$root" "$(mirror)" >&2 \
		|| die "mmdebstrap failed"
	touch "$root/.complete"
	echo "$root"
}

# One root builder at a time; runs then share the root, each with its own
# copy of the tree.
mkdir -p "$CACHE"
exec 9>"$CACHE/.debian13.lock"
flock -w 900 9 || die "another run has been making the root for 15 minutes"
ROOT=$(make_root)
flock -u 9
[ "$MODE" = root ] && { echo "$ROOT"; exit 0; }

# A fresh copy of the tracked files (and untracked, not ignored ones) of
# this tree; build products stay on the host.
mkdir -p "$ROOT/src"
SRC=$(mktemp -d "$ROOT/src/tlspolicyd.XXXXXX")
# Reachable by the test world's unprivileged users (postfix, nobody), as a
# clone on the host is.
chmod 755 "$SRC"
SRC=${SRC#"$ROOT"}
trap 'rm -rf "${ROOT:?}$SRC"' EXIT
(cd "$TOP" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) \
	| tar -C "$ROOT$SRC" -xf -

inner=$(cat <<'EOF'
set -e
# ip netns exec remounts / as a slave: / must be a mount point in the chroot.
mount --bind "$ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
mkdir -p "$ROOT/run/netns"
cp /etc/hosts "$ROOT/etc/hosts"
EOF
)
if [ "$MODE" = shell ]; then
	exec unshare --mount --propagation private env ROOT="$ROOT" bash -c \
		"$inner; exec chroot \"\$ROOT\" /bin/bash -l"
fi
if [ "$MODE" = run ]; then
	unshare --mount --propagation private env ROOT="$ROOT" SRC="$SRC" RUN_CMD="$RUN_CMD" bash -c \
		"$inner; exec chroot \"\$ROOT\" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 bash -c 'cd \"\$0\" && eval \"\$1\"' \"\$SRC\" \"\$RUN_CMD\""
	exit $?
fi
echo "debian13.sh: running the test suite on $(cat "$ROOT/etc/debian_version") in $ROOT"
unshare --mount --propagation private env ROOT="$ROOT" SRC="$SRC" bash -c \
	"$inner; exec chroot \"\$ROOT\" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 CI=\"${CI:-}\" bash -c 'cd \"\$0\" && bash scripts/setup.sh --test' \"\$SRC\""
