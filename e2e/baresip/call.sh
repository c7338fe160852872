#!/usr/bin/env bash
# baresip as a real phone: two baresip instances, each with its own config dir under WORKDIR,
# bound to 127.0.0.1 only (no STUN/ICE/TURN modules loaded), G.711, audio source a tone WAV
# (caller 697 Hz, callee 1209 Hz, made here), the audio each one decodes dumped to a WAV by the
# sndfile module. The callee auto-answers; the caller hangs up after about 5 s (-t). Then a
# Goertzel check (tone.py) that each side recorded the OTHER side's tone and not its own.
#
#   call.sh --direct WORKDIR
#       the caller dials the callee at its address (no server): checks this script itself
#   call.sh --server HOST:PORT --domain D --caller EXT:PW --callee EXT:PW [--rtp LOW] WORKDIR
#       both register with the server (outbound proxy HOST:PORT, digest auth), the caller
#       dials sip:CALLEE@D through it
# Exit 0 when both directions carried the right tone; the last line says what was found.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="" server="" domain="" caller="" callee="" rtp_low=""
while (($#)); do
  case "$1" in
    --direct) mode=direct ;;
    --server) mode=server; server="$2"; shift ;;
    --domain) domain="$2"; shift ;;
    --caller) caller="$2"; shift ;;
    --callee) callee="$2"; shift ;;
    --rtp) rtp_low="$2"; shift ;;
    *) work="$1" ;;
  esac
  shift
done
[[ -n "$mode" && -n "${work:-}" ]] || { sed -n '2,16p' "$0"; exit 2; }
command -v baresip >/dev/null 2>&1 || { echo "baresip missing (scripts/ensure-deps.sh installs it)"; exit 1; }
mkdir -p "$work"
work="$(cd "$work" && pwd)"
caller_tone=697 callee_tone=1209
# shellcheck disable=SC2207
ports=($(python3 "$here/../../scripts/free-ports.py" 2 --with-next))
# RTP ranges of 200 ports each: apart from each other and from the server's [media] range.
rtp_low="${rtp_low:-$((30000 + RANDOM % 100 * 200))}"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

phone() { # name sip-port tone rtp-low account-line
  local dir="$work/$1"
  mkdir -p "$dir/rec"
  rm -f "$dir"/rec/*.wav
  python3 "$here/tone.py" gen "$dir/tone.wav" "$3" 30
  cat >"$dir/config" <<CONF
# written by e2e/baresip/call.sh: loopback only, no NAT traversal modules, no sound card
poll_method		epoll
sip_listen		127.0.0.1:$2
sip_transports		udp
net_interface		127.0.0.1
audio_path		/usr/share/baresip
audio_player		alsa,null
audio_alert		alsa,null
audio_source		aufile,$dir/tone.wav
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
rtp_ports		$4-$(($4 + 199))
rtcp_mux		no
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module			sndfile.so
module			menu.so
module_app		account.so
snd_path		$dir/rec
CONF
  echo "$5" >"$dir/accounts"
}

if [[ $mode == direct ]]; then
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" "<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA"
  phone callee "${ports[1]}" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:callee@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA"
  target="sip:callee@127.0.0.1:${ports[1]}"
else
  host="${server%:*}" port="${server#*:}"
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" \
    "<sip:${caller%%:*}@$domain;transport=udp>;auth_pass=${caller#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;audio_codecs=PCMU,PCMA"
  phone callee "${ports[1]}" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:${callee%%:*}@$domain;transport=udp>;auth_pass=${callee#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;answermode=auto;audio_codecs=PCMU,PCMA"
  target="sip:${callee%%:*}@$domain"
fi

baresip -f "$work/callee" -t 30 </dev/null >"$work/callee.log" 2>&1 &
callee_pid=$!
pids+=("$callee_pid")
# Ready when it says so; registered when a 200 to its REGISTER was logged.
ready_re="baresip is ready"
[[ $mode == server ]] && ready_re="200 OK"
for _ in $(seq 1 100); do
  grep -q "$ready_re" "$work/callee.log" 2>/dev/null && break
  kill -0 "$callee_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "$ready_re" "$work/callee.log"; then
  echo "callee did not get ready (${ready_re}):"; tail -20 "$work/callee.log"; echo "FAIL: callee not ready"; exit 1
fi

# The caller dials at start and quits (hanging up: BYE) after 6 s.
baresip -f "$work/caller" -t 6 -e "/dial $target" </dev/null >"$work/caller.log" 2>&1
sleep 0.5
kill -INT "$callee_pid" 2>/dev/null
for _ in $(seq 1 30); do kill -0 "$callee_pid" 2>/dev/null || break; sleep 0.1; done

rc=0
established=0
grep -q "Call established" "$work/caller.log" && grep -q "Call established" "$work/callee.log" && established=1
((established)) || { echo "call not established"; rc=1; }
check() { # side expected-tone own-tone
  local f
  f="$(ls "$work/$1"/rec/*-dec.wav 2>/dev/null | head -1)"
  if [[ -z "$f" ]]; then echo "$1: no recording of received audio"; return 1; fi
  python3 "$here/tone.py" check "$f" "$2" "$3"
}
check caller "$callee_tone" "$caller_tone" || rc=1
check callee "$caller_tone" "$callee_tone" || rc=1
if ((rc)); then
  echo "--- caller log"; grep -v '^\[' "$work/caller.log" | tr -d '\r' | tail -25
  echo "--- callee log"; grep -v '^\[' "$work/callee.log" | tr -d '\r' | tail -25
  echo "FAIL: audio both ways not confirmed"
else
  echo "ok: caller heard ${callee_tone} Hz, callee heard ${caller_tone} Hz"
fi
exit $rc
