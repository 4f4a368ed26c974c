# Sourced by the proxy examples' tests: start OUT CMD... runs CMD in the
# background with stdout in OUT, waits for its "listening on ADDR:PORT"
# line and sets $port and $pid ($pids collects every pid for the EXIT
# trap).
start() {
  local out="$1"; shift
  "$@" > "$out" &
  pid=$!
  pids+=($pid)
  for _ in $(seq 200); do grep -q '^listening on' "$out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -1)
  [ -n "$port" ] || { echo "no 'listening on' line from $*"; cat "$out"; exit 1; }
}
