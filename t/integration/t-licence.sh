#!/bin/bash
# SPDX-License-Identifier: MIT
# The licence: LICENSE is the MIT (Expat) text, debian/copyright says so in
# DEP-5 form, and every source file names it in an SPDX line near its top.
. "$(dirname "$0")/../lib.sh"
t_init licence

t_check "LICENSE is the MIT licence" grep -q '^MIT License$' "$TOP_SRCDIR/LICENSE"
t_check "debian/copyright: Files: * under Expat" \
	grep -q '^License: Expat$' "$TOP_SRCDIR/debian/copyright"
missing=$(cd "$TOP_SRCDIR" && find lib libnet policyd stsfetch tlsmap t bench fuzz scripts \
	\( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' -o -name '*.pl' -o -name Makefile.am \) \
	-not -path 't/world.run/*' -not -path '*/fuzz-corpus/*' -type f 2>/dev/null |
	while read -r f; do head -n 5 "$f" | grep -q 'SPDX-License-Identifier: MIT' || echo "$f"; done)
t_eq "every source file has its SPDX line" "" "$missing"
t_done
