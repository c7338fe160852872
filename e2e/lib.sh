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
