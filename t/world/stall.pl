#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# stall.pl ADDR PORT PIDFILE: accept TCP connections and never answer.
# Used for the "server stalls" MTA-STS cases (directly, and behind nginx).
use strict;
use warnings;
use IO::Socket::INET;
my ($addr, $port, $pidfile) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
    Listen => 128, ReuseAddr => 1, Proto => 'tcp') or die "stall.pl: listen $addr:$port: $!\n";
open(my $fh, '>', "$pidfile.tmp") or die "stall.pl: $pidfile: $!\n";
print $fh "$$\n";
close $fh;
rename("$pidfile.tmp", $pidfile) or die "stall.pl: rename: $!\n";
$SIG{TERM} = sub { exit 0 };
my @held;
while (1) {
    my $c = $s->accept or next;
    push @held, $c;
    shift @held while @held > 500;
}
