#!/usr/bin/env bash
# baresip as a real phone: two baresip instances, each with its own config dir under WORKDIR,
# bound to a loopback address (127.0.0.1, or a provider's own) with no STUN/ICE/TURN modules
# loaded, G.711 (or as told), audio source a tone WAV (caller 697 Hz, callee 1209 Hz, made
# here), the audio each one decodes dumped to a WAV by the sndfile module. The callee auto-answers; the caller hangs up after about 5 s (-t). Then a
# Goertzel check (tone.py) that each side recorded the OTHER side's tone and not its own.
#
#   call.sh --direct WORKDIR
#       the caller dials the callee at its address (no server): checks this script itself
#   call.sh --server HOST:PORT --domain D --caller EXT:PW --callee EXT:PW [--rtp LOW] WORKDIR
#       both register with the server (outbound proxy HOST:PORT, digest auth), the caller
#       dials sip:CALLEE@D through it
#   call.sh --trunk HOST:PORT --domain D --did NUMBER --callee EXT:PW [--caller-ip IP]
#           [--caller-number N] [--rtp LOW] WORKDIR
#       the callee registers as with --server; the caller plays a SIP trunk provider: it
#       does not register, listens on IP (default 127.0.0.4, the trunk's address) and
#       calls sip:NUMBER@HOST:PORT from N (default +13125559999), answering no challenge
#   call.sh --trunk-out HOST:PORT --domain D --caller EXT:PW --dial NUMBER --callee-ip IP
#           --callee-port PORT [--callee-number N] [--rtp LOW] WORKDIR
#       the caller registers as with --server and dials sip:NUMBER@D; the callee plays the
#       provider a trunk sends that call to: it does not register, listens on IP:PORT (the
#       trunk's host) and answers the INVITE for sip:N@IP (N: the number as the route sends
#       it, default NUMBER)
# Options for any mode:
#   --caller-codecs LIST, --callee-codecs LIST
#       each phone's audio_codecs (default PCMU,PCMA; G722 is loaded too, named G722/16000)
#   --expect-codecs A:B
#       the caller must encode with A and the callee with B ("audio: Set audio encoder")
#   --srtp MODE
#       both accounts ;mediaenc=MODE (srtp, srtp-mand, srtp-mandf; the srtp module, SDES).
#       Then each phone must log "SRTP is Enabled" and no SRTP failure, and its SIP trace
#       (-s) must show the SDP it received (the callee's INVITE that it took, the caller's
#       200) with a=crypto, and RTP/SAVP unless MODE is plain "srtp". Through a server, the
#       key the caller got must not be the one the callee sent (the server answered with its
#       own key).
#   --srtp-side caller|callee|both
#       which phone uses --srtp (default both); the other one is a plain phone and must get
#       RTP/AVP without a=crypto and not enable SRTP
# Exit 0 when both directions carried the right tone; the last line says what was found.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mode="" server="" domain="" caller="" callee="" rtp_low="" did="" caller_ip=127.0.0.4
caller_number=+13125559999 dial="" callee_ip="" callee_port="" callee_number=""
caller_codecs="PCMU,PCMA" callee_codecs="PCMU,PCMA" expect_codecs="" srtp="" srtp_side=both
while (($#)); do
  case "$1" in
    --direct) mode=direct ;;
    --server) mode=server; server="$2"; shift ;;
    --trunk) mode=trunk; server="$2"; shift ;;
    --trunk-out) mode=trunk-out; server="$2"; shift ;;
    --dial) dial="$2"; shift ;;
    --callee-ip) callee_ip="$2"; shift ;;
    --callee-port) callee_port="$2"; shift ;;
    --callee-number) callee_number="$2"; shift ;;
    --did) did="$2"; shift ;;
    --caller-ip) caller_ip="$2"; shift ;;
    --caller-number) caller_number="$2"; shift ;;
    --domain) domain="$2"; shift ;;
    --caller) caller="$2"; shift ;;
    --callee) callee="$2"; shift ;;
    --rtp) rtp_low="$2"; shift ;;
    --caller-codecs) caller_codecs="$2"; shift ;;
    --callee-codecs) callee_codecs="$2"; shift ;;
    --expect-codecs) expect_codecs="$2"; shift ;;
    --srtp) srtp="$2"; shift ;;
    --srtp-side) srtp_side="$2"; shift ;;
    *) work="$1" ;;
  esac
  shift
done
[[ -n "$mode" && -n "${work:-}" ]] || { sed -n '2,39p' "$0"; exit 2; }
[[ $mode != trunk || -n "$did" ]] || { echo "--trunk needs --did NUMBER"; exit 2; }
[[ $mode != trunk-out || (-n "$dial" && -n "$callee_ip" && -n "$callee_port") ]] ||
  { echo "--trunk-out needs --dial NUMBER --callee-ip IP --callee-port PORT"; exit 2; }
[[ $srtp_side == caller || $srtp_side == callee || $srtp_side == both ]] || { echo "--srtp-side: caller, callee or both"; exit 2; }
command -v baresip >/dev/null 2>&1 || { echo "baresip missing (scripts/ensure-deps.sh installs it)"; exit 1; }
mkdir -p "$work"
work="$(cd "$work" && pwd)"
caller_tone=697 callee_tone=1209
# shellcheck disable=SC2207
ports=($(python3 "$here/../../scripts/free-ports.py" 2 --with-next))
# RTP ranges of 200 ports each: apart from each other and from the server's [media] range.
rtp_low="${rtp_low:-$((30000 + RANDOM % 100 * 200))}"
caller_enc="" callee_enc=""
srtp_module="#module			srtp.so"
if [[ -n "$srtp" ]]; then
  srtp_module="module			srtp.so"
  [[ $srtp_side != callee ]] && caller_enc=";mediaenc=$srtp"
  [[ $srtp_side != caller ]] && callee_enc=";mediaenc=$srtp"
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

phone() { # name sip-port tone rtp-low account-line [ip]
  local dir="$work/$1" ip="${6:-127.0.0.1}"
  mkdir -p "$dir/rec"
  rm -f "$dir"/rec/*.wav
  python3 "$here/tone.py" gen "$dir/tone.wav" "$3" 30
  cat >"$dir/config" <<CONF
# written by e2e/baresip/call.sh: loopback only, no NAT traversal modules, no sound card
poll_method		epoll
sip_listen		$ip:$2
sip_transports		udp
net_interface		$ip
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
module			g722.so
module			aufile.so
module			alsa.so
module			sndfile.so
module			menu.so
$srtp_module
module_app		account.so
snd_path		$dir/rec
CONF
  echo "$5" >"$dir/accounts"
}

if [[ $mode == direct ]]; then
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" \
    "<sip:caller@127.0.0.1>;regint=0;audio_codecs=$caller_codecs$caller_enc"
  phone callee "${ports[1]}" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:callee@127.0.0.1>;regint=0;answermode=auto;audio_codecs=$callee_codecs$callee_enc"
  target="sip:callee@127.0.0.1:${ports[1]}"
elif [[ $mode == trunk ]]; then
  host="${server%:*}" port="${server#*:}"
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" \
    "<sip:$caller_number@$caller_ip>;regint=0;audio_codecs=$caller_codecs$caller_enc" "$caller_ip"
  phone callee "${ports[1]}" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:${callee%%:*}@$domain;transport=udp>;auth_pass=${callee#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;answermode=auto;audio_codecs=$callee_codecs$callee_enc"
  target="sip:$did@$host:$port"
elif [[ $mode == trunk-out ]]; then
  host="${server%:*}" port="${server#*:}"
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" \
    "<sip:${caller%%:*}@$domain;transport=udp>;auth_pass=${caller#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;audio_codecs=$caller_codecs$caller_enc"
  phone callee "$callee_port" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:${callee_number:-$dial}@$callee_ip>;regint=0;answermode=auto;audio_codecs=$callee_codecs$callee_enc" "$callee_ip"
  target="sip:$dial@$domain"
else
  host="${server%:*}" port="${server#*:}"
  phone caller "${ports[0]}" "$caller_tone" "$rtp_low" \
    "<sip:${caller%%:*}@$domain;transport=udp>;auth_pass=${caller#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;audio_codecs=$caller_codecs$caller_enc"
  phone callee "${ports[1]}" "$callee_tone" "$((rtp_low + 200))" \
    "<sip:${callee%%:*}@$domain;transport=udp>;auth_pass=${callee#*:};outbound=\"sip:$host:$port;transport=udp\";regint=300;answermode=auto;audio_codecs=$callee_codecs$callee_enc"
  target="sip:${callee%%:*}@$domain"
fi

# -s: the SIP trace (every message with its SDP) goes to the log too, for the SRTP checks.
baresip -s -f "$work/callee" -t 30 </dev/null >"$work/callee.log" 2>&1 &
callee_pid=$!
pids+=("$callee_pid")
# Ready when it says so; registered when a 200 to its REGISTER was logged ("...} 200 OK").
ready_re="baresip is ready"
[[ $mode == server || $mode == trunk ]] && ready_re="} 200 OK"
for _ in $(seq 1 100); do
  grep -q "$ready_re" "$work/callee.log" 2>/dev/null && break
  kill -0 "$callee_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "$ready_re" "$work/callee.log"; then
  echo "callee did not get ready (${ready_re}):"; tail -20 "$work/callee.log"; echo "FAIL: callee not ready"; exit 1
fi

# The caller dials at start and quits (hanging up: BYE) after 6 s.
baresip -s -f "$work/caller" -t 6 -e "/dial $target" </dev/null >"$work/caller.log" 2>&1
sleep 0.5
kill -INT "$callee_pid" 2>/dev/null
for _ in $(seq 1 30); do kill -0 "$callee_pid" 2>/dev/null || break; sleep 0.1; done

rc=0
found=() problems=()
problem() { echo "$1"; problems+=("$1"); rc=1; }
# An unknown name in audio_codecs is only logged, then that phone offers every codec it has.
for s in caller callee; do
  if grep -aq "audio codec not found" "$work/$s.log"; then
    problem "$s: $(grep -a "audio codec not found" "$work/$s.log" | sed 's/\x1b\[[0-9;]*m//g' | head -1)"
  fi
done
established=0
grep -q "Call established" "$work/caller.log" && grep -q "Call established" "$work/callee.log" && established=1
((established)) || problem "call not established"
check() { # side expected-tone own-tone
  local f
  f="$(ls "$work/$1"/rec/*-dec.wav 2>/dev/null | head -1)"
  if [[ -z "$f" ]]; then echo "$1: no recording of received audio"; return 1; fi
  python3 "$here/tone.py" check "$f" "$2" "$3"
}
check caller "$callee_tone" "$caller_tone" || problem "caller did not hear the callee's tone alone"
check callee "$caller_tone" "$callee_tone" || problem "callee did not hear the caller's tone alone"

if [[ -n "$expect_codecs" ]]; then
  for side in caller:"${expect_codecs%%:*}" callee:"${expect_codecs#*:}"; do
    s="${side%%:*}" want="${side#*:}"
    got="$(grep -ao 'Set audio encoder: [^ ]*' "$work/$s.log" | tail -1 | awk '{ print $4 }')"
    if [[ "$got" == "$want" ]]; then
      found+=("$s sent $got")
    else
      problem "$s encoded with ${got:-nothing}, want $want"
    fi
  done
fi

if [[ -n "$srtp" ]]; then
  # The SDP each phone received: the callee's INVITE that it answered with a 200 (a server may
  # offer plain RTP first, and SRTP after the phone's 488), the caller's 200 to its INVITE.
  # Extracted from the SIP trace by sdp.py; prints "PROTO KEY" (the first a=crypto's key).
  want_proto="RTP/SAVP"
  [[ $srtp == srtp ]] && want_proto="" # best effort offers RTP/AVP with a=crypto
  read -r caller_proto caller_got_key < <(python3 "$here/sdp.py" "$work/caller.log" 200 INVITE)
  read -r callee_proto callee_got_key < <(python3 "$here/sdp.py" "$work/callee.log" INVITE INVITE --answered)
  read -r _ callee_sent_key < <(python3 "$here/sdp.py" "$work/callee.log" 200 INVITE)
  for side in caller:"${caller_proto:-}":"${caller_got_key:-}" callee:"${callee_proto:-}":"${callee_got_key:-}"; do
    IFS=: read -r s proto key <<<"$side"
    what="the 200 OK it got"; [[ $s == callee ]] && what="the INVITE it got"
    if [[ -z "$proto" ]]; then problem "$s: no SDP in $what (SIP trace)"; continue; fi
    if [[ $srtp_side != both && $srtp_side != "$s" ]]; then
      # the plain phone: the server must not hand it SRTP
      [[ "$proto" == RTP/AVP ]] || problem "$s (plain): $what says m=audio ... $proto, want RTP/AVP"
      [[ "$key" == - ]] || problem "$s (plain): $what has a=crypto"
      if grep -aq "SRTP is Enabled" "$work/$s.log"; then problem "$s (plain): baresip enabled SRTP"; fi
      found+=("$s (plain) got $proto")
      continue
    fi
    if [[ -n "$want_proto" && "$proto" != "$want_proto" ]]; then
      problem "$s: $what says m=audio ... $proto, want $want_proto"
    fi
    if [[ -z "$key" || "$key" == - ]]; then problem "$s: $what has no a=crypto"; fi
    if ! grep -aq "SRTP is Enabled" "$work/$s.log"; then problem "$s: baresip did not enable SRTP"; fi
    # Any SRTP failure but one: a single undecryptable RTCP packet at the start, which two
    # baresip phones also produce when they call each other directly (--direct --srtp).
    errs="$(grep -a "srtp: .*failed\|no valid a=crypto" "$work/$s.log" | sed 's/\x1b\[[0-9;]*m//g; s/.*srtp:/srtp:/' |
      grep -v "failed to decrypt RTCP" | sort | uniq -c | head -3 | tr -s ' ')"
    rtcp_errs="$(grep -ac "failed to decrypt RTCP" "$work/$s.log")"
    if [[ -n "$errs" ]] || ((rtcp_errs > 1)); then
      problem "$s: SRTP errors:${errs:+ $errs;} $rtcp_errs undecryptable RTCP packets"
    fi
    found+=("$s got $proto + a=crypto")
  done
  if [[ $mode != direct && $srtp_side == both && -n "${caller_got_key:-}" &&
    "$caller_got_key" == "${callee_sent_key:-}" ]]; then
    problem "caller got the callee's own SRTP key: the server passed the crypto through instead of bridging"
  fi
fi

if ((rc)); then
  # the logs without the SIP trace (kept in WORKDIR/*.log; sdp.py --show prints its SDP)
  untraced() {
    tr -d '\r' <"$1" | awk '/^(UDP|TCP|TLS) [^ ]+ -> [^ ]+$/ { t = 1 } /^\033\[;m/ { t = 0 } !t { print }' |
      sed 's/\x1b\[[0-9;]*m//g' | grep -av '^#$\|^\[\|^$' | uniq -c
  }
  echo "--- caller log (no SIP trace, repeats counted)"; untraced "$work/caller.log" | tail -15
  echo "--- callee log (no SIP trace, repeats counted)"; untraced "$work/callee.log" | tail -15
  more=""
  ((${#problems[@]} > 1)) && more=" (and $((${#problems[@]} - 1)) more above)"
  echo "FAIL: ${problems[0]}$more"
else
  extra=""
  ((${#found[@]})) && extra="; $(IFS=';'; echo "${found[*]}" | sed 's/;/; /g')"
  echo "ok: caller heard ${callee_tone} Hz, callee heard ${caller_tone} Hz$extra"
fi
exit $rc
