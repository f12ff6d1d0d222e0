#!/bin/sh
# AFL++ campaign on one harness with JOBS instances on one output
# directory: a main instance (-M main, deterministic stages) and JOBS-1
# secondaries (-S s1, s2, ...), each bounded by -V SECONDS and run at the
# lowest priority; then one summary line per instance.
#   afl.sh HARNESS BINARY OUTDIR SECONDS JOBS
set -u
h=$1 bin=$2 out=$3 secs=$4 jobs=$5
case $jobs in ''|*[!0-9]*|0) echo "afl.sh: JOBS must be a positive number" >&2; exit 2;; esac
mkdir -p "$out"
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_AUTORESUME=1 \
	AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
pids=
i=0
while [ "$i" -lt "$jobs" ]; do
	if [ "$i" -eq 0 ]; then role="-M main" name=main; else role="-S s$i" name=s$i; fi
	# shellcheck disable=SC2086
	nice -n 19 afl-fuzz -i "fuzz/corpus/$h" -o "$out" $role -x fuzz/http.dict \
		-V "$secs" -- "$bin" > "$out/$name.log" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
fail=0
for p in $pids; do
	wait "$p" || fail=1
done
i=0
while [ "$i" -lt "$jobs" ]; do
	if [ "$i" -eq 0 ]; then name=main; else name=s$i; fi
	sh fuzz/summary.sh --afl "$h/$name" "$out/$name/fuzzer_stats" || fail=1
	n=$(ls "$out/$name/crashes" 2>/dev/null | grep -vc README)
	[ "$n" -eq 0 ] || { echo "  crashes in $out/$name/crashes/"; fail=1; }
	i=$((i + 1))
done
[ "$fail" -eq 0 ] || tail -20 "$out/main.log"
exit $fail
