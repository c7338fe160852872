#!/usr/bin/env bash
# Media bench of `make bench` (scripts/bench.sh runs it after the call bench; it also runs alone):
# tools/media-load ramps N concurrent browser-like calls (SIP over WebSocket, full ICE,
# DTLS-SRTP, Opus 48 kHz complexity 5) to a plain phone (SIP over UDP, RTP/AVP PCMU) through
# the server, which transcodes Opus <-> G.711 both ways, until more than 1 % of the frames
# miss their 20 ms deadline. Two servers in the same run, one after the other, each pinned to
# CPU 0 with the generator on CPU 1:
#   switchboard   the release binary, a temp config and data dir, extensions added by the CLI
#   rtpengine     ../shared/bench/rtpengine/run.sh: Kamailio (signalling) + rtpengine 10.5
#                 (media, userspace, transcoding); rtpengine's CPU and PSS are measured,
#                 Kamailio's CPU is shown apart ("sig CPU%")
# Per step: miss ratio (both directions and each), p50/p99 latency per packet through the
# server (send by one end to arrival at the other, on loopback), server CPU -> calls per core
# (N / cores used), PSS of the media process -> KiB per call ((PSS at N - PSS before) / N).
#
# Environment: BENCH_MEDIA_STEPS ("10,20,40,80,120,160,200,240,280,320,400,480"),
# BENCH_MEDIA_SECONDS (10 per step), BENCH_MEDIA_MAX (480 calls), BENCH_MEDIA_SERVERS
# ("switchboard rtpengine"), BENCH_MEDIA_KEEP=1 (keep logs), RTPENGINE_DIR
# (../shared/bench/rtpengine), SWITCHBOARD_BIN and MEDIA_LOAD_BIN (default: cargo build --release).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
while read -r var; do
  [[ $var == SWITCHBOARD_LOG || $var == SWITCHBOARD_BIN ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
steps="${BENCH_MEDIA_STEPS:-10,20,40,80,120,160,200,240,280,320,400,480}"
seconds="${BENCH_MEDIA_SECONDS:-10}"
max="${BENCH_MEDIA_MAX:-480}"
read -r -a servers <<<"${BENCH_MEDIA_SERVERS:-switchboard rtpengine}"
domain="example.com" password=secret callee=1002 caller_base=3000  # run.sh's users: any, "secret"
rtp_dir="${RTPENGINE_DIR:-}"
for d in "$root/../shared/bench/rtpengine" /work/shared/bench/rtpengine; do
  [[ -z "$rtp_dir" && -x "$d/run.sh" ]] && rtp_dir="$d"
done

target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin="${SWITCHBOARD_BIN:-}" load="${MEDIA_LOAD_BIN:-}"
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

# two sockets per call on the generator, four or more on the server, plus WebSockets
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

server_cpu=() load_cpu=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
fi

stop() { # PID...: stop and reap
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

udp_port_busy() { [[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]]; }
tcp_port_busy() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# media_load NAME ARGS...: the ramp; its table on stdout and in $work/NAME.out
media_load() {
  local name="$1"
  shift
  set +e
  "${load_cpu[@]}" "$load" --label "$name" --domain "$domain" --caller "1001:$password" \
    --caller-base "$caller_base" --callee "$callee:$password" --steps "$steps" \
    --seconds "$seconds" --max "$max" "$@" 2>"$work/$name.err" | tee "$work/$name.out"
  local rc=${PIPESTATUS[0]}
  set -e
  if [[ $rc != 0 ]]; then
    echo "bench-media: media-load against $name failed (exit $rc):" >&2
    grep -v '^ *[0-9]*: \|^ *at ' "$work/$name.err" | head -8 >&2
  fi
  echo
}

echo "make bench: media, N browser calls (SIP/WS, ICE, DTLS-SRTP, Opus 48 kHz) <-> N phone calls"
echo "  (SIP/UDP, RTP/AVP PCMU) transcoded by the server; steps $steps, ${seconds} s each,"
echo "  until > 1 % of frames miss 20 ms; ${server_cpu[*]:-unpinned} for the server,"
echo "  ${load_cpu[*]:-unpinned} for tools/media-load (one thread)"
echo

for server in "${servers[@]}"; do
  case "$server" in
  switchboard)
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
    # one caller extension per call, so no AOR collects hundreds of contacts
    seq "$caller_base" $((caller_base + max - 1)) |
      xargs -P 4 -I{} "$bin" --config "$work/switchboard.toml" extension add {} --password "$password" >/dev/null
    SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}" "${server_cpu[@]}" "$bin" serve --config "$work/switchboard.toml" \
      >"$work/switchboard.log" 2>&1 &
    sb_pid=$!
    pids+=("$sb_pid")
    ready=0
    for _ in $(seq 1 50); do
      kill -0 "$sb_pid" 2>/dev/null || break
      python3 "$root/scripts/sip-ping.py" 127.0.0.1 "$sip_port" 0.2 && { ready=1; break; }
    done
    if [[ $ready == 1 ]]; then
      media_load switchboard --ws "ws://127.0.0.1:$http_port/sip" --sip "127.0.0.1:$sip_port" --pid "$sb_pid"
    else
      echo "bench-media: switchboard did not answer OPTIONS; its output:" >&2
      tail -20 "$work/switchboard.log" >&2
    fi
    stop "$sb_pid"
    ;;
  rtpengine)
    if ! command -v rtpengine >/dev/null || ! command -v kamailio >/dev/null; then
      echo "bench-media: rtpengine or kamailio not installed (scripts/ensure-deps.sh bench); rtpengine skipped" >&2
      continue
    fi
    if [[ -z "$rtp_dir" ]]; then
      echo "bench-media: no ../shared/bench/rtpengine/run.sh (set RTPENGINE_DIR); rtpengine skipped" >&2
      continue
    fi
    if udp_port_busy 25060 || udp_port_busy 2223 || tcp_port_busy 28080; then
      echo "bench-media: 127.0.0.1:25060, :28080 or ng :2223 already taken; rtpengine skipped" >&2
      continue
    fi
    mkdir -p "$work/rtpengine"
    # run.sh starts both daemons; pinned here, both inherit CPU 0 (Kamailio only signals)
    RUN_DIR="$work/rtpengine" "${server_cpu[@]}" "$rtp_dir/run.sh" 2>"$work/rtpengine/run.err" &
    run_pid=$!
    pids+=("$run_pid")
    for _ in $(seq 1 150); do
      grep -q "run.sh: ready" "$work/rtpengine/run.err" 2>/dev/null && break
      kill -0 "$run_pid" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q "run.sh: ready" "$work/rtpengine/run.err" 2>/dev/null; then
      rtp_pid="$(cat "$work/rtpengine/rtpengine.pid")"
      kam_pid="$(cat "$work/rtpengine/kamailio.pid")"
      media_load rtpengine --ws ws://127.0.0.1:28080/sip --sip 127.0.0.1:25060 \
        --pid "$rtp_pid" --also "kamailio=$kam_pid"
    else
      echo "bench-media: run.sh did not get ready:" >&2
      tail -5 "$work/rtpengine/run.err" "$work/rtpengine/"*.log >&2 2>/dev/null || true
    fi
    stop "$run_pid"
    ;;
  *) echo "bench-media: unknown server $server (switchboard, rtpengine)" >&2 ;;
  esac
done

# Side by side, per step: the figures the targets are about.
python3 - "$work" "${servers[@]}" <<'EOF'
import os, re, sys
work, servers = sys.argv[1], sys.argv[2:]
rows, summary = {}, {}
for s in servers:
    try:
        lines = open(os.path.join(work, f"{s}.out")).read().splitlines()
    except OSError:
        continue
    for l in lines:
        f = l.split()
        if f and f[0].isdigit() and len(f) >= 13:
            rows.setdefault(int(f[0]), {})[s] = (f[1], f[5], f[9], f[11], f[8])
        elif l.startswith("SUMMARY "):
            summary[s] = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', l))
cols = [s for s in servers if s in summary or any(s in r for r in rows.values())]
if not cols:
    sys.exit(0)
print("side by side (miss %, p99 µs per packet, server CPU %, calls per core, KiB per call):")
print(f"{'calls':>5}" + "".join(f"  {s:>44}" for s in cols))
print(f"{'':>5}" + "".join(f"  {'miss%':>7} {'p99 µs':>8} {'CPU%':>7} {'calls/c':>9} {'KiB/call':>9}" for _ in cols))
for n in sorted(rows):
    cells = []
    for s in cols:
        miss, p99, cpc, kib, cpu = rows[n].get(s, ("-",) * 5)
        cells.append(f"  {miss:>7} {p99:>8} {cpu:>7} {cpc:>9} {kib:>9}")
    print(f"{n:>5}" + "".join(cells))
print()
print("at the most calls with <= 1 % of frames late or lost:")
print(f"{'':<12} {'calls':>6} {'calls/core':>11} {'KiB/call':>9} {'p99 µs':>8}  stopped by")
for s in cols:
    d = summary.get(s, {})
    print(f"{s:<12} {d.get('ok_calls', '-'):>6} {d.get('calls_per_core', '-'):>11} "
          f"{d.get('kib_per_call', '-'):>9} {d.get('p99_us', '-'):>8}  {d.get('stopped', '-').strip(chr(34))}")
print(f"{'target':<12} {'':>6} {'>= 85':>11} {'<= 100':>9} {'< 1000':>8}  (Switchboard, Opus complexity 5 <-> G.711)")
print("(calls/core = N / (server CPU seconds / wall seconds); KiB/call = (PSS at N - PSS before any call) / N;")
print(" p99 = 99th percentile of send-to-arrival time per packet, both directions, through the server on")
print(" loopback, including the generator's own scheduling: see gen% in the tables above)")
EOF
