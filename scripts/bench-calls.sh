#!/usr/bin/env bash
# Call benchmark of `make bench` (scripts/bench.sh runs it after the REGISTER bench; it also runs
# alone): sipp UAC -> server -> sipp UAS at fixed rates, Switchboard next to Kamailio in the same
# run, CPU microseconds per call.
#
# Three servers, one after the other, each pinned to CPU 0 with both sipps on CPU 1:
#   kamailio proxy        ../shared/bench/kamailio/proxy.cfg as it is: stateful record-routing
#                         proxy to a sipp UAS on 127.0.0.1:15070, no auth (the signalling floor)
#   kamailio auth+lookup  bench/kamailio-calls/auth-proxy.cfg: digest (407) on every INVITE,
#                         usrloc lookup of the registered callee, record-route, t_relay
#   switchboard B2BUA     digest + dial plan + lookup + two dialogs + SDP rewrite + media ports
# A call is INVITE with SDP, (407, ACK, INVITE with Proxy-Authorization,) 100/180/200 with SDP,
# ACK, BENCH_CALL_HOLD_MS up, BYE, 200 (e2e/sipp/bench-call-uac.xml and -uac-noauth.xml; the
# callee answers with e2e/sipp/bench-call-uas.xml after registering with bench-call-register.xml).
# We read utime+stime of the server's processes (/proc/PID/stat fields 14 and 15, the process and
# all its descendants) before and after each rate, and divide by the successful calls.
#
# Environment: BENCH_CALL_RATES ("100 300 1000"), BENCH_CALL_SECONDS (30 per rate),
# BENCH_CALL_WARMUP (2: seconds of calls at the same rate before measuring), BENCH_CALL_HOLD_MS
# (100), BENCH_CALL_LIMIT (concurrent calls sipp may have open; default rate x (hold + 1 s)),
# BENCH_CALL_SERVERS ("switchboard kamailio-proxy kamailio-auth"), KAMAILIO_PROXY_CFG,
# BENCH_CALL_KEEP=1 (keep the work directory: server logs, sipp screens and error files),
# SWITCHBOARD_BIN (default: cargo build --release, target/release/switchboard).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SWITCHBOARD_BIN:-}"
# The server reads SWITCHBOARD_<SECTION>_<KEY> overrides (and warns about unknown ones): drop
# them all but SWITCHBOARD_LOG so the config written below is what runs.
while read -r var; do
  [[ $var == SWITCHBOARD_LOG ]] || unset "$var"
done < <(compgen -e | grep '^SWITCHBOARD_' || true)
read -r -a rates <<<"${BENCH_CALL_RATES:-100 300 1000}"
read -r -a servers <<<"${BENCH_CALL_SERVERS:-switchboard kamailio-proxy kamailio-auth}"
seconds="${BENCH_CALL_SECONDS:-30}"
warmup_s="${BENCH_CALL_WARMUP:-2}"
hold_ms="${BENCH_CALL_HOLD_MS:-100}"
domain="example.com"          # the alias auth-proxy.cfg accepts; Switchboard is configured the same
caller=1001 callee=1002 password=secret   # auth-proxy.cfg's password for every user
sipp_dir="$root/e2e/sipp"
proxy_cfg="${KAMAILIO_PROXY_CFG:-}"
for c in "$root/../shared/bench/kamailio/proxy.cfg" /work/shared/bench/kamailio/proxy.cfg; do
  [[ -z "$proxy_cfg" && -f "$c" ]] && proxy_cfg="$c"
done
auth_cfg="$root/bench/kamailio-calls/auth-proxy.cfg"
kamailio_port=15060 uas_port_kamailio=15070   # fixed in both Kamailio configs
hz="$(getconf CLK_TCK)"

if [[ -z "$bin" && " ${servers[*]} " == *" switchboard "* ]]; then
  (cd "$root" && cargo build --release -p switchboard)
  bin="$root/target/release/switchboard"
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then bin="$CARGO_TARGET_DIR/release/switchboard"; fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-bench-calls.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ "${BENCH_CALL_KEEP:-0}" == 1 ]]; then
    echo "bench-calls: logs, sipp screens and error files kept in $work" >&2
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

# "utime stime" in clock ticks, summed over a process and all its descendants (as bench.sh).
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
        stats[int(d)] = (int(rest[1]), int(rest[11]), int(rest[12]))
want, frontier = {root}, [root]
while frontier:
    p = frontier.pop()
    frontier += [c for c, (pp, _, _) in stats.items() if pp == p and c not in want]
    want.update(frontier)
print(sum(stats[p][1] for p in want if p in stats), sum(stats[p][2] for p in want if p in stats))
EOF
}

# Any SIP answer to an OPTIONS with Max-Forwards 0 from 127.0.0.1:PORT (the server's PID $2 must
# live). Max-Forwards 0 because proxy.cfg relays everything else, an OPTIONS too, to the UAS.
wait_sip_ready() {
  python3 - "$1" "$2" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.2)
local = s.getsockname()[1]
for n in range(50):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-ready-{os.getpid()}-{n};rport\r\n"
           f"From: <sip:ping@127.0.0.1>;tag=r{os.getpid()}\r\nTo: <sip:127.0.0.1:{port}>\r\n"
           f"Call-ID: ready-{os.getpid()}-{n}@127.0.0.1\r\nCSeq: {n + 1} OPTIONS\r\n"
           "Max-Forwards: 0\r\nContent-Length: 0\r\n\r\n")
    try:
        s.sendto(msg.encode(), ("127.0.0.1", port))
        if s.recvfrom(65535)[0].startswith(b"SIP/2.0 "):
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

udp_port_busy() { [[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]]; }

# register_callee SERVER_PORT UAS_PORT: the callee's binding, from the port its UAS will use.
register_callee() {
  "${load_cpu[@]}" timeout -s INT 20 sipp -sf "$sipp_dir/bench-call-register.xml" \
    -key domain "$domain" -key expires 86400 -auth_uri "$domain" \
    -s "$callee" -au "$callee" -ap "$password" -i 127.0.0.1 -p "$2" -m 1 \
    -recv_timeout 5000 -nostdin "127.0.0.1:$1" >"$work/register.out" 2>&1
}

# start_uas PORT NAME: the callee, answering every INVITE for the rest of this server's runs.
start_uas() {
  "${load_cpu[@]}" sipp -sf "$sipp_dir/bench-call-uas.xml" -s "$callee" -i 127.0.0.1 -p "$1" \
    -recv_timeout 10000 -nostdin -trace_err -error_file "$work/$2-uas.err" \
    -trace_stat -stf "$work/$2-uas.csv" -fd 1 >/dev/null 2>&1 &
  uas_pid=$!
  pids+=("$uas_pid")
}

# run_calls PORT RATE CALLS SCENARIO OUT [sipp args]: sets $sipp_rc, sipp's final screen in OUT.
# SIGINT on timeout: sipp then stops and still prints its counters.
run_calls() {
  local port="$1" rate="$2" calls="$3" scenario="$4" out="$5" local_port limit
  shift 5
  local_port="$(python3 "$root/scripts/free-ports.py" 1)"
  limit="${BENCH_CALL_LIMIT:-$((rate * (hold_ms + 1000) / 1000))}"
  set +e
  "${load_cpu[@]}" timeout -s INT -k 10 $((2 * calls / rate + 60)) sipp -sf "$scenario" \
    -key domain "$domain" -key caller "$caller" -s "$callee" -d "$hold_ms" "$@" \
    -i 127.0.0.1 -p "$local_port" -r "$rate" -m "$calls" -l "$limit" -recv_timeout 5000 \
    -nostdin -trace_err -error_file "$out.err" "127.0.0.1:$port" >"$out" 2>&1
  sipp_rc=$?
  set -e
}

# "created ok failed cps": cumulative counters from sipp's final screen
sipp_counts() {
  awk -F'|' '
    function cum(f) { gsub(/ /, "", f); return f }
    /Outgoing calls created/ { c = cum($3) }
    /Successful call/ { o = cum($3) }
    /Failed call/ { f = cum($3) }
    /Call Rate/ { r = cum($3); sub(/cps/, "", r) }
    END { print (c == "" ? "?" : c), (o == "" ? "?" : o), (f == "" ? "?" : f), (r == "" ? "?" : r) }
  ' "$1"
}

# Why the calls failed: sipp's first complaint, on one line.
first_error() {
  grep -h -m1 -o -E '(Aborting|Call-Id|[Ee]rror).*' "$1.err" "$1" 2>/dev/null | head -1 |
    tr -d '\r' | sed -E 's/(aborting call|received .SIP\/2\.0 [0-9]+ [^'"'"']*).*/\1/' | cut -c1-220
}

declare -A cell detail
# measure_rates NAME PID PORT SCENARIO [sipp args]: one result per rate
measure_rates() {
  local name="$1" pid="$2" port="$3" scenario="$4" rate before after t0 t1 out
  shift 4
  for rate in "${rates[@]}"; do
    out="$work/$name-$rate.out"
    ok=1
    if ((warmup_s > 0)); then
      run_calls "$port" "$rate" $((rate * warmup_s)) "$scenario" "$out" "$@"
      read -r _ ok _ _ < <(sipp_counts "$out")
    fi
    if [[ $ok == 0 || $ok == "?" ]]; then
      echo "bench-calls: $name at $rate/s: no call succeeded in the warm-up (sipp exit $sipp_rc): $(first_error "$out")" >&2
      cell["$name|$rate"]="refused"
      return
    fi
    before="$(tree_ticks "$pid")"
    t0="$(date +%s.%N)"
    run_calls "$port" "$rate" $((rate * seconds)) "$scenario" "$out" "$@"
    t1="$(date +%s.%N)"
    after="$(tree_ticks "$pid")"
    read -r created ok failed cps < <(sipp_counts "$out")
    [[ $sipp_rc == 0 ]] || echo "bench-calls: $name at $rate/s: sipp exit $sipp_rc ($ok ok, $failed failed): $(first_error "$out")" >&2
    read -r us sys wall < <(python3 -c "
user, system = [a - b for a, b in zip(map(int, '$after'.split()), map(int, '$before'.split()))]
ok = int('$ok') if '$ok'.isdigit() else 0
print(f'{(user + system) * 1e6 / $hz / ok:.1f}' if ok else '-',
      f'{100 * system / max(user + system, 1):.0f}%', f'{$t1 - $t0:.1f}')")
    cell["$name|$rate"]="$us $ok/$failed"
    detail["$name|$rate"]="$(printf '%-22s %6s %10s %8s %8s %12s %10s %10s %8s' \
      "$name" "$rate" "$created" "$ok" "$failed" "$us" "$sys" "$cps" "$wall")"
  done
}

# stop_uas NAME: after the last BYE has had time to arrive, what the callee saw: every call it
# answered must have been ACKed and hung up (else it fails on its 10 s receive timeout).
declare -A callee_seen
stop_uas() {
  sleep 2
  callee_seen["$1"]="$(python3 - "$work/$1-uas.csv" <<'EOF'
import sys
try:
    rows = [l.rstrip(";\n").split(";") for l in open(sys.argv[1]) if l.strip()]
    head, last = rows[0], rows[-1]
    col = lambda name: last[head.index(name)]
    print(f"{col('SuccessfulCall(C)')} completed, {col('FailedCall(C)')} failed, {col('CurrentCall')} still open")
except (OSError, IndexError, ValueError):
    print("no statistics")
EOF
)"
  stop "$uas_pid"
}

stop() { # PID...: stop and reap
  for p in "$@"; do kill "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

wait_ports_free() { # the Kamailio configs' fixed ports, after an earlier run (bench.sh's registrar)
  for _ in $(seq 1 50); do
    udp_port_busy "$kamailio_port" || udp_port_busy "$uas_port_kamailio" || return 0
    sleep 0.1
  done
  echo "bench-calls: something holds UDP 127.0.0.1:$kamailio_port or :$uas_port_kamailio; $1 skipped" >&2
  return 1
}

# rtp_ports below the kernel's ephemeral range, so media ports never take the port a sipp was given.
low="$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 40000)"
rtp_ports="20000-39999"
((low > 24000 && low <= 40000)) && rtp_ports="20000-$((low - 1))"

echo "make bench: calls (INVITE with SDP, [407, ACK, INVITE with digest,] 180, 200 with SDP, ACK,"
echo "  ${hold_ms} ms up, BYE, 200), sipp uac -> server -> sipp uas (registered callee)"
echo "  rates ${rates[*]} calls/s, ${seconds} s each after ${warmup_s} s of warm-up at the same rate"
echo "  ${server_cpu[*]:-unpinned} for the server, ${load_cpu[*]:-unpinned} for both sipps"
echo

kam_version="$(kamailio -v 2>/dev/null | awk '/^version:/ {print $3}' || true)"
for server in "${servers[@]}"; do
  case "$server" in
  switchboard)
    read -r sip_port http_port uas_port < <(python3 "$root/scripts/free-ports.py" 3)
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
rtp_ports = "$rtp_ports"

[registrar]
qualify_interval = 0
max_expires = 86400
# sipp 3.6 answers the first challenge only and knows only MD5 (see e2e/interop.sh).
digest_sha256_first = false
EOF
    for ext in "$caller" "$callee"; do
      "$bin" --config "$work/switchboard.toml" extension add "$ext" --password "$password" >/dev/null
    done
    SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-warn}" "${server_cpu[@]}" "$bin" serve --config "$work/switchboard.toml" \
      >"$work/switchboard.log" 2>&1 &
    sb_pid=$!
    pids+=("$sb_pid")
    if ! wait_sip_ready "$sip_port" "$sb_pid"; then
      echo "bench-calls: switchboard did not answer OPTIONS; its output:" >&2
      tail -20 "$work/switchboard.log" >&2
    elif ! register_callee "$sip_port" "$uas_port"; then
      echo "bench-calls: switchboard: the callee's registration failed:" >&2
      tail -15 "$work/register.out" >&2
    else
      start_uas "$uas_port" switchboard
      measure_rates switchboard "$sb_pid" "$sip_port" "$sipp_dir/bench-call-uac.xml" \
        -au "$caller" -ap "$password" -auth_uri "$callee@$domain"
      stop_uas switchboard
    fi
    stop "$sb_pid"
    ;;
  kamailio-proxy | kamailio-auth)
    if ! command -v kamailio >/dev/null; then
      echo "bench-calls: kamailio not installed (scripts/ensure-deps.sh bench); $server skipped" >&2
      continue
    fi
    cfg="$auth_cfg"
    [[ $server == kamailio-proxy ]] && cfg="$proxy_cfg"
    if [[ -z "$cfg" || ! -f "$cfg" ]]; then
      echo "bench-calls: no config for $server (set KAMAILIO_PROXY_CFG; expected ../shared/bench/kamailio/proxy.cfg)" >&2
      continue
    fi
    wait_ports_free "$server" || continue
    # -DD -E: foreground, log to stderr (daemonized it logs to syslog, ~10x the CPU here);
    # -x tlsf: the fast allocator. Its workers are children of this PID.
    "${server_cpu[@]}" kamailio -f "$cfg" -x tlsf -m 256 -M 16 -DD -E >"$work/$server.log" 2>&1 &
    kam_pid=$!
    pids+=("$kam_pid")
    if ! wait_sip_ready "$kamailio_port" "$kam_pid"; then
      echo "bench-calls: $server did not start; its output:" >&2
      tail -20 "$work/$server.log" >&2
    elif [[ $server == kamailio-auth ]] && ! register_callee "$kamailio_port" "$uas_port_kamailio"; then
      echo "bench-calls: $server: the callee's registration failed:" >&2
      tail -15 "$work/register.out" >&2
    else
      start_uas "$uas_port_kamailio" "$server"
      if [[ $server == kamailio-proxy ]]; then
        measure_rates "$server" "$kam_pid" "$kamailio_port" "$sipp_dir/bench-call-uac-noauth.xml"
      else
        measure_rates "$server" "$kam_pid" "$kamailio_port" "$sipp_dir/bench-call-uac.xml" \
          -au "$caller" -ap "$password" -auth_uri "$callee@$domain"
      fi
      stop_uas "$server"
    fi
    stop "$kam_pid"
    ;;
  *) echo "bench-calls: unknown server $server (switchboard, kamailio-proxy, kamailio-auth)" >&2 ;;
  esac
done

declare -A title=(
  [kamailio-proxy]="kamailio ${kam_version} proxy"
  [kamailio-auth]="kamailio auth+lookup"
  [switchboard]="switchboard B2BUA"
)
printf '%-8s' "calls/s"
for s in "${servers[@]}"; do printf ' %26s' "${title[$s]:-$s}"; done
echo
printf '%-8s' ""
for _ in "${servers[@]}"; do printf ' %26s' "CPU µs/call  ok/failed"; done
echo
for rate in "${rates[@]}"; do
  printf '%-8s' "$rate"
  for s in "${servers[@]}"; do
    read -r us counts <<<"${cell["$s|$rate"]:--}"
    printf ' %14s %11s' "$us" "${counts:-}"
  done
  echo
done
echo "(CPU of the server's processes per successful call; kamailio proxy: no auth, no lookup, no SDP;"
echo " auth+lookup: 407 round + location lookup like Switchboard; switchboard also rewrites SDP and"
echo " opens media ports. Target: Switchboard <= 200 µs/call, zero failed calls at 300 calls/s)"
echo
printf '%-22s %6s %10s %8s %8s %12s %10s %10s %8s\n' \
  "server" "rate" "attempted" "ok" "failed" "CPU µs/call" "of it sys" "sipp cps" "wall s"
for s in "${servers[@]}"; do
  for rate in "${rates[@]}"; do
    [[ -n "${detail["$s|$rate"]:-}" ]] && echo "${detail["$s|$rate"]}"
  done
done
echo "callee (sipp UAS, all rates and warm-ups of each server; a call counts when ACKed and hung up):"
for s in "${servers[@]}"; do
  [[ -n "${callee_seen[$s]:-}" ]] && printf '  %-22s %s\n' "$s" "${callee_seen[$s]}"
done
echo
