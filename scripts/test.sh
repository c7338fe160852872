#!/usr/bin/env bash
# `make test`: every test layer, then one closing line with the totals.
#   1. cargo test --workspace: unit tests, protocol scenarios, loopback integration
#      (SQLite and PostgreSQL), doc tests
#   2. e2e/interop.sh: sipp against the real server over UDP and TCP
#   3. e2e/calls.sh: calls through the server with sipp and baresip as the phones
#   4. e2e/browser/run.sh: Playwright, real Chromium softphones calling each other and
#      baresip through the portal, inside a network namespace with only loopback
# Every layer always runs (a failure in one does not hide the other's results); the exit
# status is non-zero when either failed. The last line is "N passed, N failed" over both,
# because cargo's own last line is the doc tests of the last crate, often "0 passed".
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
log="$(mktemp "${TMPDIR:-/tmp}/switchboard-test.XXXXXX")"
trap 'rm -f "$log" "$log.interop" "$log.calls" "$log.browser"' EXIT

cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
cargo_rc=${PIPESTATUS[0]}

echo
echo "== interop (e2e/interop.sh) =="
e2e/interop.sh 2>&1 | tee "$log.interop"
interop_rc=${PIPESTATUS[0]}

echo
echo "== calls (e2e/calls.sh) =="
e2e/calls.sh 2>&1 | tee "$log.calls"
calls_rc=${PIPESTATUS[0]}

echo
echo "== browser (e2e/browser/run.sh) =="
e2e/browser/run.sh 2>&1 | tee "$log.browser"
browser_rc=${PIPESTATUS[0]}

# Sum cargo's "test result: ok. N passed; N failed; N ignored; ..." lines.
read -r c_passed c_failed c_ignored < <(awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^failed/) f += $i
      if ($(i+1) ~ /^ignored/) g += $i
    }
  }
  END { print p + 0, f + 0, g + 0 }' "$log")
read -r i_passed i_failed < <(awk '
  /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3 + 0 }
  END { print p + 0, f + 0 }' "$log.interop")
read -r k_passed k_failed < <(awk '
  /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3 + 0 }
  END { print p + 0, f + 0 }' "$log.calls")
read -r b_passed b_failed < <(awk '
  /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3 + 0 }
  END { print p + 0, f + 0 }' "$log.browser")
# A crate that failed to compile reports no "test result" line: count it as a failure.
if [[ $cargo_rc != 0 && $c_failed == 0 ]]; then c_failed=1; fi
if [[ $interop_rc != 0 && $i_failed == 0 ]]; then i_failed=1; fi
if [[ $calls_rc != 0 && $k_failed == 0 ]]; then k_failed=1; fi
if [[ $browser_rc != 0 && $b_failed == 0 ]]; then b_failed=1; fi

echo
echo "cargo test: $c_passed passed, $c_failed failed, $c_ignored ignored (exit $cargo_rc)"
echo "interop:    $i_passed passed, $i_failed failed (exit $interop_rc)"
echo "calls:      $k_passed passed, $k_failed failed (exit $calls_rc)"
echo "browser:    $b_passed passed, $b_failed failed (exit $browser_rc)"
echo "$((c_passed + i_passed + k_passed + b_passed)) passed, $((c_failed + i_failed + k_failed + b_failed)) failed"
[[ $cargo_rc == 0 && $interop_rc == 0 && $calls_rc == 0 && $browser_rc == 0 ]]
