#!/usr/bin/perl
# SpamAssassin's own engine (Debian's Mail::SpamAssassin), loaded once, on
# every message file named on the command line: prints "FILE<TAB>RULE,RULE"
# with the rules that hit. Local tests only: nothing is asked of the network.
use strict;
use warnings;
use Mail::SpamAssassin;

my $home = $ENV{SA_HOME} or die "SA_HOME unset\n";
my $sa = Mail::SpamAssassin->new({
        local_tests_only => 1,
        dont_copy_prefs => 1,
        userprefs_filename => "$home/user_prefs",
        userstate_dir => $home,
});
$sa->init(1);
for my $file (@ARGV) {
        open(my $fh, '<', $file) or die "$file: $!\n";
        local $/;
        my $text = <$fh>;
        close $fh;
        my $msg = $sa->parse($text);
        my $status = $sa->check($msg);
        my @hits = split(/,/, $status->get_names_of_tests_hit());
        print "$file\t", join(',', sort @hits), "\n";
        $status->finish();
        $msg->finish();
}
