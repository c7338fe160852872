#!/usr/bin/env bash
# Media bench of `make bench` (scripts/bench.sh runs it after the call bench; it also runs alone):
# tools/media-load ramps N concurrent calls through the server until more than 1 % of the
# frames miss their 20 ms deadline (or the generator itself cannot keep up), in three
# scenarios (media-load --scenario):
#   opus-pcmu   browser-like caller (SIP over WebSocket, full ICE, DTLS-SRTP, Opus 48 kHz
#               complexity 5) -> phone answering PCMU: Opus <-> G.711 transcoded
#   pcmu-g729   phone offering PCMU only -> phone answering G.729 only: G.711 <-> G.729
#   srtp-relay  phone offering RTP/SAVP PCMU with an SDES key -> phone answering plain RTP/AVP
#               PCMU: relayed, SRTP on the caller's side only
# Each scenario runs against two servers, one after the other, each pinned to CPU 0 with the
# generator on CPU 1:
#   switchboard   the release binary, a temp config and data dir, extensions added by the CLI
#   rtpengine     ../shared/bench/rtpengine/run.sh: Kamailio (signalling) + rtpengine 10.5
#                 (media, userspace, transcoding) with bench/rtpengine-media/kamailio.cfg
#                 (the shared config plus G.729 and SDES flags for phone-to-phone calls)
#                 and media ports 30000-39999;
#                 rtpengine's CPU and PSS are measured, Kamailio's CPU is shown apart
# Per step: miss ratio (both directions and each), p50/p99 latency per packet through the
# server (send, taken right before sendto, to the kernel's arrival stamp at the other end:
# the generator's own scheduling is not in it; "p99 rd" is send to the generator reading the
# packet, which is what this bench printed as p99 before), server CPU -> calls per core
# (N / cores used), PSS of the media process -> KiB per call ((PSS at N - PSS before) / N).
#
# Environment: BENCH_MEDIA_SCENARIOS ("opus-pcmu pcmu-g729 srtp-relay"), BENCH_MEDIA_STEPS
# (comma list for every scenario; default each scenario's own, all with 20 and 85),
# BENCH_MEDIA_SECONDS (8 per step), BENCH_MEDIA_MAX (2000 calls), BENCH_MEDIA_SERVERS
# ("switchboard rtpengine"), BENCH_MEDIA_KEEP=1 (keep logs), RTPENGINE_DIR
# (../shared/bench/rtpengine), SWITCHBOARD_BIN and MEDIA_LOAD_BIN (default: cargo build --release).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
while read -r var; do
  [[ $var == SWITCHBOARD_LOG || $var == SWITCHBOARD_BIN ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
read -r -a scenarios <<<"${BENCH_MEDIA_SCENARIOS:-opus-pcmu pcmu-g729 srtp-relay}"
steps="${BENCH_MEDIA_STEPS:-}"
seconds="${BENCH_MEDIA_SECONDS:-8}"
max="${BENCH_MEDIA_MAX:-2000}"
read -r -a servers <<<"${BENCH_MEDIA_SERVERS:-switchboard rtpengine}"
domain="example.com" password=secret callee=1002 caller_base=3000  # run.sh's users: any, "secret"
rtp_dir="${RTPENGINE_DIR:-}"
for d in "$root/../shared/bench/rtpengine" /work/shared/bench/rtpengine; do
  [[ -z "$rtp_dir" && -x "$d/run.sh" ]] && rtp_dir="$d"
done
kamailio_cfg="$root/bench/rtpengine-media/kamailio.cfg"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="${SWITCHBOARD_BIN:-}" load="${MEDIA_LOAD_BIN:-}"
# the server reads SWITCHBOARD_* as configuration and warns about one it does not know
unset SWITCHBOARD_BIN
# Two builds, not one: built together, media's `test-peer` feature (media-load's) would be
# unified into the server's build and change the binary under test.
if [[ -z "$bin" ]]; then
  (cd "$root" && cargo build --release -p switchboard)
  bin="$target_dir/release/switchboard"
fi
if [[ -z "$load" ]]; then
  (cd "$root" && cargo build --release -p media-load)
  load="$target_dir/release/media-load"
fi

# two or three sockets per call on the generator, four or more on the server, plus WebSockets
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench-media.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "${BENCH_MEDIA_KEEP:-0}" == 1 ]]; then
    echo "bench-media: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# On a machine shared with other jobs (builds), a server that wakes for a packet waits for
# the job running on its core to be preempted: milliseconds, which is then most of the p99.
# Where we may (root), the server runs SCHED_FIFO (it takes its core at once; the kernel's RT
# throttling still leaves others 5 %) and the generator at nice -15 (its lateness is not in
# the latency: sends are timed at the system call and arrivals stamped by the kernel).
# The "oth%" column says how much of the server's core others still took.
server_cpu=() load_cpu=()
if chrt -f 10 true 2>/dev/null; then
  server_cpu=(chrt -f 10)
fi
if [[ "$(nice -n -15 nice 2>/dev/null)" == -15 ]]; then
  load_cpu=(nice -n -15)
fi
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  server_cpu+=(taskset -c 0)
  load_cpu+=(taskset -c 1)
fi

stop() { # PID...: stop and reap
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

udp_port_busy() { [[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]]; }
tcp_port_busy() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# not_run SCENARIO SERVER WHY: a cell of the summary that says why it is empty
not_run() {
  echo "bench-media: $2 $1: $3" >&2
  echo "$3" >"$work/$2.$1.na"
}

# media_load SCENARIO SERVER ARGS...: the ramp; its table on stdout and in $work/SERVER.SCENARIO.out
media_load() {
  local scenario="$1" name="$2"
  shift 2
  local step_args=()
  [[ -n "$steps" ]] && step_args=(--steps "$steps")
  set +e
  "${load_cpu[@]}" "$load" --scenario "$scenario" --label "$name" --domain "$domain" \
    --caller "1001:$password" --caller-base "$caller_base" --callee "$callee:$password" \
    "${step_args[@]}" --seconds "$seconds" --max "$max" "$@" \
    2>"$work/$name.$scenario.err" | tee "$work/$name.$scenario.out"
  local rc=${PIPESTATUS[0]}
  set -e
  if [[ $rc != 0 ]]; then
    echo "bench-media: media-load $scenario against $name failed (exit $rc):" >&2
    grep -v '^ *[0-9]*: \|^ *at ' "$work/$name.$scenario.err" | head -8 >&2
  fi
  echo
}

echo "make bench: media, scenarios ${scenarios[*]} (tools/media-load --scenario), ${seconds} s a step,"
echo "  until > 1 % of frames miss 20 ms or the generator cannot keep up; ${server_cpu[*]:-unpinned}"
echo "  for the server, ${load_cpu[*]:-unpinned} for tools/media-load (one thread)"
echo

# Switchboard's data dir, made once: the callee and one caller extension per call (so no
# AOR collects hundreds of contacts); each scenario then starts a fresh server on it.
sb_ready=0
if [[ " ${servers[*]} " == *" switchboard "* ]]; then
  read -r sip_port http_port < <(python3 "$root/scripts/free-ports.py" 2)
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

[media]
rtp_ports = "20000-29999"

[registrar]
qualify_interval = 0
max_expires = 86400
# the generator's digest client knows MD5 only
digest_sha256_first = false
digest_sha256 = false
EOF
  "$bin" --config "$work/switchboard.toml" extension add "$callee" --password "$password" >/dev/null
  seq "$caller_base" $((caller_base + max - 1)) |
    xargs -P 4 -I{} "$bin" --config "$work/switchboard.toml" extension add {} --password "$password" >/dev/null
  # The first start on a new data dir holds some 20 MB more for 15-20 s (seen with 2,000
  # extensions just added), which would read as negative KiB per call: done once, unmeasured,
  # until its PSS falls (25 s at most).
  "$bin" serve --config "$work/switchboard.toml" >>"$work/switchboard.log" 2>&1 &
  warm_pid=$!
  pids+=("$warm_pid")
  peak=0
  for _ in $(seq 1 25); do
    sleep 1
    pss="$(awk '/^Pss:/ {print $2}' "/proc/$warm_pid/smaps_rollup" 2>/dev/null || true)"
    [[ -n "$pss" ]] || break
    ((pss > peak)) && peak=$pss
    ((pss < peak * 9 / 10)) && break
  done
  stop "$warm_pid"
  sb_ready=1
fi

# rtpengine: run.sh starts Kamailio with the kamailio-webrtc.cfg beside it, so it is run from
# a folder that puts ours (bench/rtpengine-media/kamailio.cfg) under that name, with a copy of
# run.sh whose media port range is widened: its 1,000 ports are 250 phone-to-phone calls
# (RTP and RTCP on each side), fewer than rtpengine relays.
rtp_why=""
if [[ " ${servers[*]} " == *" rtpengine "* ]]; then
  if ! command -v rtpengine >/dev/null || ! command -v kamailio >/dev/null; then
    rtp_why="rtpengine or kamailio not installed (scripts/ensure-deps.sh bench)"
  elif [[ -z "$rtp_dir" ]]; then
    rtp_why="no ../shared/bench/rtpengine/run.sh (set RTPENGINE_DIR)"
  else
    mkdir -p "$work/rtpref"
    sed 's/--port-max=30999/--port-max=39999/' "$rtp_dir/run.sh" >"$work/rtpref/run.sh"
    chmod +x "$work/rtpref/run.sh"
    grep -q -- '--port-max=39999' "$work/rtpref/run.sh" ||
      echo "bench-media: could not widen run.sh's port range: rtpengine has 250 phone calls at most" >&2
    ln -s "$kamailio_cfg" "$work/rtpref/kamailio-webrtc.cfg"
  fi
fi

for scenario in "${scenarios[@]}"; do
  for server in "${servers[@]}"; do
    case "$server" in
    switchboard)
      [[ $sb_ready == 1 ]] || continue
      SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}" "${server_cpu[@]}" "$bin" serve --config "$work/switchboard.toml" \
        >>"$work/switchboard.log" 2>&1 &
      sb_pid=$!
      pids+=("$sb_pid")
      ready=0
      for _ in $(seq 1 50); do
        kill -0 "$sb_pid" 2>/dev/null || break
        python3 "$root/scripts/sip-ping.py" 127.0.0.1 "$sip_port" 0.2 && { ready=1; break; }
      done
      if [[ $ready == 1 ]]; then
        media_load "$scenario" switchboard --ws "ws://127.0.0.1:$http_port/sip" \
          --sip "127.0.0.1:$sip_port" --pid "$sb_pid"
      else
        not_run "$scenario" switchboard "did not answer OPTIONS"
        tail -20 "$work/switchboard.log" >&2
      fi
      stop "$sb_pid"
      ;;
    rtpengine)
      if [[ -n "$rtp_why" ]]; then
        not_run "$scenario" rtpengine "$rtp_why"
        continue
      fi
      if [[ $scenario == pcmu-g729 ]] && ! rtpengine --codecs 2>/dev/null | grep -q 'G729: fully supported'; then
        not_run "$scenario" rtpengine "this rtpengine build cannot transcode G.729 (rtpengine --codecs)"
        continue
      fi
      if udp_port_busy 25060 || udp_port_busy 2223 || tcp_port_busy 28080; then
        not_run "$scenario" rtpengine "127.0.0.1:25060, :28080 or ng :2223 already taken"
        continue
      fi
      run_dir="$work/rtpengine.$scenario"
      mkdir -p "$run_dir"
      # run.sh starts both daemons; pinned here, both inherit CPU 0 (Kamailio only signals)
      RUN_DIR="$run_dir" "${server_cpu[@]}" "$work/rtpref/run.sh" 2>"$run_dir/run.err" &
      run_pid=$!
      pids+=("$run_pid")
      for _ in $(seq 1 150); do
        grep -q "run.sh: ready" "$run_dir/run.err" 2>/dev/null && break
        kill -0 "$run_pid" 2>/dev/null || break
        sleep 0.1
      done
      if grep -q "run.sh: ready" "$run_dir/run.err" 2>/dev/null; then
        media_load "$scenario" rtpengine --ws ws://127.0.0.1:28080/sip --sip 127.0.0.1:25060 \
          --pid "$(cat "$run_dir/rtpengine.pid")" --also "kamailio=$(cat "$run_dir/kamailio.pid")"
      else
        not_run "$scenario" rtpengine "run.sh did not get ready"
        tail -5 "$run_dir/run.err" "$run_dir/"*.log >&2 2>/dev/null || true
      fi
      stop "$run_pid"
      ;;
    *) echo "bench-media: unknown server $server (switchboard, rtpengine)" >&2 ;;
    esac
  done
done

# Side by side per step, then the summary the targets are about.
python3 - "$work" "${scenarios[*]}" "${servers[*]}" <<'EOF'
import os, re, sys
work, scenarios, servers = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
targets = {  # Switchboard's calls-per-core targets (issue 4); KiB per call and p99 are for all
    "opus-pcmu": ">= 85", "pcmu-g729": ">= 320", "srtp-relay": ">= 2500",
}
def read(server, scenario):
    rows, summary = {}, {}
    try:
        lines = open(os.path.join(work, f"{server}.{scenario}.out")).read().splitlines()
    except OSError:
        return None
    for l in lines:
        f = l.split()
        if f and f[0].isdigit() and len(f) >= 14:
            rows[int(f[0])] = dict(miss=f[1], p99=f[5], p99rd=f[8], cpu=f[9], cpc=f[10], kib=f[12], gen=f[13],
                                   oth=f[14] if len(f) > 14 else "-", tx=f[15] if len(f) > 15 else "-")
        elif l.startswith("SUMMARY "):
            summary = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', l))
    return rows, summary
def na(server, scenario):
    try:
        return open(os.path.join(work, f"{server}.{scenario}.na")).read().strip()
    except OSError:
        return None
results = {(sv, sc): read(sv, sc) for sc in scenarios for sv in servers}
for sc in scenarios:
    cols = [sv for sv in servers if results[(sv, sc)]]
    if not cols:
        continue
    print(f"{sc}, side by side (miss %, p99 µs through the server, p99 µs to the generator's read,")
    print("  server CPU %, calls per core, KiB per call, generator CPU %, frames it sent of those due):")
    print(f"{'calls':>5}" + "".join(f"  {sv:>64}" for sv in cols))
    print(f"{'':>5}" + "".join(f"  {'miss%':>7} {'p99 µs':>7} {'p99 rd':>7} {'CPU%':>7} {'calls/c':>8} {'KiB/call':>9} {'gen%':>5} {'tx%':>5}" for _ in cols))
    for n in sorted(set(n for sv in cols for n in results[(sv, sc)][0])):
        cells = []
        for sv in cols:
            r = results[(sv, sc)][0].get(n)
            cells.append(f"  {r['miss']:>7} {r['p99']:>7} {r['p99rd']:>7} {r['cpu']:>7} {r['cpc']:>8} {r['kib']:>9} {r['gen']:>5} {r['tx']:>5}"
                         if r else f"  {'-':>64}")
        print(f"{n:>5}" + "".join(cells))
    print()
print("summary: the most calls with <= 1 % of frames late (> 20 ms through the server) or lost, the")
print("calls per core and KiB per call there, p99 µs per packet through the server at 20 and at 85 calls")
hdr = f"{'scenario':<11} {'server':<12} {'calls':>6} {'calls/core':>11} {'KiB/call':>9} {'p99@20':>7} {'p99@85':>7} {'oth%':>5}  stopped by"
print(hdr)
print("-" * len(hdr))
for sc in scenarios:
    for sv in servers:
        res = results[(sv, sc)]
        if not res:
            why = na(sv, sc) or "not run"
            print(f"{sc:<11} {sv:<12} {'n/a':>6} {'n/a':>11} {'n/a':>9} {'n/a':>7} {'n/a':>7} {'':>5}  {why}")
            continue
        rows, d = res
        at = lambda n: rows[n]['p99'] if n in rows else '-'
        # the most other processes took of the server's core in any step: a noisy machine
        oth = max((int(r['oth']) for r in rows.values() if r['oth'].isdigit()), default=None)
        print(f"{sc:<11} {sv:<12} {d.get('ok_calls', '-'):>6} {d.get('calls_per_core', '-'):>11} "
              f"{d.get('kib_per_call', '-'):>9} {at(20):>7} {at(85):>7} {'-' if oth is None else oth:>5}  {d.get('stopped', '-')}")
    print(f"{sc:<11} {'target':<12} {'':>6} {targets.get(sc, ''):>11} {'<= 100':>9} {'< 1000':>7} {'< 1000':>7}")
print("(calls/core = N / (server CPU seconds / wall seconds); KiB/call = (PSS at N - PSS before any call) / N;")
print(" p99 through the server = send, right before sendto, to the kernel's receive stamp (SO_TIMESTAMPNS)")
print(" at the far end, both directions; a ramp the generator stopped is a lower bound on the server's calls;")
print(" oth% = the most other processes took of the server's core in a step: they run while it idles; without")
print(" SCHED_FIFO (not root) they also delay it, and then p99 is mostly theirs)")
EOF
