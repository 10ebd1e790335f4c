#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# dnsrelay.pl LISTEN UPSTREAM NAME TYPE RCODE PIDFILE [LIFETIME]
#
# An on-path attacker for the world tests: a DNS relay on LISTEN:53 (UDP
# and TCP) that forwards every query to UPSTREAM:53 and passes the answer
# back unchanged, except that in answers whose question is NAME/TYPE it
# sets the header rcode to RCODE (e.g. 3, NXDOMAIN): four header bits
# that no DNSSEC signature covers.  TYPE is a number or A, AAAA, CNAME,
# MX, TXT, TLSA, DS, DNSKEY.  Each change is logged to stderr ("flip NAME
# TYPE rcode OLD -> NEW").
#
# The PID file appears once both sockets listen.  Bounded: the relay exits
# after LIFETIME seconds (default 300) or 100000 queries, waits at most
# 3 s for the upstream, 2 s for a TCP client, and serves one TCP
# connection at a time.  SIGTERM stops it.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($listen, $upstream, $name, $type, $rcode, $pidfile, $lifetime) = @ARGV;
die "usage: dnsrelay.pl LISTEN UPSTREAM NAME TYPE RCODE PIDFILE [LIFETIME]\n"
    unless defined $pidfile;
$lifetime //= 300;
my %types = (A => 1, CNAME => 5, MX => 15, TXT => 16, AAAA => 28, DS => 43,
    DNSKEY => 48, TLSA => 52);
$type = $types{uc $type} // $type;
die "dnsrelay.pl: bad type $type\n" unless $type =~ /^\d+$/;
die "dnsrelay.pl: bad rcode $rcode\n" unless $rcode =~ /^\d+$/ && $rcode < 16;
$name = lc $name;
$name =~ s/\.$//;

my $UP_WAIT = 3;
my $TCP_WAIT = 2;
my $MAX_QUERIES = 100000;

my $udp = IO::Socket::INET->new(LocalAddr => $listen, LocalPort => 53,
    Proto => 'udp', ReuseAddr => 1) or die "dnsrelay.pl: udp $listen:53: $!\n";
my $tcp = IO::Socket::INET->new(LocalAddr => $listen, LocalPort => 53,
    Proto => 'tcp', Listen => 16, ReuseAddr => 1)
    or die "dnsrelay.pl: tcp $listen:53: $!\n";
open(my $fh, '>', "$pidfile.tmp") or die "dnsrelay.pl: $pidfile: $!\n";
print $fh "$$\n";
close $fh;
rename("$pidfile.tmp", $pidfile) or die "dnsrelay.pl: rename: $!\n";
$SIG{TERM} = sub { exit 0 };
$SIG{ALRM} = sub { print STDERR "dnsrelay: lifetime over\n"; exit 0 };
alarm $lifetime;
$| = 1;

# The question of a message: (name, type), or () when it has none or the
# name is compressed (a question never needs to be).
sub question {
	my ($msg) = @_;
	return () if length($msg) < 12 || unpack('n', substr($msg, 4, 2)) < 1;
	my ($off, @labels) = (12);
	while (1) {
		return () if $off >= length($msg);
		my $len = ord(substr($msg, $off, 1));
		last if $len == 0;
		return () if $len > 63 || $off + 1 + $len > length($msg);
		push @labels, substr($msg, $off + 1, $len);
		$off += 1 + $len;
	}
	return () if $off + 3 > length($msg);
	return (lc(join('.', @labels)), unpack('n', substr($msg, $off + 1, 2)));
}

# The answer as the attacker wants it.
sub tamper {
	my ($msg) = @_;
	my ($qname, $qtype) = question($msg);
	return $msg unless defined $qtype && $qname eq $name && $qtype == $type;
	my $b3 = ord(substr($msg, 3, 1));
	printf STDERR "flip %s %d rcode %d -> %d\n", $qname, $qtype, $b3 & 15,
	    $rcode;
	substr($msg, 3, 1) = chr(($b3 & 0xf0) | $rcode);
	return $msg;
}

# One UDP exchange with the upstream; undef on timeout.
sub ask_udp {
	my ($query) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $upstream, PeerPort => 53,
	    Proto => 'udp') or return undef;
	$s->send($query) or return undef;
	return undef unless IO::Select->new($s)->can_read($UP_WAIT);
	my $reply;
	$s->recv($reply, 65535) // return undef;
	return $reply;
}

# Read exactly n bytes from a socket within $secs; undef otherwise.
sub read_n {
	my ($s, $n, $secs) = @_;
	my ($buf, $sel) = ('', IO::Select->new($s));
	while (length($buf) < $n) {
		return undef unless $sel->can_read($secs);
		my $got = sysread($s, $buf, $n - length($buf), length($buf));
		return undef unless $got;
	}
	return $buf;
}

sub ask_tcp {
	my ($query) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => $upstream, PeerPort => 53,
	    Proto => 'tcp', Timeout => $UP_WAIT) or return undef;
	syswrite($s, pack('n', length($query)) . $query) or return undef;
	my $len = read_n($s, 2, $UP_WAIT) // return undef;
	return read_n($s, unpack('n', $len), $UP_WAIT);
}

sub serve_tcp {
	my $c = $tcp->accept or return;
	my $len = read_n($c, 2, $TCP_WAIT) // return;
	my $query = read_n($c, unpack('n', $len), $TCP_WAIT) // return;
	my $reply = ask_tcp($query) // return;
	$reply = tamper($reply);
	syswrite($c, pack('n', length($reply)) . $reply);
}

my $sel = IO::Select->new($udp, $tcp);
for (my $n = 0; $n < $MAX_QUERIES;) {
	for my $s ($sel->can_read(1)) {
		$n++;
		if ($s == $tcp) {
			serve_tcp();
			next;
		}
		my $query;
		my $peer = $udp->recv($query, 65535) // next;
		my $reply = ask_udp($query) // next;
		$udp->send(tamper($reply), 0, $peer);
	}
}
print STDERR "dnsrelay: $MAX_QUERIES queries served\n";
