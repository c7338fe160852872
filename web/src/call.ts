// One call: a JsSIP RTCSession seen as the states the page shows, and the actions on it.
//
//   outgoing: calling → ringing (180/183) → active ⇄ held → ended
//   incoming: incoming → active ⇄ held → ended
//
// `held` is our own hold; the other side holding us is `remoteHeld` on an active call.

import * as JsSIP from 'jssip';
import type {
  EndEvent,
  IceCandidateEvent,
  IncomingDTMFEvent,
  IncomingEvent,
  OutgoingDTMFEvent,
  OutgoingEvent,
  RTCSession,
} from 'jssip/lib/RTCSession';
import type { CallOptions } from 'jssip/lib/UA';

export type CallState = 'calling' | 'ringing' | 'incoming' | 'active' | 'held' | 'ended';
export type Direction = 'incoming' | 'outgoing';

export interface CallHooks {
  /** Something the page shows changed. */
  changed(call: Call): void;
  /** The far side's audio, or null when the call has none any more. */
  remoteStream(call: Call, stream: MediaStream | null): void;
}

/** No STUN/TURN: the server is reachable directly, and host candidates are all it needs. */
const PC_CONFIG: RTCConfiguration = { iceServers: [] };

/** After the first candidate, how long to let gathering run before sending the SDP anyway. */
const ICE_GRACE_MS = 1000;

/** How long a sent key is played on the RTP stream (RFC 4733 events), and the gap between. */
const DTMF_DURATION_MS = 160;
const DTMF_GAP_MS = 80;

export class Call {
  state: CallState;
  /** Date.now() when the call was answered, for the timer. */
  answeredAt: number | null = null;
  endedAt: number | null = null;
  muted = false;
  held = false;
  remoteHeld = false;
  /** A hold or resume re-INVITE is under way. */
  holdPending = false;
  /** Keys the other side pressed during this call (SIP INFO dtmf-relay from the server). */
  dtmfReceived = '';
  dtmfSent = '';
  /** A line about what is going on (transfer progress, a refused action); '' for none. */
  note = '';
  /** Why the call ended, for people. */
  endReason = '';
  /** The far side sent early media (183 with SDP): no local ringback then. */
  earlyMedia = false;
  peer: string;
  peerName: string;

  private localStream: MediaStream | null = null;
  private remote: MediaStream | null = null;
  private iceTimer: number | undefined;
  private transferring = false;

  private constructor(
    readonly direction: Direction,
    private readonly session: RTCSession,
    private readonly hooks: CallHooks,
  ) {
    this.state = direction === 'incoming' ? 'incoming' : 'calling';
    const identity = session.remote_identity;
    this.peer = identity?.uri?.user ?? '';
    this.peerName = identity?.display_name ?? '';
    this.listen();
  }

  /** Calls `target` with the microphone `stream`; `place` is the UA's call method. */
  static outgoing(
    place: (target: string, options: CallOptions) => RTCSession,
    target: string,
    stream: MediaStream,
    hooks: CallHooks,
  ): Call {
    const session = place(target, {
      mediaStream: stream,
      mediaConstraints: { audio: true, video: false },
      pcConfig: PC_CONFIG,
    });
    const call = new Call('outgoing', session, hooks);
    // Show what was dialled, not the URI JsSIP made of it.
    call.peer = target;
    call.peerName = '';
    call.localStream = stream;
    // JsSIP created the peer connection inside call(), before we could listen for it.
    call.watchPeer(session.connection);
    return call;
  }

  static incoming(session: RTCSession, hooks: CallHooks): Call {
    return new Call('incoming', session, hooks);
  }

  /** Whether media is up (answered and not ended). */
  get established(): boolean {
    return this.state === 'active' || this.state === 'held';
  }

  get live(): boolean {
    return this.state !== 'ended';
  }

  answer(stream: MediaStream): void {
    if (this.state !== 'incoming') {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.localStream = stream;
    this.session.answer({ mediaStream: stream, pcConfig: PC_CONFIG });
  }

  decline(): void {
    if (this.state !== 'incoming') return;
    this.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  }

  /** Cancels, declines or hangs up, whichever fits the state. */
  hangUp(): void {
    if (!this.live || this.session.isEnded()) return;
    if (this.state === 'incoming') this.decline();
    else this.session.terminate();
  }

  toggleMute(): void {
    if (!this.established) return;
    if (this.muted) this.session.unmute({ audio: true });
    else this.session.mute({ audio: true });
  }

  toggleHold(): void {
    if (!this.established || this.holdPending) return;
    const done = (): void => {
      this.holdPending = false;
      this.hooks.changed(this);
    };
    const started = this.held ? this.session.unhold({}, done) : this.session.hold({}, done);
    if (started) {
      this.holdPending = true;
      this.note = '';
    } else {
      this.note = 'The call is being updated; try again in a moment.';
    }
    this.hooks.changed(this);
  }

  /** Plays `key` to the other side as an RFC 4733 event on the audio stream. */
  sendDtmf(key: string): void {
    if (!this.established) return;
    try {
      this.session.sendDTMF(key, {
        transportType: JsSIP.C.DTMF_TRANSPORT.RFC2833,
        duration: DTMF_DURATION_MS,
        interToneGap: DTMF_GAP_MS,
      });
      this.dtmfSent += key;
    } catch (err) {
      this.note = `Key ${key} could not be sent (${err instanceof Error ? err.message : String(err)}).`;
    }
    this.hooks.changed(this);
  }

  /** Blind transfer: the other side is connected to `target`, and we leave the call. */
  transfer(target: string): void {
    if (!this.established || this.transferring) return;
    this.transferring = true;
    this.note = `Transferring to ${target}…`;
    this.hooks.changed(this);
    const failed = (why: string): void => {
      this.transferring = false;
      if (!this.live) return;
      this.note = `Transfer to ${target} failed (${why}); the call is still yours.`;
      this.hooks.changed(this);
    };
    try {
      this.session.refer(target, {
        eventHandlers: {
          requestFailed: (e: { response?: { status_code: number; reason_phrase: string } | null; cause?: string }) =>
            failed(e.response ? `${e.response.status_code} ${e.response.reason_phrase}` : String(e.cause ?? 'no answer')),
          failed: (e: { status_line?: { status_code: number; reason_phrase: string } }) =>
            failed(e.status_line ? `${e.status_line.status_code} ${e.status_line.reason_phrase}` : 'refused'),
          accepted: () => {
            this.transferring = false;
            if (!this.live) return;
            this.note = `Transferred to ${target}.`;
            this.endReason = `Transferred to ${target}`;
            this.session.terminate();
          },
        },
      });
    } catch (err) {
      failed(err instanceof Error ? err.message : String(err));
    }
  }

  /** Sends from another microphone without renegotiating: the new track replaces the old. */
  async useMicrophone(stream: MediaStream): Promise<void> {
    const track = stream.getAudioTracks()[0];
    const pc = this.session.connection;
    if (!this.live || !track || !pc) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    track.enabled = !(this.muted || this.held);
    const senders = pc.getSenders().filter((s) => s.track?.kind === 'audio');
    await Promise.all(senders.map((s) => s.replaceTrack(track)));
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = stream;
  }

  private listen(): void {
    const s = this.session;
    s.on('peerconnection', (e) => this.watchPeer(e.peerconnection));
    s.on('icecandidate', (e: IceCandidateEvent) => this.onIceCandidate(e));
    s.on('progress', (e: IncomingEvent | OutgoingEvent) => {
      if (this.direction !== 'outgoing' || this.state !== 'calling' || !('response' in e)) return;
      const response = e.response;
      this.earlyMedia = Boolean(response?.body);
      this.state = 'ringing';
      this.hooks.changed(this);
    });
    s.on('accepted', () => this.onAnswered());
    s.on('confirmed', () => this.onAnswered());
    s.on('ended', (e: EndEvent) => this.onEnded(e));
    s.on('failed', (e: EndEvent) => this.onEnded(e));
    s.on('hold', (e) => this.onHold(String(e.originator), true));
    s.on('unhold', (e) => this.onHold(String(e.originator), false));
    s.on('muted', () => {
      this.muted = true;
      this.hooks.changed(this);
    });
    s.on('unmuted', () => {
      this.muted = false;
      this.hooks.changed(this);
    });
    s.on('newDTMF', (e: IncomingDTMFEvent | OutgoingDTMFEvent) => {
      if (String(e.originator) !== 'remote') return;
      this.dtmfReceived += e.dtmf.tone;
      this.hooks.changed(this);
    });
  }

  private watchPeer(pc: RTCPeerConnection | undefined): void {
    if (!pc) return;
    pc.addEventListener('track', (ev: RTCTrackEvent) => {
      if (ev.track.kind !== 'audio' || !this.live) return;
      const stream = ev.streams[0];
      if (stream) {
        this.remote = stream;
      } else if (this.remote) {
        this.remote.addTrack(ev.track);
      } else {
        this.remote = new MediaStream([ev.track]);
      }
      this.hooks.remoteStream(this, this.remote);
    });
  }

  // Gathering host candidates on loopback or a LAN completes at once; on hosts with interfaces
  // that never answer it can hang for seconds. Whatever was gathered shortly after the first
  // candidate is enough for a server that is reachable directly.
  private onIceCandidate(e: IceCandidateEvent): void {
    if (this.iceTimer !== undefined) return;
    const ready = e.ready;
    this.iceTimer = window.setTimeout(() => {
      this.iceTimer = undefined;
      ready();
    }, ICE_GRACE_MS);
  }

  private onAnswered(): void {
    if (this.state === 'active' || this.state === 'held' || this.state === 'ended') return;
    this.state = 'active';
    this.answeredAt = Date.now();
    this.hooks.changed(this);
  }

  private onHold(originator: string, on: boolean): void {
    if (!this.live) return;
    if (originator === 'remote') {
      this.remoteHeld = on;
    } else {
      this.held = on;
      if (this.established) this.state = on ? 'held' : 'active';
    }
    this.hooks.changed(this);
  }

  private onEnded(e: EndEvent): void {
    if (this.state === 'ended') return;
    const wasAnswered = this.answeredAt !== null;
    this.state = 'ended';
    this.endedAt = Date.now();
    if (!this.endReason) this.endReason = endReason(this.direction, wasAnswered, e);
    this.note = '';
    this.holdPending = false;
    if (this.iceTimer !== undefined) window.clearTimeout(this.iceTimer);
    this.iceTimer = undefined;
    // We gave JsSIP the microphone stream, so JsSIP leaves it running: stop it here.
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    this.remote = null;
    this.hooks.remoteStream(this, null);
    this.hooks.changed(this);
  }
}

function endReason(direction: Direction, answered: boolean, e: EndEvent): string {
  const causes = JsSIP.C.causes;
  const cause = String(e.cause);
  const local = String(e.originator) === 'local';
  const message = e.message as { status_code?: number; reason_phrase?: string } | null | undefined;
  const status = message?.status_code ? ` (${message.status_code} ${message.reason_phrase ?? ''})`.replace(' )', ')') : '';
  if (answered) {
    if (cause === String(causes.BYE)) return local ? 'Call ended' : 'The other side hung up';
    if (cause === String(causes.RTP_TIMEOUT)) return 'The audio connection was lost';
    if (cause === String(causes.CONNECTION_ERROR)) return 'The connection to the server was lost';
    return `Call ended: ${cause}`;
  }
  switch (cause) {
    case String(causes.CANCELED):
      return direction === 'incoming' && !local ? 'Missed call' : 'Call cancelled';
    case String(causes.REJECTED):
      return local ? 'Call declined' : `Call declined${status}`;
    case String(causes.BUSY):
      return local ? 'Call declined' : 'Busy';
    case String(causes.NO_ANSWER):
      return 'No answer';
    case String(causes.NOT_FOUND):
      return 'No such number';
    case String(causes.UNAVAILABLE):
      return `Not available${status}`;
    case String(causes.ADDRESS_INCOMPLETE):
      return 'The number is incomplete';
    case String(causes.INCOMPATIBLE_SDP):
    case String(causes.BAD_MEDIA_DESCRIPTION):
      return 'No audio format in common';
    case String(causes.AUTHENTICATION_ERROR):
      return 'The server refused this extension';
    case String(causes.CONNECTION_ERROR):
      return 'No connection to the server';
    case String(causes.REQUEST_TIMEOUT):
      return 'The server did not answer';
    case String(causes.USER_DENIED_MEDIA_ACCESS):
      return 'Microphone blocked';
    case String(causes.WEBRTC_ERROR):
    case String(causes.RTP_TIMEOUT):
      return 'The audio connection could not be set up';
    default:
      return `Call failed: ${cause}${status}`;
  }
}
