#!/usr/bin/env bash
# Instructions a call costs a server, counted by callgrind: a figure that repeats within about
# 2% where CPU time moves by a quarter from run to run on these shared machines (and the VM
# exposes no hardware counters). It runs scripts/bench-calls.sh for one server with the
# server under `valgrind --tool=callgrind`, at a low rate (valgrind slows a server about fifty
# times), lets the transactions of the first calls expire (their 32 s are part of what a call
# costs), then counts a window of BENCH_INSN_WINDOW seconds. Kamailio's forked workers do
# not answer callgrind_control, so for Kamailio the whole run is counted (start-up and
# warm-up included, every process summed) and divided by every call of the run: a slight
# overestimate.
#
# Usage: scripts/call-instructions.sh [switchboard|kamailio-auth|kamailio-proxy]
# Environment: SWITCHBOARD_BIN (default: cargo build --release), BENCH_INSN_RATE (30 calls/s),
# BENCH_INSN_WINDOW (20 s), BENCH_INSN_KEEP=1 (keep the callgrind profiles; their directory
# is printed, read them with callgrind_annotate).
# Output: "SERVER: instructions per call: N (...)".
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
server="${1:-switchboard}"
rate="${BENCH_INSN_RATE:-30}"
window="${BENCH_INSN_WINDOW:-20}"
settle=45   # warm-up 2 s + the first calls' transactions (64 x T1 = 32 s) + start-up
case "$server" in
  switchboard|kamailio-auth|kamailio-proxy) ;;
  *) echo "usage: $0 [switchboard|kamailio-auth|kamailio-proxy]" >&2; exit 2 ;;
esac
command -v valgrind >/dev/null || bash "$root/scripts/ensure-deps.sh" bench
command -v callgrind_control >/dev/null || { echo "call-instructions: valgrind has no callgrind_control" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-insn.XXXXXX")"
bench_pid=
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  [[ "${BENCH_INSN_KEEP:-0}" == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

# bench-calls.sh starts "$SWITCHBOARD_BIN serve ..." and "kamailio -f ..." from PATH: these
# wrappers put valgrind in front (a forked child writes its own callgrind.PID).
valgrind_in_front() {
  printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file="%s/callgrind.%%p" "%s" "$@"\n' \
    "$work" "$1" >"$2"
  chmod +x "$2"
}
bench_env=(BENCH_CALL_SERVERS="$server")
if [[ "$server" == switchboard ]]; then
  bin="${SWITCHBOARD_BIN:-}"
  if [[ -z "$bin" ]]; then
    (cd "$root" && cargo build --release -p switchboard)
    bin="${CARGO_TARGET_DIR:-$root/target}/release/switchboard"
  fi
  valgrind_in_front "$bin" "$work/switchboard"
  bench_env+=(SWITCHBOARD_BIN="$work/switchboard")
else
  kamailio="$(command -v kamailio)" || { echo "call-instructions: kamailio not installed" >&2; exit 1; }
  mkdir -p "$work/bin"
  valgrind_in_front "$kamailio" "$work/bin/kamailio"
  bench_env+=(PATH="$work/bin:$PATH")
fi
unset SWITCHBOARD_BIN

env "${bench_env[@]}" BENCH_CALL_RATES="$rate" BENCH_CALL_SECONDS=$((settle + window + 15)) \
  bash "$root/scripts/bench-calls.sh" >"$work/bench.out" 2>&1 &
bench_pid=$!
sleep "$settle"
mapfile -t pids < <(pgrep -f "callgrind-out-file=$work/callgrind" || true)
if ((${#pids[@]} == 0)); then
  echo "call-instructions: $server did not start under valgrind:" >&2
  cat "$work/bench.out" >&2
  exit 1
fi
for pid in "${pids[@]}"; do callgrind_control -z "$pid" >/dev/null 2>&1 || true; done
sleep "$window"
for pid in "${pids[@]}"; do callgrind_control -d "$pid" >/dev/null 2>&1 || true; done
wait "$bench_pid" || true
bench_pid=
if [[ "$server" == switchboard ]]; then
  # The dump asked for above is part 1 of the profile.
  instructions="$(cat "$work"/callgrind.*.1 2>/dev/null | awk '/^summary:/ { n += $2 } END { print n + 0 }')"
  calls=$((rate * window))
  what="calls in the window"
else
  # Every process of the server (not the `kamailio -v` asked for its version), whole run:
  # the measured calls and the 2 s warm-up before them.
  instructions="$(grep -l '^cmd: .* -f ' "$work"/callgrind.* 2>/dev/null | xargs -r cat |
    awk '/^summary:/ { n += $2 } END { print n + 0 }')"
  calls=$((rate * (settle + window + 15 + 2)))
  what="calls in the whole run, warm-up included"
fi
echo "$server: instructions per call: $((instructions / calls)) ($what: $calls, at $rate calls/s)"
[[ "${BENCH_INSN_KEEP:-0}" == 1 ]] && echo "callgrind profiles: $work"
grep -E "^$server " "$work/bench.out" | tail -1 || true
