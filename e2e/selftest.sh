#!/usr/bin/env bash
# Checks e2e/calls.sh's peers without Switchboard: each sipp caller scenario against the callee
# scenario it meets in calls.sh, directly (the callers' 407 step is cut out, except for one run
# against a stand-in challenge), and two baresip phones calling each other directly with tone
# WAVs, each checking it heard the other's tone. Run it after changing e2e/sipp/call-*.xml or
# e2e/baresip/. Not part of `make test` (calls.sh covers the same files against the server).
# The last line is "N passed, N failed". INTEROP_KEEP=1 keeps the temp dir.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sc="$root/e2e/sipp"
work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-selftest.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  if [[ "${INTEROP_KEEP:-0}" == 1 ]]; then echo "selftest: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# shellcheck disable=SC2207
ports=($(python3 "$root/scripts/free-ports.py" 60))
next=0
take() { port="${ports[$next]}"; next=$((next + 1)); }

# A caller without the 407 round: the block between the auth markers goes, and so does the
# [authentication] line.
noauth() { # scenario -> path of the copy
  python3 - "$sc/$1.xml" "$work/$1-noauth.xml" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r"<!-- auth:begin -->.*?<!-- auth:end -->", "", t, flags=re.S)
open(sys.argv[2], "w").write(t.replace("[authentication]\n", ""))
PY
  echo "$work/$1-noauth.xml"
}

passed=0 failed=0
pair() { # name caller-xml callee-xml caller-args callee-args [min-rtp]
  local name="$1" caller="$2" callee="$3" cargs="$4" eargs="$5" minrtp="${6:-}"
  local log="$work/$name" cport eport rport cmp emp counter=""
  take; eport=$port; take; cport=$port; take; rport=$port; take; cmp=$port; take; emp=$port
  if [[ -n "$minrtp" ]]; then
    python3 "$root/e2e/udp-count.py" "$rport" "$log.rtp" & counter=$!
    pids+=("$counter")
  fi
  # shellcheck disable=SC2086
  timeout 60 sipp -sf "$callee" -key rtp_port "$rport" -key domain sb.test -i 127.0.0.1 -p "$eport" -mp "$emp" \
    -m 1 -nostdin -trace_err -error_file "$log-callee.errors" -trace_msg -message_file "$log-callee.msgs" \
    -trace_logs -log_file "$log-callee.log" $eargs >"$log-callee.out" 2>&1 &
  local epid=$!
  sleep 0.3
  # shellcheck disable=SC2086
  timeout 60 sipp -sf "$caller" -s 1002 -key caller 1001 -key domain sb.test -au 1001 -ap pw \
    -i 127.0.0.1 -p "$cport" -mp "$cmp" -m 1 -nostdin -trace_err -error_file "$log-caller.errors" \
    -trace_msg -message_file "$log-caller.msgs" -trace_logs -log_file "$log-caller.log" $cargs \
    "127.0.0.1:$eport" >"$log-caller.out" 2>&1
  local crc=$? erc
  wait "$epid"; erc=$?
  local why=""
  [[ $crc == 0 ]] || why="caller exit $crc"
  [[ $erc == 0 ]] || why="$why callee exit $erc"
  if [[ -n "$counter" ]]; then
    sleep 0.6
    kill "$counter" 2>/dev/null
    local got
    got=$(cut -d' ' -f1 "$log.rtp" 2>/dev/null)
    ((${got:-0} >= minrtp)) || why="$why rtp ${got:-0} < $minrtp"
    why_rtp=" (rtp ${got:-0})"
  else
    why_rtp=""
  fi
  if [[ -z "$why" ]]; then
    echo "ok    $name$why_rtp"; passed=$((passed + 1))
  else
    echo "FAIL  $name ($why)"; failed=$((failed + 1))
    cat "$log"-*.errors 2>/dev/null | tail -20 | sed 's/^/    | /'
  fi
}

pair answer-auth "$sc/call-caller.xml" "$sc/selftest/challenge.xml" "-d 1000" "" 20
pair answer "$(noauth call-caller)" "$sc/call-callee-answer.xml" "-d 8000" "" 200
pair callee-hangs-up "$(noauth call-caller-gets-bye)" "$sc/call-callee-hangup.xml" "" "-d 2000"
pair caller-cancels "$(noauth call-caller-cancel)" "$sc/call-callee-noanswer.xml" "-d 1000" ""
pair busy-refused "$(noauth call-caller-refused)" "$sc/call-callee-busy.xml" "" ""
if grep -q "final: 486" "$work/busy-refused-caller.log" 2>/dev/null; then
  echo "ok    busy-refused-logs-486"; passed=$((passed + 1))
else
  echo "FAIL  busy-refused-logs-486"; failed=$((failed + 1)); cat "$work/busy-refused-caller.log" 2>/dev/null
fi
pair hold-resume "$(noauth call-caller-hold)" "$sc/call-callee-hold.xml" "-d 1000" ""
pair transferor "$sc/selftest/transferee.xml" "$sc/call-callee-transferor.xml" "" "-d 1000 -key transfer_to 1003"
pair transferred "$(noauth call-caller-transferred)" "$sc/selftest/reinviter.xml" "" ""

if [[ " ${SELFTEST_SKIP:-} " != *" baresip "* ]]; then
  if "$root/e2e/baresip/call.sh" --direct "$work/baresip" >"$work/baresip.out" 2>&1; then
    echo "ok    baresip-direct ($(tail -1 "$work/baresip.out"))"; passed=$((passed + 1))
  else
    echo "FAIL  baresip-direct"; failed=$((failed + 1)); tail -30 "$work/baresip.out" | sed 's/^/    | /'
  fi
fi
echo "$passed passed, $failed failed"
((failed == 0))
