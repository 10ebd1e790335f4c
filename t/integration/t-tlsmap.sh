#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap edits, checks and control commands against a running daemon.
. "$(dirname "$0")/../lib.sh"
t_init tlsmap
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"

SOCK=$T/run/socketmap
MAP=socketmap:unix:$SOCK:tlspolicy
cat > "$T/overrides" <<'OVR'
# Partners: keep this comment.
example.com   encrypt
.example.org  secure
    match=.example.org
OVR
t_conf_base "$SOCK" > "$T/tlspolicyd.conf"
t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }
tm() { "$TLSMAP" -c "$T/tlspolicyd.conf" "$@"; }
q() { postmap -c "$T/postfix" -q "$1" "$MAP"; }

out=$(tm add new.example encrypt 'protocols=>=TLSv1.2'); rc=$?
t_eq "add with the value as several words" "0:reloaded: 3 overrides" "$rc:$out"
t_eq "daemon answers the added key" "encrypt protocols=>=TLSv1.2" "$(q new.example)"
tm add Other.Example. 'secure match=.other.example' >/dev/null; rc=$?
t_eq "add with the value as one argument, key normalised" "0:secure match=.other.example" "$rc:$(q other.example)"
tm add example.com dane-only >/dev/null
t_eq "add replaces an existing entry" "dane-only" "$(q example.com)"
t_contains "comments are kept" "$T/overrides" '^# Partners: keep this comment\.$'
t_eq "replaced entry is not duplicated" 1 "$(grep -c '^example.com ' "$T/overrides")"
t_eq "-s prints the table" "example.com	dane-only
.example.org	secure match=.example.org
new.example	encrypt protocols=>=TLSv1.2
other.example	secure match=.other.example" "$(tm -s)"

cp "$T/overrides" "$T/before"
out=$(tm add bad.example optional 2>&1); rc=$?
t_eq "bad value is refused with exit 2" "2" "$rc"
t_contains "bad value: the reason is given" <(echo "$out") 'bad policy "optional" for bad.example: unknown security level'
t_check "bad edit leaves the file untouched" cmp -s "$T/before" "$T/overrides"
out=$(tm add 'bad..key' encrypt 2>&1); rc=$?
t_eq "bad key is refused with exit 2" "2" "$rc"
t_check "bad key leaves the file untouched" cmp -s "$T/before" "$T/overrides"
q bad.example >/dev/null; rc=$?
t_eq "live table untouched by a bad edit" 1 "$rc"

tm -d new.example >/dev/null; rc=$?
t_eq "-d deletes" 0 "$rc"
q new.example >/dev/null; rc=$?
t_eq "deleted key is gone from the daemon" 1 "$rc"
tm -d .example.org >/dev/null; rc=$?
t_eq "-d deletes an entry with a continuation line" "0:0" "$rc:$(grep -c 'match=.example.org' "$T/overrides")"
tm -d nothing.example >/dev/null 2>&1; rc=$?
t_eq "-d of a missing key exits 1" 1 "$rc"

# Concurrent writers: 20 at once, every edit must survive.
pids=()
for i in $(seq 20); do
	tm add "c$i.example" encrypt >/dev/null 2>"$T/c$i.err" &
	pids+=($!)
done
okc=0
for p in "${pids[@]}"; do wait "$p" && okc=$((okc + 1)); done
t_eq "20 concurrent edits all succeed" 20 "$okc"
t_eq "20 concurrent edits all in the table" 20 "$(grep -c '^c[0-9]*\.example encrypt$' "$T/overrides")"
t_eq "after concurrent edits the daemon answers each" "encrypt" "$(q c17.example)"
t_check "no temporary files left" test -z "$(ls "$T" | grep '\.tmp\.')"

# Links planted next to the table are never followed: the temporary file
# at its old predictable name (TABLE.tmp.PID; the subshell execs tlsmap,
# so $BASHPID is tlsmap's pid), and the lock file.
printf 'not a table\n' > "$T/victim"
chmod 600 "$T/victim"
victim() { stat -c '%s:%a:%h' "$T/victim"; md5sum < "$T/victim"; }
want=$(victim)
(ln -s "$T/victim" "$T/overrides.tmp.$BASHPID"
 exec "$TLSMAP" -c "$T/tlspolicyd.conf" add planted.example encrypt) >/dev/null 2>&1
t_eq "edit with a link at the old temporary name succeeds" 0 "$?"
t_eq "the link at the old temporary name is not written through" "$want" "$(victim)"
t_check "the table is still a regular file" test -f "$T/overrides" -a ! -L "$T/overrides"
t_eq "the edit is in the table" 1 "$(grep -c '^planted\.example encrypt$' "$T/overrides")"
rm -f "$T"/overrides.tmp.*
rm -f "$T/overrides.lock"
ln -s "$T/lock-target" "$T/overrides.lock"
tm add locked.example encrypt >/dev/null 2>"$T/lock.err"; rc=$?
t_eq "a symbolic link as the lock file: the edit is refused" 2 "$rc"
t_contains "... saying why" "$T/lock.err" 'overrides\.lock: is a symbolic link, not followed'
t_check "... and nothing is created through it" test ! -e "$T/lock-target"
rm -f "$T/overrides.lock"
t_eq "edits work again once the link is gone" "0:1" "$(tm add locked.example encrypt >/dev/null; echo $?):$(grep -c '^locked\.example encrypt$' "$T/overrides")"

# tlsmap FILE: check a source file; reload when it is the daemon's.
printf 'a.example encrypt\nb.example secure match=\n' > "$T/broken"
out=$(tm "$T/broken" 2>&1); rc=$?
t_eq "FILE with an error exits 2 with FILE:LINE" "2:tlsmap: $T/broken:2: bad policy for b.example: invalid name list in match" "$rc:$out"
printf 'a.example encrypt\n' > "$T/other"
out=$(tm "$T/other"); rc=$?
t_eq "FILE that is not the daemon's table is only checked" "0:$T/other: 1 entries OK (not the daemon's overrides_file $T/overrides: not loaded)" "$rc:$out"
echo 'manual.example may' >> "$T/overrides"
out=$(tm "$T/overrides"); rc=$?
t_eq "FILE that is the daemon's table is reloaded" "0" "$rc"
t_eq "hand edit is live after tlsmap FILE" "may" "$(q manual.example)"

out=$(tm reload); rc=$?
t_eq "reload" "0" "$rc"
tm status > "$T/status"
t_contains "status shows uptime" "$T/status" '^uptime: [0-9]+s$'
t_contains "status counts answers by source" "$T/status" '^sources: override [1-9][0-9]*, '
tm status --json > "$T/status.json"
t_contains "status --json" "$T/status.json" '"overrides": [0-9]+'
t_contains "status --json answers" "$T/status.json" '"notfound": [0-9]+'

# Keys from standard input, as postmap -q - and -d - read them.
tm add in1.example encrypt >/dev/null; tm add in2.example may >/dev/null
out=$(printf 'in1.example\n  nothing.example \n\nin2.example\r\n' | tm -q -); rc=$?
t_eq "-q - prints key and value of the keys found" "0:in1.example	encrypt
in2.example	may" "$rc:$out"
out=$(printf 'nothing.example\n' | tm -q -); rc=$?
t_eq "-q - with no key found exits 1" "1:" "$rc:$out"
printf 'in1.example\nbad..key\n' | tm -d - >/dev/null 2>"$T/d.err"; rc=$?
t_eq "-d - with a bad key exits 2 and deletes nothing" "2:1" "$rc:$(grep -c '^in1\.example ' "$T/overrides")"
printf 'in1.example\nnothing.example\nin2.example\n' | tm -d - >/dev/null; rc=$?
t_eq "-d - deletes each key found, exit 0" "0:0" "$rc:$(grep -c '^in[12]\.example ' "$T/overrides")"
t_eq "-d - the daemon reloaded" "1" "$(q in2.example >/dev/null; echo $?)"
printf 'nothing.example\n' | tm -d - >/dev/null; rc=$?
t_eq "-d - with no key found exits 1" 1 "$rc"

# An edit keeps the table's owner, group and mode: a table the daemon
# reads only through its group still loads after the edit.
if [ -n "$T_USER" ]; then
	chown root:"$T_USER" "$T/overrides"
	chmod 0640 "$T/overrides"
	tm reload >/dev/null
	t_eq "a table readable only by the daemon's group loads" 0 "$?"
	tm add group.example encrypt >"$T/group.out" 2>&1; rc=$?
	t_eq "an edit keeps owner, group and mode" "root:$T_USER:640" "$(stat -c %U:%G:%a "$T/overrides")"
	t_eq "... and the daemon reloads it" "0:encrypt" "$rc:$(q group.example)"
fi

# An empty table: -s prints nothing and exits 0, as postmap -s.
cp "$T/overrides" "$T/full"
printf '# nothing yet\n' > "$T/overrides"
out=$(tm -s); rc=$?
t_eq "-s on an empty table exits 0" "0:" "$rc:$out"
cp "$T/full" "$T/overrides"

# Daemon down: the edit is saved, exit 3 says it was not reloaded.
kill "$(cat "$T/daemon.pid")"; wait "$(cat "$T/daemon.pid")" 2>/dev/null; rm -f "$T/daemon.pid"
tm add down.example encrypt >/dev/null 2>&1; rc=$?
t_eq "edit with the daemon down exits 3" 3 "$rc"
t_contains "edit with the daemon down is saved" "$T/overrides" '^down.example encrypt$'

t_done
