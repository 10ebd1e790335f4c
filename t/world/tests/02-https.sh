#!/bin/bash
# SPDX-License-Identifier: MIT
# MTA-STS policy hosts: good fetch with the test CA, and every bad case.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
W=$WORLD_SRC/world.sh
command -v curl >/dev/null || skip_test "curl not installed"
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# fetch DOMAIN -> "rc code content-type size"
fetch() {
	local out rc
	out=$(wx curl -s -o "$BODY" --max-time "${2:-3}" --cacert "$WORLD_CA" \
		-w '%{http_code} %{content_type} %{size_download}' "https://mta-sts.$1/.well-known/mta-sts.txt")
	rc=$?
	echo "$rc $out"
}
expect() { # expect DOMAIN PATTERN DESCRIPTION
	local got
	got=$(fetch "$1")
	# shellcheck disable=SC2254
	case $got in $2) pass "$3 ($1: $got)" ;; *) fail "$3 ($1: got '$got', want '$2')" ;; esac
}

off=$(fsize "$WORLD_NGINX_LOG")
expect sts-enforce.test "0 200 text/plain *" "good policy host"
grep -q '^mode: enforce' "$BODY" && pass "policy body served" || fail "policy body served"
# nginx logs a request once it has answered it: wait for the line
log_wait "$WORLD_NGINX_LOG" "$off" 'mta-sts.sts-enforce.test "GET /.well-known/mta-sts.txt' 5 &&
	pass "fetch visible in nginx access log" || fail "fetch visible in nginx access log"
expect sts-wildcard.test "0 200 text/plain *" "second good host (SNI)"
expect sts-crlf.test "0 200 text/plain *" "CRLF policy host"
grep -q $'\r$' "$BODY" && pass "CRLF body kept" || fail "CRLF body kept"
expect sts-wrongname.test "60 000*" "certificate for wrong name rejected"
expect sts-sharedcert.test "60 000*" "another host's valid certificate rejected"
expect sts-expired.test "60 000*" "expired certificate rejected"
expect sts-selfsigned.test "60 000*" "self-signed certificate rejected"
# the bad certificates are otherwise fine: insecure fetch works
out=$(wx curl -sk --max-time 3 -o /dev/null -w '%{http_code}' https://mta-sts.sts-expired.test/.well-known/mta-sts.txt)
[ "$out" = 200 ] && pass "expired host serves a policy (-k)" || fail "expired host serves a policy (-k): $out"
expect sts-redirect.test "0 301 text/plain *" "redirect is a 301 with a text/plain body"
grep -q '^mode: enforce' "$BODY" && pass "redirect body is a policy" || fail "redirect body is a policy"
wx curl -s -o /dev/null --max-time 3 --cacert "$WORLD_CA" -D - https://mta-sts.sts-redirect.test/.well-known/mta-sts.txt |
	grep -qi '^location: https://mta-sts.sts-enforce.test/' && pass "redirect Location" || fail "redirect Location"
expect sts-404.test "0 404 *" "missing policy is 404"
expect sts-ctype.test "0 200 text/html *" "wrong content type text/html"
got=$(fetch sts-oversize.test)
size=${got##* }
[ "${got%% *}" = 0 ] && [ "$size" -gt 65536 ] && pass "oversized body ($size bytes)" || fail "oversized body ($got)"
# curl's exit 28: its --max-time ended the wait (no wall-clock check here:
# timing goals belong in the benchmark)
expect sts-stall.test "28 000*" "stalling HTTPS server times out"
expect sts-stall-tcp.test "28 000*" "stalling TCP server times out"
# gnutls-cli agrees on the certificate checks
if ! command -v gnutls-cli >/dev/null; then
	skip_check "gnutls-cli checks: gnutls-cli not installed (package gnutls-bin)"
else
	wx gnutls-cli --x509cafile "$WORLD_CA" --port 443 mta-sts.sts-enforce.test </dev/null >/dev/null 2>&1 &&
		pass "gnutls-cli verifies good host" || fail "gnutls-cli verifies good host"
	wx gnutls-cli --x509cafile "$WORLD_CA" --port 443 mta-sts.sts-wrongname.test </dev/null >/dev/null 2>&1 &&
		fail "gnutls-cli rejects wrong name" || pass "gnutls-cli rejects wrong name"
fi

# run-time policy change
printf 'version: STSv1\nmode: testing\nmx: changed.sts-enforce.test\nmax_age: 600\n' >"$BODY.new"
"$W" sts-set sts-enforce.test "$BODY.new"
rm -f "$BODY.new"
fetch sts-enforce.test >/dev/null
grep -q 'changed.sts-enforce.test' "$BODY" && pass "sts-set changes the served policy" || fail "sts-set changes the served policy"
"$W" sts-rm sts-enforce.test
expect sts-enforce.test "0 404 *" "sts-rm gives 404"
"$W" sts-reset
fetch sts-enforce.test >/dev/null
grep -q '^mx: mx.sts-enforce.test' "$BODY" && pass "sts-reset restores policy" || fail "sts-reset restores policy"
done_testing
