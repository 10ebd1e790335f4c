#!/bin/bash
# SPDX-License-Identifier: MIT
# tlspolicyd set-up for a fresh Debian 12 or 13 machine, run as root from a
# clone.
#
#   scripts/setup.sh          install packages, build, start tlspolicyd in the
#                             foreground on a working local configuration
#   scripts/setup.sh --test   install packages, build, run the whole test suite
#   scripts/setup.sh --list-packages CODENAME run|test
#                             print the packages it would install on that
#                             Debian release (scripts/debian13.sh uses it)
#
# Idempotent: running it again reuses what is there.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
MODE=run
case "${1:-}" in
	"") ;;
	--test) MODE=test ;;
	--list-packages) MODE=list ;;
	*) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

# The package lists: one package a line; "NAME [CODENAME ...]" limits a line
# to those Debian releases (the lists differ where Debian renamed a package).
packages() {	# CODENAME FILE...: the packages for that release
	local codename=$1
	shift
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$@" | while read -r name rel; do
		rel=${rel#[}
		rel=${rel%]}
		if [ -z "$rel" ] || [[ " $rel " == *" $codename "* ]]; then
			echo "$name"
		fi
	done
}

package_files() {	# MODE: the lists that mode needs
	echo "$TOP/scripts/packages-build.txt"
	[ "$1" = test ] && echo "$TOP/scripts/packages-test.txt"
	return 0
}

if [ "$MODE" = list ]; then
	[ $# = 3 ] || { echo "usage: $0 --list-packages CODENAME run|test" >&2; exit 2; }
	# shellcheck disable=SC2046
	packages "$2" $(package_files "$3")
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup.sh: run as root (it installs Debian packages)" >&2
	exit 2
fi

install_packages() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	# shellcheck disable=SC2207
	local want=($(packages "$codename" $(package_files "$MODE")))
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
			|| missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		# Postfix without a generated main.cf: tlspolicyd never edits it.
		echo "postfix postfix/main_mailer_type select No configuration" \
			| debconf-set-selections
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

# The service user, and the MTA-STS fetcher's own user (sts_fetcher_user).
create_user() {
	local u
	for u in tlspolicyd tlspolicyd-fetch; do
		if ! getent passwd "$u" >/dev/null; then
			adduser --system --group --no-create-home --home /nonexistent \
				--quiet "$u"
		fi
	done
}

build() {
	cd "$TOP"
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		autoreconf -fi
	fi
	local hooks=
	# The test suite needs a test build (clock_control): reconfigure a
	# tree configured without it.
	[ "$MODE" = test ] && hooks=--enable-test-hooks
	if [ ! -f Makefile ] || { [ -n "$hooks" ] \
	    && ! grep -q '^#define ENABLE_TEST_HOOKS' config.h 2>/dev/null; }; then
		./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
			--libexecdir=/usr/lib/tlspolicyd $hooks
	fi
	make -j"$(njobs)"
}

# Parallel jobs: one per core, at most 4 (the world tests share one
# network namespace and are run one after another anyway).
njobs() { local n; n=$(nproc); [ "$n" -le 4 ] || n=4; echo "$n"; }

run_tests() {
	cd "$TOP"
	local rc=0
	make -j"$(njobs)" check || rc=$?
	# The Debian package: build, lintian, install, run, purge (needs the
	# built tree only for its tracked files).  Its log and result sit with
	# make check's, so the summary counts it.
	local res=PASS
	bash "$TOP/scripts/pkgtest.sh" > "$TOP/t/pkgtest.log" 2>&1 || res=FAIL
	printf ':test-result: %s\n' "$res" > "$TOP/t/pkgtest.trs"
	echo "$res: scripts/pkgtest.sh"
	[ "$res" = PASS ] || { tail -n 40 "$TOP/t/pkgtest.log"; rc=1; }
	"$TOP/scripts/test-summary.sh" "$TOP/t" || rc=1
	return $rc
}

# The quick start's files: run/ in the clone.  TLSPOLICYD_RUN_DIR and
# TLSPOLICYD_BUILD_DIR move them (the test suite uses them; the build tree
# differs from the source tree in "make distcheck").
RUN_DIR=${TLSPOLICYD_RUN_DIR:-$TOP/run}
BUILD_DIR=${TLSPOLICYD_BUILD_DIR:-$TOP}

# Write the quick start's configuration and say how to use it.
quickstart_config() {
	local dir=$RUN_DIR
	mkdir -p "$dir"
	chmod 755 "$dir"
	if [ ! -f "$dir/overrides" ]; then
		cat > "$dir/overrides" <<'OVR'
# tlspolicyd overrides: "DESTINATION POLICY", Postfix map-source syntax.
# Edit, then reload with: kill -HUP $(pidof tlspolicyd)
#example.com            encrypt protocols=>=TLSv1.2
#.example.org           secure match=.example.org
#[relay.example.net]:587 verify
OVR
	fi
	cat > "$dir/tlspolicyd.conf" <<CONF
# Written by scripts/setup.sh for a local run.
# The socket lives in Postfix's queue directory so that chrooted smtp(8)
# processes and postmap(1) from a shell both reach it by the same path.
socketmap_listen = unix:/var/spool/postfix/tlspolicyd/socketmap
control_listen = unix:$dir/control
overrides_file = $dir/overrides
state_directory = $dir/state
# Run from the clone: the fetcher is not installed in libexec.
sts_fetcher = $BUILD_DIR/stsfetch/stsfetch
log_level = info
CONF
	cat <<MSG

tlspolicyd is starting in the foreground (Ctrl-C stops it).
Configuration: $dir/tlspolicyd.conf    Overrides: $dir/overrides

Add this line to /etc/postfix/main.cf, then run "postfix reload":

    smtp_tls_policy_maps = socketmap:unix:/var/spool/postfix/tlspolicyd/socketmap:tlspolicy

Try it:  $BUILD_DIR/tlsmap/tlsmap -c $dir/tlspolicyd.conf add example.com encrypt
         postmap -q example.com socketmap:unix:/var/spool/postfix/tlspolicyd/socketmap:tlspolicy
         $BUILD_DIR/tlsmap/tlsmap -c $dir/tlspolicyd.conf status

MSG
}

run_daemon() {
	quickstart_config
	exec "$BUILD_DIR/policyd/tlspolicyd" -f -c "$RUN_DIR/tlspolicyd.conf"
}

# Testing the quick start (t/integration/t-quickstart.sh): only write its
# configuration and print the message; no packages, build or daemon.
if [ "${TLSPOLICYD_QUICKSTART_DRY:-}" = 1 ]; then
	quickstart_config
	exit 0
fi

install_packages
create_user
build
if [ "$MODE" = test ]; then
	run_tests
else
	run_daemon
fi
