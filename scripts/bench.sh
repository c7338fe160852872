#!/usr/bin/env bash
# `make bench`: whole-system load, Switchboard next to Kamailio in the same run (registrations
# here, then calls: scripts/bench-calls.sh), then the criterion micro-benchmarks of the sip crate.
#
# Each server in turn runs pinned to CPU 0 and receives, from sipp pinned to CPU 1, a fixed
# rate of authenticated registrations (REGISTER, 401, REGISTER with MD5 digest, 200). We read
# utime+stime of the server's processes (/proc/PID/stat fields 14 and 15; for Kamailio, the
# main process and all its children) before and after, and print CPU microseconds per
# registration. CPU per operation, not calls per second: on two cores sipp saturates first.
#
# Environment: BENCH_RATE (500/s), BENCH_SECONDS (20), BENCH_WARMUP (1000 calls),
# KAMAILIO_CFG (../shared/bench/kamailio/registrar.cfg), BENCH_SKIP_CRITERION=1,
# BENCH_SKIP_CALLS=1 (and the BENCH_CALL_* settings of scripts/bench-calls.sh),
# BENCH_SKIP_MEDIA=1 (and the BENCH_MEDIA_* settings of scripts/bench-media.sh),
# SWITCHBOARD_BIN (default: cargo build --release, target/release/switchboard).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# The server reads SWITCHBOARD_<SECTION>_<KEY> overrides: drop any from the caller's
# environment so the config file written below is what runs.
while read -r var; do
  [[ $var == SWITCHBOARD_BIN || $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
rate="${BENCH_RATE:-500}"
seconds="${BENCH_SECONDS:-20}"
count=$((rate * seconds))
warmup="${BENCH_WARMUP:-1000}"
domain="example.com"          # the alias registrar.cfg accepts; Switchboard is configured the same
user=1001 password=secret     # registrar.cfg's password for every user
register_scenario="$root/e2e/sipp/bench-register.xml"
options_scenario="$root/e2e/sipp/bench-options.xml"
kamailio_cfg="${KAMAILIO_CFG:-}"
for c in "$root/../shared/bench/kamailio/registrar.cfg" /work/shared/bench/kamailio/registrar.cfg; do
  [[ -z "$kamailio_cfg" && -f "$c" ]] && kamailio_cfg="$c"
done
kamailio_port=15060           # fixed in registrar.cfg
hz="$(getconf CLK_TCK)"

bin="${SWITCHBOARD_BIN:-}"
# Read; the server must not see it (it would warn about a variable it does not know).
unset SWITCHBOARD_BIN
if [[ -z "$bin" ]]; then
  (cd "$root" && cargo build --release -p switchboard)
  bin="$root/target/release/switchboard"
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then bin="$CARGO_TARGET_DIR/release/switchboard"; fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Pin when there are two CPUs or more; on one CPU the figures still mean CPU per operation.
server_cpu=() load_cpu=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
fi

# "utime stime" in clock ticks, summed over a process and all its descendants.
tree_ticks() {
  python3 - "$1" <<'EOF'
import os, sys
root = int(sys.argv[1])
stats = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15
        stats[int(d)] = (int(rest[1]), int(rest[11]), int(rest[12]))
want, total, frontier = {root}, 0, [root]
while frontier:
    p = frontier.pop()
    frontier += [c for c, (pp, _, _) in stats.items() if pp == p and c not in want]
    want.update(frontier)
print(sum(stats[p][1] for p in want if p in stats), sum(stats[p][2] for p in want if p in stats))
EOF
}

# Runs sipp with scenario $3 against 127.0.0.1:$1 for $2 calls; sets $sipp_rc and leaves
# stdout in $work/sipp.out.
run_load() {
  local port="$1" calls="$2" scenario="$3" local_port
  local_port="$(python3 "$root/scripts/free-ports.py" 1)"
  set +e
  "${load_cpu[@]}" timeout $((calls / rate + 60)) sipp -sf "$scenario" \
    -key domain "$domain" -auth_uri "$domain" -s "$user" -au "$user" -ap "$password" \
    -i 127.0.0.1 -p "$local_port" -r "$rate" -m "$calls" -recv_timeout 5000 -nostdin \
    "127.0.0.1:$port" >"$work/sipp.out" 2>&1
  sipp_rc=$?
  set -e
}

# Cumulative "Successful call" / "Failed call" from sipp's final screen.
sipp_counts() {
  local ok failed
  ok=$(grep 'Successful call' "$work/sipp.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  failed=$(grep 'Failed call' "$work/sipp.out" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  echo "${ok:-?}/${failed:-?}"
}

results=()
# measure NAME PID PORT [SCENARIO]: one result row
measure() {
  local name="$1" pid="$2" port="$3" scenario="${4:-$register_scenario}" before after t0 t1 kind
  kind="$(basename "$scenario" .xml)"
  run_load "$port" "$warmup" "$scenario"
  if [[ $sipp_rc != 0 ]]; then
    echo "bench: $name: warm-up failed (sipp exit $sipp_rc); sipp said:" >&2
    tail -15 "$work/sipp.out" >&2
    results+=("$kind|$name|-|-|-|$(sipp_counts)|-")
    return
  fi
  before="$(tree_ticks "$pid")"
  t0="$(date +%s.%N)"
  run_load "$port" "$count" "$scenario"
  t1="$(date +%s.%N)"
  after="$(tree_ticks "$pid")"
  local counts
  counts="$(sipp_counts)"
  [[ $sipp_rc == 0 ]] || echo "bench: $name: sipp exit $sipp_rc (calls ok/failed $counts)" >&2
  results+=("$(python3 -c "
user, system = [a - b for a, b in zip(map(int, '$after'.split()), map(int, '$before'.split()))]
us = (user + system) * 1e6 / $hz / $count
sys_share = 100 * system / max(user + system, 1)
print(f'$kind|$name|{us:.1f}|{us / 2:.1f}|{sys_share:.0f}%|$counts|{$t1 - $t0:.1f}')")")
}

wait_udp_ready() { # PORT PID: any answer to an OPTIONS
  for _ in $(seq 1 50); do
    kill -0 "$2" 2>/dev/null || return 1
    python3 "$root/scripts/sip-ping.py" 127.0.0.1 "$1" 1 && return 0
  done
  return 1
}

echo "make bench: authenticated registrations (REGISTER, 401, REGISTER with MD5 digest, 200)"
echo "  then OPTIONS answered 200 (the per-transaction floor), same rate and count"
echo "  sipp at ${rate}/s, ${count} calls measured after ${warmup} warm-up, one extension"
echo "  ${server_cpu[*]:-unpinned} for the server, ${load_cpu[*]:-unpinned} for sipp"
echo

# --- Switchboard --------------------------------------------------------------------------
read -r sip_port http_port < <(python3 "$root/scripts/free-ports.py" 2)
write_config() {
  cat >"$work/switchboard.toml" <<EOF
data_dir = "$work/data"
domain = "$domain"

[sip]
udp = "127.0.0.1:$sip_port"
tcp = "127.0.0.1:$sip_port"
tls = "off"

[http]
listen = "127.0.0.1:$http_port"
tls = "off"

[registrar]
qualify_interval = 0
$1
EOF
}
# sipp 3.6 answers the first WWW-Authenticate only and knows only MD5 (see e2e/interop.sh).
write_config "digest_sha256_first = false"
if ! "$bin" --config "$work/switchboard.toml" extension list >/dev/null 2>&1; then write_config ""; fi
"$bin" --config "$work/switchboard.toml" extension add "$user" --password "$password" >/dev/null
SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}" "${server_cpu[@]}" "$bin" serve --config "$work/switchboard.toml" \
  >"$work/switchboard.log" 2>&1 &
sb_pid=$!
pids+=("$sb_pid")
if wait_udp_ready "$sip_port" "$sb_pid"; then
  measure "switchboard" "$sb_pid" "$sip_port"
  measure "switchboard" "$sb_pid" "$sip_port" "$options_scenario"
else
  echo "bench: switchboard did not answer OPTIONS; its output:" >&2
  tail -20 "$work/switchboard.log" >&2
  results+=("bench-register|switchboard|-|-|-|-|-")
fi
kill "$sb_pid" 2>/dev/null || true
wait "$sb_pid" 2>/dev/null || true

# --- Kamailio -----------------------------------------------------------------------------
if ! command -v kamailio >/dev/null; then
  echo "bench: kamailio not installed (scripts/ensure-deps.sh bench)" >&2
elif [[ -z "$kamailio_cfg" ]]; then
  echo "bench: no Kamailio config (set KAMAILIO_CFG; expected ../shared/bench/kamailio/registrar.cfg)" >&2
elif python3 "$root/scripts/sip-ping.py" 127.0.0.1 "$kamailio_port" 0.5; then
  echo "bench: something already answers SIP on 127.0.0.1:$kamailio_port; Kamailio skipped" >&2
else
  # -DD -E: foreground, log to stderr (daemonized it logs to syslog, which costs it ~10x CPU
  # here); -x tlsf: the fast allocator. Its workers are children of this PID.
  "${server_cpu[@]}" kamailio -f "$kamailio_cfg" -x tlsf -m 256 -M 16 -DD -E >"$work/kamailio.log" 2>&1 &
  kam_pid=$!
  pids+=("$kam_pid")
  if wait_udp_ready "$kamailio_port" "$kam_pid"; then
    kam_name="kamailio $(kamailio -v 2>/dev/null | awk '/^version:/ {print $3}')"
    measure "$kam_name" "$kam_pid" "$kamailio_port"
    measure "$kam_name" "$kam_pid" "$kamailio_port" "$options_scenario"
  else
    echo "bench: kamailio did not start; its output:" >&2
    tail -20 "$work/kamailio.log" >&2
  fi
  kill "$kam_pid" 2>/dev/null || true
  wait "$kam_pid" 2>/dev/null || true
fi

printf '%-18s %23s %19s %10s %16s %8s\n' "registrations" "CPU µs/registration" "CPU µs/REGISTER" "of it sys" "calls ok/failed" "wall s"
for r in "${results[@]}"; do
  IFS='|' read -r kind name per_reg per_req sys counts wall <<<"$r"
  [[ $kind == bench-register ]] || continue
  printf '%-18s %22s %18s %10s %16s %8s\n' "$name" "$per_reg" "$per_req" "$sys" "$counts" "$wall"
done
echo "(a registration is two REGISTER transactions: the challenged one and the authenticated one;"
echo " the target for Switchboard is under 60 µs of server CPU per REGISTER, the CPU µs/REGISTER column)"
echo
printf '%-18s %23s %19s %10s %16s %8s\n' "OPTIONS (floor)" "CPU µs/OPTIONS" "" "of it sys" "calls ok/failed" "wall s"
for r in "${results[@]}"; do
  IFS='|' read -r kind name per_op _ sys counts wall <<<"$r"
  [[ $kind == bench-options ]] || continue
  printf '%-18s %22s %18s %10s %16s %8s\n' "$name" "$per_op" "" "$sys" "$counts" "$wall"
done
echo "(one stateless transaction: receive, parse, answer, send; no auth, no storage)"
echo

# --- calls: sipp uac -> server -> sipp uas, three rates (scripts/bench-calls.sh) -------------
if [[ "${BENCH_SKIP_CALLS:-0}" != 1 ]]; then
  SWITCHBOARD_BIN="$bin" "$root/scripts/bench-calls.sh" || echo "bench: scripts/bench-calls.sh failed (exit $?)" >&2
fi

# --- media: Opus<->PCMU, PCMU<->G.729 and SRTP<->RTP calls ramped, next to rtpengine --------
if [[ "${BENCH_SKIP_MEDIA:-0}" != 1 ]]; then
  SWITCHBOARD_BIN="$bin" "$root/scripts/bench-media.sh" || echo "bench: scripts/bench-media.sh failed (exit $?)" >&2
fi

# --- criterion ----------------------------------------------------------------------------
# sip: parse/print. media: per 20 ms frame, each codec's encode/decode (libopus and
# libbcg729 are the reference implementations, so their figures are the peer's too), the
# resampler, SRTP protect+unprotect, the whole transcode path; the relay per packet.
if [[ "${BENCH_SKIP_CRITERION:-0}" != 1 ]]; then
  for pkg in sip media; do
    echo "cargo bench -p $pkg (criterion):"
    if (cd "$root" && cargo bench -p "$pkg" --bench '*' -- --warm-up-time 1 --measurement-time 3) \
      >"$work/criterion-$pkg.out" 2>&1; then
      # criterion prints "name  time: [low mid high]", the name on its own line when it is long
      awk '/time:/ { if (prev !~ /time:/ && $1 == "time:") print "  " prev; print "  " $0 } { prev = $0 }' \
        "$work/criterion-$pkg.out"
    else
      echo "  (no criterion benches ran:)"
      tail -5 "$work/criterion-$pkg.out" | sed 's/^/  /'
    fi
  done
fi
