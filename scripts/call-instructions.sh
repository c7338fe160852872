#!/usr/bin/env bash
# Instructions a B2BUA call costs Switchboard, counted by callgrind: a figure that repeats
# within about 2% where CPU time moves by a quarter from run to run on these shared machines
# (and the VM exposes no hardware counters). It runs scripts/bench-calls.sh for Switchboard
# alone with the server under `valgrind --tool=callgrind`, at a low rate (valgrind slows the
# server about fifty times), lets the transactions of the first calls expire (their 32 s are
# part of what a call costs), then counts a window of BENCH_INSN_WINDOW seconds.
#
# Environment: SWITCHBOARD_BIN (default: cargo build --release), BENCH_INSN_RATE (30 calls/s),
# BENCH_INSN_WINDOW (20 s), BENCH_INSN_KEEP=1 (keep the callgrind profile; its path is
# printed, read it with callgrind_annotate).
# Output: "instructions per call: N (calls in the window: C)".
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rate="${BENCH_INSN_RATE:-30}"
window="${BENCH_INSN_WINDOW:-20}"
settle=45   # warm-up 2 s + the first calls' transactions (64 x T1 = 32 s) + start-up
command -v valgrind >/dev/null || bash "$root/scripts/ensure-deps.sh" bench
command -v callgrind_control >/dev/null || { echo "call-instructions: valgrind has no callgrind_control" >&2; exit 1; }

bin="${SWITCHBOARD_BIN:-}"
unset SWITCHBOARD_BIN
if [[ -z "$bin" ]]; then
  (cd "$root" && cargo build --release -p switchboard)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/switchboard"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-insn.XXXXXX")"
bench_pid=
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2>/dev/null || true
  [[ "${BENCH_INSN_KEEP:-0}" == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

# bench-calls.sh starts "$SWITCHBOARD_BIN serve ..."; this wrapper puts valgrind in front.
cat >"$work/switchboard" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.%p" "$bin" "\$@"
WRAP
chmod +x "$work/switchboard"

BENCH_CALL_SERVERS=switchboard BENCH_CALL_RATES="$rate" \
  BENCH_CALL_SECONDS=$((settle + window + 15)) SWITCHBOARD_BIN="$work/switchboard" \
  bash "$root/scripts/bench-calls.sh" >"$work/bench.out" 2>&1 &
bench_pid=$!
sleep "$settle"
pid="$(pgrep -f "callgrind.*$work/callgrind" | head -1 || true)"
if [[ -z "$pid" ]]; then
  echo "call-instructions: the server did not start under valgrind:" >&2
  cat "$work/bench.out" >&2
  exit 1
fi
callgrind_control -z "$pid" >/dev/null 2>&1
sleep "$window"
callgrind_control -d "$pid" >/dev/null 2>&1
wait "$bench_pid" || true
bench_pid=
profile="$(ls -t "$work"/callgrind."$pid".* 2>/dev/null | head -1)"
instructions="$(awk '/^summary:/ { print $2; exit }' "$profile")"
calls=$((rate * window))
echo "instructions per call: $((instructions / calls)) (calls in the window: $calls, at $rate calls/s)"
[[ "${BENCH_INSN_KEEP:-0}" == 1 ]] && echo "callgrind profile: $profile"
grep -E "^switchboard " "$work/bench.out" | tail -1 || true
