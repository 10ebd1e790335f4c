#!/bin/bash
# SPDX-License-Identifier: MIT
# bash completion for tlsmap (scripts/completion/tlsmap): commands, options
# and their arguments.
. "$(dirname "$0")/../lib.sh"
t_init completion
# shellcheck disable=SC1091
. "$TOP_SRCDIR/scripts/completion/tlsmap"

complete_words() {	# the words typed so far, the last one being completed
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_tlsmap
	echo "${COMPREPLY[*]}"
}
t_eq "commands" "add reload flush refresh status probe explain doctor tlsa report" "$(complete_words tlsmap '')"
t_eq "command prefix" "reload refresh report" "$(complete_words tlsmap re)"
t_eq "after -c FILE" "status" "$(complete_words tlsmap -c /etc/x.conf st)"
t_eq "options" "-c -m -q -s -d --version" "$(complete_words tlsmap -)"
t_eq "map names" "tlspolicy tlspolicy-tlsrpt" "$(complete_words tlsmap -m '')"
t_eq "status --json" "--json" "$(complete_words tlsmap status --)"
t_eq "flush all" "all" "$(complete_words tlsmap flush a)"
t_eq "doctor options" "-C -n" "$(complete_words tlsmap doctor -)"
t_eq "nothing after -q" "" "$(complete_words tlsmap -q '')"
t_eq "tlsa command" "tlsa" "$(complete_words tlsmap tl)"
t_eq "tlsa options" "-C -n --next --check" "$(complete_words tlsmap tlsa -)"
t_eq "tlsa long options" "--next --check" "$(complete_words tlsmap tlsa -C /etc/postfix --)"
mkdir -p "$T/certs" && : > "$T/certs/next.pem"
t_eq "tlsa --next takes a file" "$T/certs/next.pem" "$(complete_words tlsmap tlsa --next "$T/certs/n")"
t_eq "tlsa: options after --next FILE" "--check" "$(complete_words tlsmap tlsa --next x.pem --ch)"
t_eq "report options" "--day --json" "$(complete_words tlsmap report example.com --)"
t_eq "nothing after report --day" "" "$(complete_words tlsmap report --day '')"
t_done
