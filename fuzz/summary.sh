#!/bin/sh
# Prints one line of figures for a fuzzing run.
#   summary.sh HARNESS LIBFUZZER_LOG
#   summary.sh --afl HARNESS AFL_FUZZER_STATS
if [ "$1" = "--afl" ]; then
	h=$2 f=$3
	[ -r "$f" ] || { echo "afl $h: no fuzzer_stats at $f"; exit 1; }
	v() { sed -n "s/^$1 *: *//p" "$f"; }
	echo "afl $h: execs $(v execs_done)  exec/s $(v execs_per_sec)" \
		"edges $(v edges_found)/$(v total_edges) ($(v bitmap_cvg))" \
		"corpus $(v corpus_count)  crashes $(v saved_crashes)" \
		"hangs $(v saved_hangs)  time $(( $(v last_update) - $(v start_time) )) s"
	exit 0
fi
h=$1 log=$2
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
last=$(grep -a ' cov: ' "$log" | tail -1)
# -fork=N prints "#EXECS: cov: C ft: F corp: N exec/s R ..." and no stat:: lines.
[ -n "$execs" ] || execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
[ -n "$rate" ] || rate=$(echo "$last" | sed -n 's/.* exec\/s:* \([0-9]*\).*/\1/p')
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\(\/[0-9]*[a-zA-Z]*\)\{0,1\}\).*/\1/p')
crash=$(grep -ac 'Test unit written to' "$log")
echo "fuzz_$h: execs ${execs:-?}  exec/s ${rate:-?}  cov ${cov:-?}  ft ${ft:-?}" \
	" corpus ${corp:-?}  crashes $crash"
if [ "$crash" -gt 0 ]; then
	grep -a 'oracle failed\|SUMMARY\|Test unit written' "$log" | head -3 | sed 's/^/  /'
fi
