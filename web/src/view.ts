// Everything the page shows, written from the softphone's state. The element ids are a
// contract with the Playwright tests (TEAM.md, H4); phone.html has the markup.

import type { Call, CallState } from './call';
import { formatDuration, peerLabel } from './format';
import type { RegStatus } from './ua';

/** The topics of the error area, each with at most one message. */
export type Topic = 'sip' | 'mic' | 'call';

type PanelState = CallState | 'idle';

const STATE_LABELS: Record<PanelState, string> = {
  idle: 'No call',
  calling: 'Calling…',
  ringing: 'Ringing…',
  incoming: 'Incoming call',
  active: 'Connected',
  held: 'On hold',
  ended: 'Call ended',
};

function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`phone page: #${id} is missing or not a ${kind.name}`);
  return el;
}

export class View {
  readonly regStatus = byId('reg-status', HTMLElement);
  readonly regRetry = byId('reg-retry', HTMLButtonElement);
  readonly identity = byId('phone-identity', HTMLElement);
  readonly errors = byId('phone-error', HTMLElement);
  readonly banner = byId('incoming-banner', HTMLElement);
  readonly incomingFrom = byId('incoming-from', HTMLElement);
  readonly answerButton = byId('answer-button', HTMLButtonElement);
  readonly declineButton = byId('decline-button', HTMLButtonElement);
  readonly panel = byId('call-panel', HTMLElement);
  readonly callState = byId('call-state', HTMLElement);
  readonly callPeer = byId('call-peer', HTMLElement);
  readonly callTimer = byId('call-timer', HTMLElement);
  readonly callNote = byId('call-note', HTMLElement);
  readonly muteButton = byId('mute-button', HTMLButtonElement);
  readonly holdButton = byId('hold-button', HTMLButtonElement);
  readonly hangupButton = byId('hangup-button', HTMLButtonElement);
  readonly transferForm = byId('transfer-form', HTMLFormElement);
  readonly transferNumber = byId('transfer-number', HTMLInputElement);
  readonly transferButton = byId('transfer-button', HTMLButtonElement);
  readonly dtmfReceived = byId('dtmf-received', HTMLElement);
  readonly dtmfSent = byId('dtmf-sent', HTMLElement);
  readonly dialForm = byId('dial-form', HTMLFormElement);
  readonly dialNumber = byId('dial-number', HTMLInputElement);
  readonly dialBackspace = byId('dial-backspace', HTMLButtonElement);
  readonly callButton = byId('call-button', HTMLButtonElement);
  readonly remoteAudio = byId('remote-audio', HTMLAudioElement);
  readonly micSelect = byId('mic-select', HTMLSelectElement);
  readonly speakerSelect = byId('speaker-select', HTMLSelectElement);
  readonly devicesNote = byId('devices-note', HTMLElement);
  readonly recentList = byId('recent-calls', HTMLUListElement);
  readonly recentEmpty = byId('recent-empty', HTMLElement);

  private readonly problems = new Map<Topic, string | (string | Node)[]>();
  private readonly baseTitle = document.title;

  setIdentity(text: string): void {
    this.identity.textContent = text;
  }

  setRegistration(status: RegStatus, retryAllowed: boolean): void {
    this.regStatus.dataset.state = status.state;
    this.regStatus.textContent = status.label;
    this.regRetry.hidden = !(retryAllowed && status.state === 'failed');
  }

  /** Shows `message` for `topic` in the error area; '' removes it. */
  setProblem(topic: Topic, message: string | (string | Node)[]): void {
    if (message === '' || (Array.isArray(message) && message.length === 0)) this.problems.delete(topic);
    else this.problems.set(topic, message);
    const lines = [...this.problems.values()].map((m) => {
      const p = document.createElement('p');
      if (typeof m === 'string') p.textContent = m;
      else p.append(...m);
      return p;
    });
    this.errors.replaceChildren(...lines);
    this.errors.hidden = lines.length === 0;
  }

  setDevicesNote(text: string): void {
    this.devicesNote.textContent = text;
    this.devicesNote.hidden = text === '';
  }

  /**
   * The call panel, the banner and what can be pressed. `call` is the latest call (kept after
   * it ended, for its digits); `showEnded` says whether an ended call still fills the panel.
   */
  renderCall(call: Call | null, showEnded: boolean, canDial: boolean): void {
    const state: PanelState = !call || (call.state === 'ended' && !showEnded) ? 'idle' : call.state;
    const live = call !== null && call.live;
    const established = call !== null && call.established;

    this.panel.dataset.state = state;
    this.callState.dataset.state = state;
    let label = STATE_LABELS[state];
    if (state === 'ended' && call?.endReason) label = call.endReason;
    if (state === 'active' && call?.remoteHeld) label = 'On hold by the other side';
    this.callState.textContent = label;
    this.callPeer.textContent = call && state !== 'idle' ? peerLabel(call.peerName, call.peer) : '';
    this.callNote.textContent = live ? call.note : '';
    this.callNote.hidden = this.callNote.textContent === '';
    this.renderTimer(state === 'idle' ? null : call);

    this.muteButton.disabled = !established;
    setPressed(this.muteButton, established && call.muted, 'Unmute', 'Mute');
    this.holdButton.disabled = !established || call.holdPending;
    setPressed(this.holdButton, established && call.held, 'Resume', 'Hold');
    this.hangupButton.disabled = !live;
    this.transferNumber.disabled = !established;
    this.transferButton.disabled = !established;

    // Digits stay readable after the call, until the next one starts.
    this.dtmfReceived.textContent = call?.dtmfReceived ?? '';
    this.dtmfSent.textContent = call?.dtmfSent ?? '';

    const ringing = call !== null && call.state === 'incoming';
    this.banner.hidden = !ringing;
    this.incomingFrom.textContent = ringing ? peerLabel(call.peerName, call.peer) : '';
    document.title = ringing ? `Incoming call: ${peerLabel(call.peerName, call.peer)}` : this.baseTitle;

    this.dialNumber.disabled = live;
    this.dialBackspace.disabled = live;
    this.callButton.disabled = live || !canDial;
  }

  /** m:ss since the answer (frozen at the end); 0:00 before. */
  renderTimer(call: Call | null): void {
    const from = call?.answeredAt ?? null;
    const to = call?.endedAt ?? Date.now();
    const text = from === null ? '0:00' : formatDuration((to - from) / 1000);
    if (this.callTimer.textContent !== text) this.callTimer.textContent = text;
  }

  /** Plays the far side; null detaches it. */
  setRemoteStream(stream: MediaStream | null): void {
    const audio = this.remoteAudio;
    if (audio.srcObject === stream) return;
    audio.srcObject = stream;
    if (!stream) return;
    audio.play().catch((err: unknown) => {
      // Autoplay refused (no interaction with the page yet): play from the next click.
      if (err instanceof DOMException && err.name === 'NotAllowedError') {
        const retry = (): void => {
          if (audio.srcObject) audio.play().catch(() => undefined);
        };
        window.addEventListener('pointerdown', retry, { once: true, capture: true });
      }
    });
  }
}

function setPressed(button: HTMLButtonElement, pressed: boolean, on: string, off: string): void {
  button.setAttribute('aria-pressed', String(pressed));
  button.textContent = pressed ? on : off;
}
