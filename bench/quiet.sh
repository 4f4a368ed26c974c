# Sourced by the benchmark scripts: waiting for the benchmark CPUs to be
# quiet before a run, since other work on a shared machine slows it down.

# The busier of the CPUs named in $1 (a regex such as "0|1") over half a
# second, as a fraction 0..1.
cpu_busy() {
  local a b
  a=$(grep -E "^cpu($1) " /proc/stat)
  sleep 0.5
  b=$(grep -E "^cpu($1) " /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '
    { idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i }
    NR <= 2 { i0[$1] = idle; t0[$1] = tot; next }
    { d = tot - t0[$1]; u = d > 0 ? 1 - (idle - i0[$1]) / d : 0
      if (u > m) m = u }
    END { printf "%.2f\n", m }'
}

# wait_quiet CPUS THRESHOLD SECONDS: waits until every CPU in CPUS is busy
# less than THRESHOLD, or SECONDS have passed (then says so and goes on).
wait_quiet() {
  local end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    awk -v b="$(cpu_busy "$1")" -v t="$2" 'BEGIN { exit !(b < t) }' &&
      return 0
  done
  echo "CPUs $1 still busy; running anyway" >&2
}
