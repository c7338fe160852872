# Shared by the e2e scripts (sourced, not run): finding the server binary and stopping it.

# The binary under test in $bin: $SWITCHBOARD_BIN, or a debug build of this checkout (its
# output kept in WORK/build.log and shown only when it fails). On failure prints why, the
# "0 passed, 1 failed" summary the scripts end with, and exits.
e2e_binary() { # NAME ROOT WORK
  local name="$1" root="$2" work="$3" target_dir
  bin="${SWITCHBOARD_BIN:-}"
  if [[ -z "$bin" ]]; then
    if ! (cd "$root" && cargo build -p switchboard) >"$work/build.log" 2>&1; then
      tail -40 "$work/build.log"
      echo "$name: build failed"
      echo "0 passed, 1 failed"
      exit 1
    fi
    target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)"
    bin="${target_dir:-$root/target}/debug/switchboard"
  fi
  [[ -x "$bin" ]] || { echo "$name: no binary at $bin"; echo "0 passed, 1 failed"; exit 1; }
}

# Stops a server: SIGTERM (it hangs up calls and flushes records), then SIGKILL after 5 s.
e2e_stop() { # PID (may be empty)
  if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null
  fi
}

# Checks a call's record. Records are written behind: polls `switchboard cdr list --json` until
# cdr-check.py finds the call's record closed (its exit 3 means "not there yet"), then checks
# it once and prints its line. Returns non-zero when a check failed or no record came. Needs
# `sb` (the CLI with the test's config), `root` and `work`.
e2e_cdr() { # cdr-check.py args (without the file)
  local out rc=3
  out="$(mktemp "$work/cdr.XXXXXX")"
  for _ in $(seq 1 50); do
    if ! sb cdr list --json >"$out" 2>>"$work/cli.log"; then
      echo "cdr list --json failed: $(tail -1 "$work/cli.log")"
      return 1
    fi
    python3 "$root/e2e/cdr-check.py" "$out" "$@" >"$out.check"
    rc=$?
    [[ $rc == 3 ]] || break
    sleep 0.2
  done
  cat "$out.check"
  ((rc == 0))
}

# Runs the test functions named in the array `tests` (test `a-b` is function `t_a_b`), each
# reporting through `problems=()` (what went wrong) and `note` (a detail for the ok line);
# names listed in SKIP are skipped. On failure it shows the problems, WORK/t.extra when the
# test wrote one, and the sipp error files WORK/<test>-*.errors. Counts into the globals
# `passed`, `failed` and `skipped`. Needs `tests` and `work`.
e2e_run_tests() { # SKIP-LIST
  local skip="$1" name started took f
  passed=0 failed=0 skipped=0
  for name in "${tests[@]}"; do
    if [[ " $skip " == *" $name "* ]]; then
      echo "skip  $name"; skipped=$((skipped + 1)); continue
    fi
    problems=() note=""
    rm -f "$work/t.extra"
    started=$(date +%s.%N)
    "t_${name//-/_}"
    took=$(python3 -c "print(f'{$(date +%s.%N) - $started:.2f}')")
    if ((${#problems[@]} == 0)); then
      echo "ok    $name (${took}s${note:+, $note})"
      passed=$((passed + 1))
    else
      echo "FAIL  $name (${took}s)"
      failed=$((failed + 1))
      for f in "${problems[@]}"; do echo "    - $f"; done
      [[ -f "$work/t.extra" ]] && cat "$work/t.extra"
      for f in "$work/$name"-*.errors; do
        [[ -s "$f" ]] && { echo "    ${f##*/}:"; awk '{ print "    | " $0 }' "$f" | tail -15; }
      done
    fi
  done
}

# The closing lines of a run: a server that died counts as a failure (its last output is
# shown, as it is when anything failed), then "N passed, N failed[, N skipped]". Returns
# non-zero when anything failed. Needs `server_pid`, `work` (server.log) and the counts.
e2e_summary() { # NAME
  local name="$1"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "$name: the server died during the run; its last output:"
    tail -20 "$work/server.log"
    failed=$((failed + 1))
  elif ((failed)); then
    echo "$name: server output (last 20 lines):"
    tail -20 "$work/server.log" | sed 's/^/  server: /'
  fi
  if ((skipped)); then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  ((failed == 0))
}
