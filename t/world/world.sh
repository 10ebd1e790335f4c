#!/bin/bash
# SPDX-License-Identifier: MIT
# tlspolicyd integration test world: a private network namespace with
# authoritative DNS (nsd, signed zone test. and children), a validating
# resolver (unbound), MTA-STS policy hosts (nginx) and remote MX Postfix
# instances.  See README.md in this directory.
#
# usage: world.sh up|down|status|env|exec CMD...
#        world.sh resolver stall|resume|down|up
#        world.sh flush-resolver
#        world.sh sts-set DOMAIN FILE|-      world.sh sts-rm DOMAIN
#        world.sh rr-set OWNER TYPE RDATA...  world.sh rr-del OWNER [TYPE]
#        world.sh txt-set OWNER "TEXT"        world.sh zones-reload
#        world.sh zones-reset | sts-reset | reset   back to the repo's data
# State: ${WORLD_DIR:-$PWD/world.run}
set -u
# shellcheck source=t/world/lib.sh
. "$(dirname "$0")/lib.sh"

POSTFIX_SH=$WORLD_SRC/postfix.sh
RUN=$WORLD_DIR/run
LOG=$WORLD_DIR/log
CACHE=$WORLD_DIR/cache
DNS=$WORLD_DIR/dns
WWW=$WORLD_DIR/www

# ------------------------------------------------------------------ PKI
# certificates are cached in $CACHE/pki; regenerated only if the name list
# (or kind) changed.

certtool_q() { certtool "$@" >/dev/null 2>&1; }

gen_ca() {
	local d=$CACHE/pki
	mkdir -p "$d"
	[ -s "$d/ca.pem" ] && [ -s "$d/ca.key" ] && return 0
	certtool_q --generate-privkey --key-type=ecdsa --no-text --outfile "$d/ca.key" || die "CA key"
	printf 'cn = "tlspolicyd test CA"\norganization = "tlspolicyd test world"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' >"$d/ca.tmpl"
	certtool_q --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" || die "CA cert"
	rm -f "$d"/*.names # leaves must be re-issued by the new CA
}

# gen_cert NAME NAMES(comma separated) [KIND: ca|expired|selfsigned]
# -> $CACHE/pki/NAME.key NAME.pem (leaf) NAME.chain (leaf + CA)
gen_cert() {
	local name=$1 names=$2 kind=${3:-ca} d=$CACHE/pki n first
	local id="$names $kind"
	[ -s "$d/$name.names" ] && [ "$(cat "$d/$name.names")" = "$id" ] && return 0
	first=${names%%,*}
	{
		printf 'cn = "%s"\n' "$first"
		for n in ${names//,/ }; do printf 'dns_name = "%s"\n' "$n"; done
		printf 'tls_www_server\nsigning_key\nencryption_key\n'
		printf 'serial = %s\n' "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
		if [ "$kind" = expired ]; then
			printf 'activation_date = "2020-01-01 00:00:00"\nexpiration_date = "2020-02-01 00:00:00"\n'
		else
			printf 'expiration_days = 3650\n'
		fi
	} >"$d/$name.tmpl"
	[ -s "$d/$name.key" ] || certtool_q --generate-privkey --key-type=ecdsa --no-text --outfile "$d/$name.key" || die "key $name"
	if [ "$kind" = selfsigned ]; then
		certtool_q --generate-self-signed --load-privkey "$d/$name.key" --template "$d/$name.tmpl" \
			--outfile "$d/$name.pem" || die "cert $name"
		cp "$d/$name.pem" "$d/$name.chain"
	else
		certtool_q --generate-certificate --load-privkey "$d/$name.key" --load-ca-certificate "$d/ca.pem" \
			--load-ca-privkey "$d/ca.key" --template "$d/$name.tmpl" --outfile "$d/$name.pem" || die "cert $name"
		cat "$d/$name.pem" "$d/ca.pem" >"$d/$name.chain"
	fi
	printf '%s\n' "$id" >"$d/$name.names"
}

spki_sha256() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
cert_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }

# list table rows without comments / blank lines
rows() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"; }

gen_pki() {
	local name addr names dom kind arg good=""
	gen_ca
	while read -r name addr names; do
		gen_cert "mx-$name" "$names"
	done < <(rows "$WORLD_SRC/mx.tsv")
	# generic certificate for sender/inbound instances: NAME.world.test
	gen_cert hosts "world.test,*.world.test"
	while read -r dom kind arg; do
		case $kind in
		ok | redirect | 404 | ctype | oversize | stall | tlsrpt) good="$good,mta-sts.$dom" ;;
		wrongname) gen_cert "sts-$dom" "mta-sts.wrong-name.test" ;;
		expired) gen_cert "sts-$dom" "mta-sts.$dom" expired ;;
		selfsigned) gen_cert "sts-$dom" "mta-sts.$dom" selfsigned ;;
		esac
	done < <(rows "$WORLD_SRC/https.tsv")
	gen_cert sts-good "${good#,}"
	gen_cert default "default.invalid"
	: "$arg"
}

# ------------------------------------------------------------------ DNS

# sed script replacing the @...@ placeholders of zones.conf
gen_subst() {
	local p=$CACHE/pki name addr names
	{
		echo "s/@IP:ns@/$WORLD_NS_ADDR/g"
		echo "s/@IP:resolver@/$WORLD_RESOLVER/g"
		echo "s/@IP:https@/$WORLD_HTTPS/g"
		echo "s/@IP:stall@/$WORLD_STALL/g"
		echo "s/@TLSA201:ca@/$(cert_sha256 "$p/ca.pem")/g"
		echo "s/@TLSA211:ca@/$(spki_sha256 "$p/ca.pem")/g"
		echo "s/@NOMATCH@/$(printf 'no such certificate' | sha256sum | cut -c1-64)/g"
		while read -r name addr names; do
			echo "s/@IP:$name@/$addr/g"
			echo "s/@TLSA311:$name@/$(spki_sha256 "$p/mx-$name.pem")/g"
			echo "s/@TLSA301:$name@/$(cert_sha256 "$p/mx-$name.pem")/g"
		done < <(rows "$WORLD_SRC/mx.tsv")
		: "$names"
	} >"$DNS/subst.sed"
}

# zone_key ZONE -> prints key base name (cached in $CACHE/keys/ZONE)
zone_key() {
	local z=$1 d=$CACHE/keys/$1 b
	mkdir -p "$d"
	b=$(cat "$d/base" 2>/dev/null)
	if [ -z "$b" ] || [ ! -s "$d/$b.private" ]; then
		b=$(cd "$d" && ldns-keygen -a ECDSAP256SHA256 -k "$z.") || die "ldns-keygen $z"
		echo "$b" >"$d/base"
	fi
	echo "$d/$b"
}

zone_header() {
	printf '$ORIGIN %s.\n$TTL 60\n' "$1"
	printf '@ IN SOA ns.test. hostmaster.test. %s 60 30 600 5\n' "$SERIAL"
	printf '@ IN NS ns.test.\n'
}

# sign_zone ZONE SIGNING: $DNS/ZONE.zone -> $DNS/ZONE.signed (and DS)
sign_zone() {
	local z=$1 how=$2 k
	case $how in
	unsigned) cp "$DNS/$z.zone" "$DNS/$z.signed"; return 0 ;;
	signed | bogus) k=$(zone_key "$z")
		ldns-signzone -o "$z." -f "$DNS/$z.signed" "$DNS/$z.zone" "$k" || die "sign $z" ;;
	nsec3) k=$(zone_key "$z")
		# RFC 9276: no extra iterations, no salt; opt-out on every NSEC3
		ldns-signzone -n -t 0 -p -o "$z." -f "$DNS/$z.signed" "$DNS/$z.zone" "$k" ||
			die "sign $z" ;;
	expired) k=$(zone_key "$z")
		ldns-signzone -i 20200101000000 -e 20200201000000 -o "$z." \
			-f "$DNS/$z.signed" "$DNS/$z.zone" "$k" || die "sign $z" ;;
	*) die "zone $z: unknown signing '$how'" ;;
	esac
	if [ "$how" = bogus ]; then
		# corrupt every signature (first base64 char of the last field)
		awk 'BEGIN{OFS="\t"} $4=="RRSIG" { s=$NF; c=substr(s,1,1); $NF=(c=="A"?"B":"A") substr(s,2) } {print}' \
			"$DNS/$z.signed" >"$DNS/$z.signed.tmp" && mv "$DNS/$z.signed.tmp" "$DNS/$z.signed"
	fi
	ldns-key2ds -n -2 "$k.key" >"$DNS/$z.ds" || die "DS $z"
}

# gen_zones: live zones.conf -> signed zone files + nsd.conf
gen_zones() {
	local z how
	mkdir -p "$DNS/src"
	rm -f "$DNS"/src/*.body "$DNS"/*.zone "$DNS"/*.signed "$DNS"/*.ds
	SERIAL=$(date +%s)
	gen_subst
	# split the stanzas
	awk -v dir="$DNS/src" '
		/^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
		$1 == "$ZONE" { z=$2; sub(/\.$/, "", z); print z, $3 > (dir "/list"); f=dir "/" z ".body"; printf "" > f; next }
		z != "" { print >> f }
	' "$WORLD_DIR/zones.conf"
	: >"$DNS/parent.extra"
	while read -r z how; do
		if [ "$z" = test ]; then cp "$DNS/src/$z.body" "$DNS/parent.extra"; continue; fi
		{ zone_header "$z"; sed -f "$DNS/subst.sed" "$DNS/src/$z.body"; } >"$DNS/$z.zone"
		if grep -q '@[A-Za-z0-9]*:[^@ ]*@' "$DNS/$z.zone"; then
			die "zone $z: unknown placeholder: $(grep -o '@[A-Za-z0-9]*:[^@ ]*@' "$DNS/$z.zone" | head -1)"
		fi
		sign_zone "$z" "$how"
		# a zone deeper down is delegated by its own parent's stanza
		case $z in *.*.test) continue ;; esac
		printf '%s IN NS ns.test.\n' "$z." >>"$DNS/parent.delegations"
		[ -s "$DNS/$z.ds" ] && cat "$DNS/$z.ds" >>"$DNS/parent.delegations"
	done <"$DNS/src/list"
	{
		zone_header test
		printf 'ns IN A %s\n' "$WORLD_NS_ADDR"
		cat "$DNS/parent.delegations"
		sed -f "$DNS/subst.sed" "$DNS/parent.extra"
	} >"$DNS/test.zone"
	rm -f "$DNS/parent.delegations"
	sign_zone test signed
	cp "$DNS/test.ds" "$WORLD_DIR/ta.ds"
	# nsd.conf
	{
		cat <<EOF
server:
	ip-address: $WORLD_NS_ADDR
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$DNS"
	database: ""
	zonelistfile: "$DNS/zone.list"
	xfrdfile: "$DNS/xfrd.state"
	xfrdir: "$DNS"
	pidfile: "$RUN/nsd.pid"
	logfile: "$LOG/nsd.log"
	# Debian's nsd limits responses to 200/s per source (RRL); the world's
	# only client is its resolver, and benchmarks ask far more than that.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	server-count: 1
	verbosity: 1
	hide-version: yes
	reuseport: no
remote-control:
	control-enable: no
zone:
	name: "test."
	zonefile: "test.signed"
EOF
		while read -r z how; do
			[ "$z" = test ] && continue
			printf 'zone:\n\tname: "%s."\n\tzonefile: "%s.signed"\n' "$z" "$z"
		done <"$DNS/src/list"
	} >"$DNS/nsd.conf"

}

start_nsd() {
	kill_pidfile "$RUN/nsd.pid"
	rm -f "$DNS/zone.list" "$DNS/xfrd.state"
	nsd-checkconf "$DNS/nsd.conf" || die "nsd.conf invalid"
	nsx nsd -c "$DNS/nsd.conf" </dev/null >>"$LOG/nsd.log" 2>&1 || die "nsd failed, see $LOG/nsd.log"
	wait_file "$RUN/nsd.pid" || die "nsd: no pid file"
	wait_tcp "$WORLD_NS_ADDR" 53 || die "nsd: not listening, see $LOG/nsd.log"
}

gen_unbound() {
	mkdir -p "$WORLD_DIR/unbound"
	cat >"$WORLD_DIR/unbound/unbound.conf" <<EOF
server:
	interface: $WORLD_RESOLVER
	port: 53
	do-ip4: yes
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$WORLD_DIR/unbound"
	pidfile: "$RUN/unbound.pid"
	logfile: "$LOG/unbound.log"
	use-syslog: no
	verbosity: 1
	val-log-level: 2
	num-threads: 1
	so-reuseport: no
	outgoing-range: 64
	do-not-query-localhost: no
	module-config: "validator iterator"
	trust-anchor-file: "$WORLD_DIR/ta.ds"
	trust-anchor-signaling: no
	root-key-sentinel: no
	local-zone: "test." nodefault
	cache-max-ttl: 1
	cache-max-negative-ttl: 1
	val-bogus-ttl: 1
	infra-host-ttl: 5
	prefetch: no
	serve-expired: no
	aggressive-nsec: no
	qname-minimisation: no
	minimal-responses: no
stub-zone:
	name: "test."
	stub-addr: $WORLD_NS_ADDR
stub-zone:
	name: "."
	stub-addr: $WORLD_NS_ADDR
remote-control:
	control-enable: yes
	control-interface: $WORLD_RESOLVER
	control-port: 8953
	control-use-cert: no
EOF
}

start_unbound() {
	kill_pidfile "$RUN/unbound.pid"
	nsx unbound -c "$WORLD_DIR/unbound/unbound.conf" </dev/null >>"$LOG/unbound.log" 2>&1 ||
		die "unbound failed, see $LOG/unbound.log"
	wait_file "$RUN/unbound.pid" || die "unbound: no pid file"
	wait_tcp "$WORLD_RESOLVER" 53 || die "unbound: not listening, see $LOG/unbound.log"
}

ub_ctl() { nsx unbound-control -c "$WORLD_DIR/unbound/unbound.conf" "$@"; }

flush_resolver() {
	if pid_alive "$RUN/unbound.pid"; then
		ub_ctl reload >/dev/null 2>&1 || start_unbound
	fi
}

# ------------------------------------------------------------------ HTTPS

# sts_file DOMAIN ARG -> path of the policy body in the repo
sts_src() {
	if [ "${2:--}" = - ]; then echo "$WORLD_SRC/sts/$1.txt"; else echo "$WORLD_SRC/sts/$2"; fi
}

# The locations of a TLSRPT report receiver (https.tsv kind tlsrpt): nginx
# reads a request body only for a module that needs it, so the POST is
# proxied to a local server that answers 201, and the body file is kept.
# It also listens on port 8444 (a rua=https://HOST:8444/... receiver); the
# log line ends with the port that got the request.
tlsrpt_receiver() {
	printf '\t\tlisten %s:8444 ssl;\n' "$WORLD_HTTPS"
	printf '\t\tlocation /tlsrpt {\n\t\t\tif (-f %s/tlsrpt-down$uri) { return 503; }\n' "$WORLD_DIR"
	printf '\t\t\tclient_body_in_file_only on;\n\t\t\tclient_body_temp_path %s/tlsrpt-in;\n' "$WORLD_DIR"
	printf '\t\t\tclient_max_body_size 2m;\n\t\t\taccess_log %s/tlsrpt-in.log tlsrpt;\n' "$LOG"
	printf '\t\t\tproxy_pass http://%s:8443/;\n\t\t}\n' "$WORLD_HTTPS"
	printf '\t\tlocation / { return 404; }\n'
	printf '\t}\n\tserver {\n\t\tlisten %s:8443;\n\t\tlocation / { return 201; }\n' "$WORLD_HTTPS"
}

gen_nginx() {
	local dom kind arg p=$CACHE/pki crt key f
	local conf=$WORLD_DIR/nginx/nginx.conf
	mkdir -p "$WORLD_DIR/nginx/tmp" "$WWW/empty" "$WORLD_DIR/tlsrpt-in" "$WORLD_DIR/tlsrpt-down"
	{
		cat <<EOF
user root;
worker_processes 1;
pid $RUN/nginx.pid;
error_log $LOG/nginx-error.log info;
events { worker_connections 256; }
http {
	log_format world '\$remote_addr [\$time_local] \$ssl_server_name "\$request" \$status \$body_bytes_sent "\$http_user_agent"';
	access_log $LOG/nginx-access.log world;
	log_format tlsrpt '\$request_method \$status "\$content_type" \$request_body_file \$server_port';
	client_body_temp_path $WORLD_DIR/nginx/tmp/body;
	proxy_temp_path $WORLD_DIR/nginx/tmp/proxy;
	types { text/plain txt; }
	default_type application/octet-stream;
	ssl_protocols TLSv1.2 TLSv1.3;
	server_tokens off;
	server {
		listen $WORLD_HTTPS:443 ssl default_server;
		server_name _;
		ssl_certificate $p/default.chain;
		ssl_certificate_key $p/default.key;
		root $WWW/empty;
	}
EOF
		while read -r dom kind arg; do
			[ "$kind" = stall-tcp ] && continue
			case $kind in
			wrongname | expired | selfsigned) crt=$p/sts-$dom.chain; key=$p/sts-$dom.key ;;
			*) crt=$p/sts-good.chain; key=$p/sts-good.key ;;
			esac
			printf '\tserver {\n\t\tlisten %s:443 ssl;\n\t\tserver_name mta-sts.%s;\n' "$WORLD_HTTPS" "$dom"
			printf '\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n' "$crt" "$key"
			mkdir -p "$WWW/$dom/.well-known"
			f=$WWW/$dom/.well-known/mta-sts.txt
			case $kind in
			ok | wrongname | goodcert | expired | selfsigned | ctype)
				cp "$(sts_src "$dom" "$arg")" "$f" || die "https.tsv: no policy file for $dom"
				printf '\t\troot %s;\n' "$WWW/$dom" ;;
			oversize)
				{ cat "$(sts_src "$dom" "$arg")"; i=0; while [ $i -lt 1100 ]; do
					printf 'x-padding-%04d: %s\n' $i 0123456789abcdef0123456789abcdef0123456789abcdef; i=$((i + 1)); done; } >"$f"
				printf '\t\troot %s;\n' "$WWW/$dom" ;;
			404) rm -f "$f"; printf '\t\troot %s;\n' "$WWW/$dom" ;;
			redirect)
				# A 301 whose body is a valid text/plain policy
				# (sts/DOMAIN.txt): only the status may refuse it.
				mkdir -p "$WWW/$dom/r"
				cp "$(sts_src "$dom" -)" "$WWW/$dom/r/mta-sts.txt" || die "https.tsv: no policy file for $dom"
				printf '\t\troot %s;\n' "$WWW/$dom"
				printf '\t\tlocation / { error_page 418 =301 /r/mta-sts.txt; return 418; }\n'
				printf '\t\tlocation /r/ { internal; add_header Location %s always; }\n' "$arg" ;;
			stall) printf '\t\tlocation / { proxy_pass http://%s:443; proxy_read_timeout 3600s; proxy_send_timeout 3600s; }\n' "$WORLD_STALL" ;;
			tlsrpt) tlsrpt_receiver ;;
			*) die "https.tsv: unknown kind '$kind' for $dom" ;;
			esac
			[ "$kind" = ctype ] && printf '\t\tlocation / { types { } default_type text/html; }\n'
			printf '\t}\n'
		done < <(rows "$WORLD_SRC/https.tsv")
		echo "}"
	} >"$conf"
}

start_nginx() {
	kill_pidfile "$RUN/nginx.pid"
	nsx nginx -q -p "$WORLD_DIR/nginx/" -e "$LOG/nginx-error.log" -c "$WORLD_DIR/nginx/nginx.conf" \
		</dev/null >>"$LOG/nginx-error.log" 2>&1 || die "nginx failed, see $LOG/nginx-error.log"
	wait_file "$RUN/nginx.pid" || die "nginx: no pid file"
	wait_tcp "$WORLD_HTTPS" 443 || die "nginx: not listening"
}

start_stall() {
	kill_pidfile "$RUN/stall.pid"
	# a simple command, not the nsx function: no bash subshell (holding the
	# lock fd) may linger in the background
	ip netns exec "$WORLD_NETNS" perl "$WORLD_SRC/stall.pl" "$WORLD_STALL" 443 "$RUN/stall.pid" \
		</dev/null >>"$LOG/stall.log" 2>&1 9>&- &
	wait_file "$RUN/stall.pid" || die "stall listener: no pid file"
	wait_tcp "$WORLD_STALL" 443 || die "stall listener not listening"
}

# ------------------------------------------------------------------ MX

start_mxs() {
	local name addr names pids="" pid rc=0
	while read -r name addr names; do
		TLS_KEY=$CACHE/pki/mx-$name.key TLS_CHAIN=$CACHE/pki/mx-$name.chain \
			"$POSTFIX_SH" start "mx-$name" mx "$addr" </dev/null >>"$LOG/postfix-start.log" 2>&1 9>&- &
		pids="$pids $!"
	done < <(rows "$WORLD_SRC/mx.tsv")
	for pid in $pids; do wait "$pid" || rc=1; done
	[ $rc = 0 ] || die "a remote MX failed to start, see $LOG/postfix-start.log"
	: "$names"
}

# ------------------------------------------------------------------ netns

make_netns() {
	local i
	ip netns add "$WORLD_NETNS" 2>/dev/null || skip "cannot create network namespace $WORLD_NETNS (ip netns add failed)"
	ip -n "$WORLD_NETNS" link set lo up || die "lo up"
	for i in $(seq 2 "$WORLD_ADDR_LAST"); do echo "address add 127.0.0.$i/8 dev lo"; done |
		ip -n "$WORLD_NETNS" -batch - || die "adding addresses"
	mkdir -p "/etc/netns/$WORLD_NETNS"
	printf 'nameserver %s\noptions trust-ad edns0 timeout:2 attempts:2\n' "$WORLD_RESOLVER" \
		>"/etc/netns/$WORLD_NETNS/resolv.conf"
	printf '127.0.0.1\tlocalhost\n' >"/etc/netns/$WORLD_NETNS/hosts"
}

write_env() {
	local name addr names
	{
		echo "WORLD_NETNS=$WORLD_NETNS"
		echo "WORLD_DIR=$WORLD_DIR"
		echo "WORLD_SRC=$WORLD_SRC"
		echo "WORLD_RESOLVER=$WORLD_RESOLVER"
		echo "WORLD_NS_ADDR=$WORLD_NS_ADDR"
		echo "WORLD_HTTPS=$WORLD_HTTPS"
		echo "WORLD_STALL=$WORLD_STALL"
		echo "WORLD_CA=$CACHE/pki/ca.pem"
		echo "WORLD_TA=$WORLD_DIR/ta.ds"
		echo "WORLD_RESOLV_CONF=/etc/netns/$WORLD_NETNS/resolv.conf"
		echo "WORLD_NGINX_LOG=$LOG/nginx-access.log"
		echo "WORLD_SH=$WORLD_SRC/world.sh"
		echo "WORLD_POSTFIX_SH=$WORLD_SRC/postfix.sh"
		echo "WORLD_SENDER_ADDR=127.0.0.30"
		echo "WORLD_INBOUND_ADDR=127.0.0.31"
		while read -r name addr names; do
			printf 'WORLD_MX_%s=%s\n' "$(echo "$name" | tr 'a-z-' 'A-Z_')" "$addr"
		done < <(rows "$WORLD_SRC/mx.tsv")
		: "$names"
		echo "export WORLD_NETNS WORLD_DIR WORLD_SRC WORLD_RESOLVER WORLD_CA WORLD_TA"
	} >"$WORLD_DIR/world.env.tmp" && mv "$WORLD_DIR/world.env.tmp" "$WORLD_DIR/world.env"
}

healthy() {
	local name addr names f
	[ -s "$WORLD_DIR/world.env" ] && netns_exists || return 1
	for f in nsd unbound nginx stall; do pid_alive "$RUN/$f.pid" || return 1; done
	while read -r name addr names; do
		pid_alive "$WORLD_DIR/pf/mx-$name/queue/pid/master.pid" || return 1
	done < <(rows "$WORLD_SRC/mx.tsv")
	: "$addr$names"
	nsx dig +time=1 +tries=1 @"$WORLD_RESOLVER" test. SOA +dnssec 2>/dev/null | grep -q 'flags:.* ad'
}

cmd_up() {
	local t0
	need_root
	command -v nsd >/dev/null && command -v unbound >/dev/null && command -v nginx >/dev/null &&
		command -v ldns-signzone >/dev/null && command -v certtool >/dev/null && command -v postfix >/dev/null ||
		skip "missing tools (see scripts/packages-test.txt)"
	mkdir -p "$WORLD_DIR" && chmod 755 "$WORLD_DIR"
	if healthy; then say "already up ($WORLD_NETNS, $WORLD_DIR)"; return 0; fi
	t0=$(date +%s%N)
	cmd_down >/dev/null 2>&1
	mkdir -p "$RUN" "$LOG" "$CACHE" "$DNS" "$WWW"
	make_netns
	cp "$WORLD_SRC/zones.conf" "$WORLD_DIR/zones.conf"
	gen_pki
	gen_zones
	gen_unbound
	gen_nginx
	start_nsd
	start_unbound
	start_stall
	start_nginx
	start_mxs
	write_env
	healthy || die "world came up but is not healthy (dig through the resolver failed)"
	t0=$((($(date +%s%N) - t0) / 1000000))
	say "up in $((t0 / 1000)).$(printf %03d $((t0 % 1000))) s ($WORLD_NETNS, $WORLD_DIR)"
}

cmd_down() {
	local d pid i
	need_root
	# Postfix instances (the world's and the ones tests started)
	for d in "$WORLD_DIR"/pf/*/; do
		[ -d "$d" ] || continue
		"$POSTFIX_SH" stop "$(basename "$d")" >/dev/null 2>&1 &
	done
	wait
	for d in nginx stall unbound nsd; do kill_pidfile "$RUN/$d.pid"; done
	# anything else still running inside our namespace (started by tests)
	if netns_exists; then
		for i in 1 2 3; do
			pid=$(ip netns pids "$WORLD_NETNS" 2>/dev/null)
			[ -z "$pid" ] && break
			# shellcheck disable=SC2086
			kill -CONT $pid 2>/dev/null
			# shellcheck disable=SC2086
			if [ $i -lt 3 ]; then kill -TERM $pid 2>/dev/null; else kill -KILL $pid 2>/dev/null; fi
			sleep 0.3
		done
		ip netns del "$WORLD_NETNS" 2>/dev/null
	fi
	rm -rf "/etc/netns/$WORLD_NETNS" "/run/$WORLD_NETNS.d"
	rm -f "$WORLD_DIR/world.env"
	netns_exists && { say "namespace $WORLD_NETNS still exists"; return 1; }
	return 0
}

cmd_status() {
	local f name rc=0
	echo "netns $WORLD_NETNS: $(netns_exists && echo present || echo absent)"
	echo "dir   $WORLD_DIR"
	for f in nsd unbound nginx stall; do
		if pid_alive "$RUN/$f.pid"; then echo "$f: running (pid $(cat "$RUN/$f.pid"))"; else echo "$f: not running"; rc=1; fi
	done
	for f in "$WORLD_DIR"/pf/*/; do
		[ -d "$f" ] || continue
		name=$(basename "$f")
		if pid_alive "$f/queue/pid/master.pid"; then
			echo "postfix $name: running on $(cat "$f/addr" 2>/dev/null) (pid $(tr -dc 0-9 <"$f/queue/pid/master.pid"))"
		else echo "postfix $name: not running"; fi
	done
	healthy && echo "healthy" || { echo "not healthy"; rc=1; }
	return $rc
}

# ---------------------------------------------------------------- runtime changes

zones_reload() {
	gen_zones
	start_nsd
	flush_resolver
}

# zone_of FQDN -> longest zone from the live zones.conf containing it
zone_of() {
	local n=${1%.} best="" z how
	while read -r z how; do
		case $n in "$z" | *".$z") [ ${#z} -gt ${#best} ] && best=$z ;; esac
	done < <(awk '$1=="$ZONE"{print $2, $3}' "$WORLD_DIR/zones.conf")
	: "$how"
	[ -n "$best" ] || die "no zone in zones.conf contains $1"
	echo "$best"
}

# rr_edit OWNER TYPE [RDATA]: remove OWNER TYPE records in its stanza, then
# add "OWNER TYPE RDATA" if RDATA is given.
rr_edit() {
	local owner=${1%.} type=$2 rdata=${3-} z rel
	z=$(zone_of "$owner")
	if [ "$owner" = "$z" ]; then rel=@; else rel=${owner%."$z"}; fi
	Z=$z REL=$rel TYPE=$type ADD=$rdata awk '
		BEGIN { z=ENVIRON["Z"]; rel=ENVIRON["REL"]; type=ENVIRON["TYPE"]; add=ENVIRON["ADD"] }
		function flush() { if (inz && add != "") print rel, type, add; inz=0 }
		$1 == "$ZONE" { flush(); inz=($2==z || $2==z"."); print; next }
		inz && $1 == rel && (type == "" || toupper($2) == toupper(type)) { next }
		{ print }
		END { flush() }
	' "$WORLD_DIR/zones.conf" >"$WORLD_DIR/zones.conf.tmp" && mv "$WORLD_DIR/zones.conf.tmp" "$WORLD_DIR/zones.conf"
}

cmd_sts_set() {
	local dom=$1 src=${2:--} f
	f=$WWW/$dom/.well-known/mta-sts.txt
	[ -d "$WWW/$dom" ] || die "no policy host for $dom (see https.tsv)"
	mkdir -p "$WWW/$dom/.well-known"
	if [ "$src" = - ]; then cat >"$f.tmp"; else cp "$src" "$f.tmp"; fi && mv "$f.tmp" "$f"
}

main() {
	local c=${1:-}
	[ $# -gt 0 ] && shift
	case $c in
	up | down | rr-set | rr-del | txt-set | zones-* | reset | resolver | flush-resolver)
		# one changer at a time per world (bounded wait)
		mkdir -p "$WORLD_DIR" 2>/dev/null && exec 9>"$WORLD_DIR/.lock" && flock -w 120 9 ||
			say "warning: could not lock $WORLD_DIR/.lock" ;;
	esac
	case $c in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	env) [ -s "$WORLD_DIR/world.env" ] || die "world is not up ($WORLD_DIR)"; cat "$WORLD_DIR/world.env" ;;
	exec) [ $# -gt 0 ] || die "exec: no command"; netns_exists || die "world is not up"; exec ip netns exec "$WORLD_NETNS" "$@" ;;
	resolver)
		case ${1:-} in
		stall) kill -STOP "$(cat "$RUN/unbound.pid")" ;;
		resume) kill -CONT "$(cat "$RUN/unbound.pid")" ;;
		down) kill_pidfile "$RUN/unbound.pid" ;;
		up) pid_alive "$RUN/unbound.pid" || start_unbound ;;
		*) die "usage: world.sh resolver stall|resume|down|up" ;;
		esac ;;
	flush-resolver) flush_resolver ;;
	sts-set) [ $# -ge 1 ] || die "usage: sts-set DOMAIN FILE|-"; cmd_sts_set "$@" ;;
	sts-rm) [ $# -ge 1 ] || die "usage: sts-rm DOMAIN"; rm -f "$WWW/$1/.well-known/mta-sts.txt" ;;
	rr-set) [ $# -ge 3 ] || die "usage: rr-set OWNER TYPE RDATA..."; o=$1 t=$2; shift 2; rr_edit "$o" "$t" "$*"; zones_reload ;;
	rr-del) [ $# -ge 1 ] || die "usage: rr-del OWNER [TYPE]"; rr_edit "$1" "${2:-}" ""; zones_reload ;;
	txt-set) [ $# -ge 2 ] || die "usage: txt-set OWNER TEXT"; rr_edit "$1" TXT "\"${2//\"/\\\"}\""; zones_reload ;;
	zones-reload) zones_reload ;;
	zones-reset) cp "$WORLD_SRC/zones.conf" "$WORLD_DIR/zones.conf" && zones_reload ;;
	sts-reset) gen_nginx ;;
	reset) cp "$WORLD_SRC/zones.conf" "$WORLD_DIR/zones.conf" && zones_reload && gen_nginx ;;
	*) sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'; [ -n "$c" ] && exit 2 ;;
	esac
}

main "$@"
