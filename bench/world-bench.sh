# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Benchmark additions to a running test world (sourced by bench/run.sh
# after `world.sh up`; needs WORLD_DIR, WORLD_SH and world.env loaded).
# Nothing in t/world/ changes: the additions go into the world's live
# copies ($WORLD_DIR/zones.conf, nginx.conf, www/) and are gone with the
# world.
#
#   bulk_world N     N MTA-STS domains d0000.bulk.test ... (unsigned zone
#                    bulk.test): for each an MX, its own _mta-sts TXT
#                    record (own id) and mta-sts A record, and its own
#                    policy file served by the world's nginx under its own
#                    name mta-sts.dNNNN.bulk.test.  Certificates: one per
#                    100 domains, each with those 100 names (certtool's
#                    limit is 128 names a certificate), signed by the
#                    world's CA.  Writes the domains to $1.keys.
#   bench_resolver_start ADDR / bench_resolver_pid
#                    a second unbound in the world, like the world's but
#                    keeping answers an hour (cache-min-ttl 3600): the
#                    world's resolver caps TTLs at 1 s for its tests, which
#                    would turn every "cache hit" into a TXT re-check.
#
# Why one unsigned zone: 1,000 signed child zones take a key, a signature
# and a DS each at every zones-reload (minutes); MTA-STS does not need
# DNSSEC, and an insecure MX ends the DANE step at the MX lookup, as for
# most real MTA-STS domains.  Each domain still costs its own MX and TXT
# lookup, its own TLS handshake (SNI mta-sts.dNNNN.bulk.test) and its own
# HTTP GET: nothing is shared but the servers.

# bulk_world N KEYFILE
bulk_world() {
	local n=$1 keys=$2 pki=$WORLD_DIR/cache/pki d g i names
	local www=$WORLD_DIR/www/bulk conf=$WORLD_DIR/nginx/nginx.conf
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "d%04d.bulk.test\n", i }' > "$keys"
	# DNS: one stanza in the live zones.conf.
	{
		printf '\n$ZONE bulk.test unsigned\nmx A @IP:sts@\n'
		awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) {
			printf "d%04d MX 10 mx\n", i
			printf "_mta-sts.d%04d TXT \"v=STSv1; id=b%04d;\"\n", i, i
			printf "mta-sts.d%04d A @IP:https@\n", i } }'
	} >> "$WORLD_DIR/zones.conf"
	"$WORLD_SH" zones-reload >/dev/null 2>&1 || return 1
	# Policies: one file per domain.
	for ((i = 0; i < n; i++)); do
		d=$(printf 'd%04d.bulk.test' "$i")
		mkdir -p "$www/$d/.well-known"
		printf 'version: STSv1\nmode: enforce\nmx: mx.bulk.test\nmax_age: 86400\n' \
			> "$www/$d/.well-known/mta-sts.txt"
	done
	# Certificates and server blocks, 100 names each.
	: > "$WORLD_DIR/nginx/bulk.conf"
	for ((g = 0; g * 100 < n; g++)); do
		names=
		for ((i = g * 100; i < n && i < g * 100 + 100; i++)); do
			names="$names$(printf 'dns_name = "mta-sts.d%04d.bulk.test"' "$i")"$'\n'
		done
		printf 'cn = "mta-sts.d%02d00.bulk.test"\n%stls_www_server\nsigning_key\nencryption_key\nexpiration_days = 30\nserial = %d\n' \
			"$g" "$names" "$((1000 + g))" > "$pki/bulk$g.tmpl"
		certtool --generate-privkey --key-type=ecdsa --no-text --outfile "$pki/bulk$g.key" >/dev/null 2>&1 &&
		certtool --generate-certificate --load-privkey "$pki/bulk$g.key" \
			--load-ca-certificate "$pki/ca.pem" --load-ca-privkey "$pki/ca.key" \
			--template "$pki/bulk$g.tmpl" --outfile "$pki/bulk$g.pem" >/dev/null 2>&1 || return 1
		cat "$pki/bulk$g.pem" "$pki/ca.pem" > "$pki/bulk$g.chain"
		printf '\tserver {\n\t\tlisten %s:443 ssl;\n' "$WORLD_HTTPS"
		printf '\t\tserver_name "~^mta-sts\\.(?<bulkdom>d%02d[0-9][0-9]\\.bulk\\.test)$";\n' "$g"
		printf '\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n' "$pki/bulk$g.chain" "$pki/bulk$g.key"
		printf '\t\troot %s/$bulkdom;\n\t}\n' "$www"
	done >> "$WORLD_DIR/nginx/bulk.conf"
	# Include it in the world's nginx.conf (before the closing brace of
	# http) and reload nginx.
	grep -q 'bulk.conf' "$conf" ||
		sed -i '$ s|^}$|\tinclude '"$WORLD_DIR"'/nginx/bulk.conf;\n}|' "$conf"
	"$WORLD_SH" exec nginx -t -q -p "$WORLD_DIR/nginx/" -c "$conf" 2>/dev/null || return 1
	kill -HUP "$(cat "$WORLD_DIR/run/nginx.pid")" || return 1
	# Ready when the last domain's policy is served (bounded wait).
	d=$(tail -1 "$keys")
	for ((i = 0; i < 50; i++)); do
		"$WORLD_SH" exec curl -sf --max-time 2 --cacert "$WORLD_CA" \
			"https://mta-sts.$d/.well-known/mta-sts.txt" 2>/dev/null | grep -q '^mode: enforce' &&
			return 0
		sleep 0.1
	done
	return 1
}

BENCH_RESOLVER_PIDFILE=
# bench_resolver_start ADDR
bench_resolver_start() {
	local addr=$1 dir=$WORLD_DIR/bench-unbound
	mkdir -p "$dir"
	BENCH_RESOLVER_PIDFILE=$dir/unbound.pid
	sed -e "s/^\([[:space:]]*interface:\).*/\1 $addr/" \
		-e "s/^\([[:space:]]*control-interface:\).*/\1 $addr/" \
		-e "s|^\([[:space:]]*pidfile:\).*|\1 \"$dir/unbound.pid\"|" \
		-e "s|^\([[:space:]]*logfile:\).*|\1 \"$dir/unbound.log\"|" \
		-e "s/^\([[:space:]]*cache-max-ttl:\).*/\1 86400\n\tcache-min-ttl: 3600/" \
		-e "s/^\([[:space:]]*cache-max-negative-ttl:\).*/\1 3600/" \
		"$WORLD_DIR/unbound/unbound.conf" > "$dir/unbound.conf"
	grep -q "cache-min-ttl: 3600" "$dir/unbound.conf" || return 1
	"$WORLD_SH" exec unbound -c "$dir/unbound.conf" </dev/null >>"$dir/unbound.log" 2>&1 || return 1
	for _ in $(seq 50); do
		"$WORLD_SH" exec dig +time=1 +tries=1 @"$addr" test. SOA +dnssec 2>/dev/null |
			grep -q 'flags:.* ad' && return 0
		sleep 0.1
	done
	return 1
}

bench_resolver_pid() { cat "$BENCH_RESOLVER_PIDFILE" 2>/dev/null; }
