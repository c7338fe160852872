#!/usr/bin/env bash
# `make test`: every test layer, then one closing line with the totals.
#   1. cargo test --workspace: unit tests, protocol scenarios, loopback integration
#      (SQLite and PostgreSQL), doc tests
#   2. e2e/interop.sh: sipp and JsSIP against the real server (registration, OPTIONS)
#   3. e2e/calls.sh: calls through the server with sipp and baresip as the phones
#   4. e2e/trunks.sh: the server registers with sipp acting as a provider's registrar, over UDP
#      and over TLS (socat with a test CA in front of sipp), and calls out over TLS
#   5. e2e/trunk_calls.sh: calls out through and in from sipp and baresip providers (failover,
#      DIDs, SRTP required by the trunk both ways)
#   6. e2e/browser/run.sh: Playwright, real Chromium softphones calling each other, a sipp trunk and
#      baresip through the portal, inside a network namespace with only loopback
# Every layer always runs (a failure in one does not hide the others' results); the exit
# status is non-zero when any failed. The last line is "N passed, N failed" over all,
# because cargo's own last line is the doc tests of the last crate, often "0 passed".
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
logs="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-test.XXXXXX")"
trap 'rm -rf "$logs"' EXIT

# The servers the integration tests start log at info, calls at debug (tests/common: SB_TEST_LOG);
# libtest shows a test's output only when it fails, so a failure comes with the server's side.
SB_TEST_LOG="${SB_TEST_LOG:-info,switchboard::calls=debug,switchboard::endpoint=debug}" cargo test --workspace --no-fail-fast 2>&1 |
  tee "$logs/cargo"
cargo_rc=${PIPESTATUS[0]}
# Sum cargo's "test result: ok. N passed; N failed; N ignored; ..." lines.
read -r c_passed c_failed c_ignored < <(awk '
  /^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^failed/) f += $i
      if ($(i+1) ~ /^ignored/) g += $i
    }
  }
  END { print p + 0, f + 0, g + 0 }' "$logs/cargo")
# A crate that failed to compile reports no "test result" line: count it as a failure.
if [[ $cargo_rc != 0 && $c_failed == 0 ]]; then c_failed=1; fi

layers=(interop:e2e/interop.sh calls:e2e/calls.sh trunks:e2e/trunks.sh
        trunk-calls:e2e/trunk_calls.sh browser:e2e/browser/run.sh)
total_passed=$c_passed total_failed=$c_failed all_ok=$((cargo_rc == 0))
summary=("cargo test:  $c_passed passed, $c_failed failed, $c_ignored ignored (exit $cargo_rc)")
for layer in "${layers[@]}"; do
  name="${layer%%:*}" script="${layer#*:}"
  echo
  echo "== $name ($script) =="
  "$script" 2>&1 | tee "$logs/$name"
  rc=${PIPESTATUS[0]}
  # Each script ends with "N passed, N failed".
  read -r passed failed < <(awk '
    /^[0-9]+ passed, [0-9]+ failed/ { p = $1; f = $3 + 0 }
    END { print p + 0, f + 0 }' "$logs/$name")
  if [[ $rc != 0 && $failed == 0 ]]; then failed=1; fi
  ((rc == 0)) || all_ok=0
  total_passed=$((total_passed + passed)) total_failed=$((total_failed + failed))
  summary+=("$(printf '%-12s %s passed, %s failed (exit %s)' "$name:" "$passed" "$failed" "$rc")")
done

echo
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
((all_ok == 1))
