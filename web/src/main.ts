// The softphone page: fetches the extension's SIP account from the portal (kept in memory
// only), registers it, and ties calls, sounds, devices and the recent-calls list to the page.

import { ApiError, fetchSipCredentials, type SipCredentials } from './api';
import { Call, type CallHooks } from './call';
import { Devices } from './devices';
import { Dialpad } from './dialpad';
import { cleanNumber } from './format';
import { RecentCalls } from './recent';
import { Ringer } from './ringer';
import { SipClient, sipWebSocketUrl, type RegStatus } from './ua';
import { View } from './view';
import type { RTCSession } from 'jssip/lib/RTCSession';

/** How long an ended call stays in the panel before it shows "No call" again. */
const ENDED_SHOWN_MS = 4000;
/** The server writes the call record as the call ends; ask for the list a moment later. */
const RECENT_AFTER_CALL_MS = 1000;

class Softphone {
  private readonly view = new View();
  private readonly ringer = new Ringer();
  private readonly devices: Devices;
  private readonly dialpad: Dialpad;
  private readonly recent: RecentCalls;
  private client: SipClient | null = null;
  private call: Call | null = null;
  private showEnded = false;
  private endedTimer: number | undefined;
  /** The call whose end was handled (panel timer, recent-calls refresh). */
  private finished: Call | null = null;
  /** Between pressing Call (or Answer) and the microphone being ready. */
  private busy = false;
  private connecting = false;

  constructor() {
    const v = this.view;
    this.devices = new Devices(v.micSelect, v.speakerSelect, v.remoteAudio, {
      micChanged: () => void this.switchMicrophone(),
      speakerChanged: (id) => this.ringer.setSink(id),
      note: (text) => v.setDevicesNote(text),
    });
    this.dialpad = new Dialpad(v.dialForm, v.dialNumber, v.dialBackspace, {
      onKey: (key) => this.onKey(key),
      onNumberChanged: () => this.render(),
      onDial: () => void this.dial(this.dialpad.number),
    });
    this.recent = new RecentCalls(v.recentList, v.recentEmpty, (number) => {
      if (this.call?.live) return;
      this.dialpad.number = number;
      void this.dial(number);
    });

    v.answerButton.addEventListener('click', () => void this.answer());
    v.declineButton.addEventListener('click', () => this.call?.decline());
    v.hangupButton.addEventListener('click', () => this.call?.hangUp());
    v.muteButton.addEventListener('click', () => this.call?.toggleMute());
    v.holdButton.addEventListener('click', () => this.call?.toggleHold());
    v.transferForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const target = cleanNumber(v.transferNumber.value);
      if (!target || !this.call) return;
      this.call.transfer(target);
      v.transferNumber.value = '';
    });
    v.regRetry.addEventListener('click', () => void this.reconnect());
    // Leaving the page: unregister, so that calls stop ringing a closed tab at once.
    window.addEventListener('pagehide', () => this.client?.stop());
    // Back to a page the browser kept in its cache: that client was stopped, start another.
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted) void this.reconnect();
    });
    window.setInterval(() => {
      if (this.call?.live) v.renderTimer(this.call);
    }, 250);
  }

  start(): void {
    this.render();
    if (typeof RTCPeerConnection === 'undefined') {
      this.view.setProblem('call', 'This browser cannot make calls: it has no WebRTC support.');
    }
    this.devices.init().then(
      () => this.view.setProblem('mic', ''),
      (err: unknown) => this.view.setProblem('mic', messageOf(err)),
    );
    void this.connect();
    void this.recent.refresh();
  }

  private async connect(): Promise<void> {
    if (this.connecting) return;
    this.connecting = true;
    this.setStatus({ state: 'unregistered', label: 'Loading…', problem: '' });
    let creds: SipCredentials;
    try {
      creds = await fetchSipCredentials();
    } catch (err) {
      this.connecting = false;
      this.credentialsFailed(err);
      return;
    }
    this.connecting = false;
    this.view.setIdentity(creds.displayName && creds.displayName !== creds.number ? `${creds.displayName} · extension ${creds.number}` : `Extension ${creds.number}`);
    this.recent.setOwnNumber(creds.number);
    this.startClient(creds);
  }

  private startClient(creds: SipCredentials): void {
    this.client?.stop();
    const client = new SipClient(creds, sipWebSocketUrl(creds, window.location), {
      status: (status) => {
        if (this.client === client) this.setStatus(status);
      },
      incoming: (session) => this.onIncoming(session),
      credentialsRefused: () => void this.checkNewSecret(client),
    });
    this.client = client;
    client.start();
  }

  private credentialsFailed(err: unknown): void {
    if (err instanceof ApiError && err.status === 404) {
      this.view.setIdentity('No extension');
      this.setStatus({
        state: 'unregistered',
        label: 'No extension',
        problem: 'No extension is linked to your account yet. Ask an administrator to assign one, then reload this page.',
      });
      return;
    }
    if (err instanceof ApiError && err.status === 401) {
      const link = document.createElement('a');
      link.href = '/login';
      link.textContent = 'Log in again';
      this.setStatus({ state: 'unregistered', label: 'Signed out', problem: '' });
      this.view.setProblem('sip', ['Your session has ended. ', link, '.']);
      return;
    }
    this.setStatus({
      state: 'failed',
      label: 'Not registered',
      problem: `The phone settings cannot be loaded: ${messageOf(err)}`,
    });
  }

  /** After a refused REGISTER: an admin may have reset the secret, so fetch it again. */
  private async checkNewSecret(client: SipClient): Promise<void> {
    if (this.call?.live) return;
    let creds: SipCredentials;
    try {
      creds = await fetchSipCredentials();
    } catch {
      return;
    }
    const same = creds.secret === client.creds.secret && creds.number === client.creds.number && creds.domain === client.creds.domain;
    if (!same && this.client === client && !this.call?.live) this.startClient(creds);
  }

  private async reconnect(): Promise<void> {
    if (this.call?.live) return;
    this.client?.stop();
    this.client = null;
    await this.connect();
  }

  private setStatus(status: RegStatus): void {
    this.view.setRegistration(status, !this.call?.live);
    this.view.setProblem('sip', status.problem);
    this.render();
  }

  private render(): void {
    const canDial = this.client?.registered === true && this.dialpad.number !== '' && !this.busy;
    this.view.renderCall(this.call, this.showEnded, canDial);
  }

  private async dial(target: string): Promise<void> {
    const client = this.client;
    if (!target || this.busy || this.call?.live || !client?.registered) return;
    this.busy = true;
    this.view.setProblem('call', '');
    this.render();
    try {
      const stream = await this.microphone();
      if (!stream) return;
      if (this.call?.live || this.client !== client) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      try {
        this.adopt((hooks) => Call.outgoing((t, o) => client.call(t, o), target, stream, hooks));
      } catch (err) {
        stream.getTracks().forEach((t) => t.stop());
        this.view.setProblem('call', `The call could not be placed: ${messageOf(err)}`);
      }
    } finally {
      this.busy = false;
      this.render();
    }
  }

  private onIncoming(session: RTCSession): void {
    // One call at a time: a second caller hears busy (and may be forwarded on busy).
    if (this.call?.live || this.busy) {
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    this.adopt((hooks) => Call.incoming(session, hooks));
  }

  private async answer(): Promise<void> {
    const call = this.call;
    if (!call || call.state !== 'incoming' || this.busy) return;
    this.busy = true;
    this.ringer.stop();
    try {
      const stream = await this.microphone();
      if (stream) call.answer(stream);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  /** A stream from the chosen microphone, or null with the reason on the page. */
  private async microphone(): Promise<MediaStream | null> {
    try {
      const stream = await this.devices.capture();
      this.view.setProblem('mic', '');
      return stream;
    } catch (err) {
      this.view.setProblem('mic', messageOf(err));
      return null;
    }
  }

  private async switchMicrophone(): Promise<void> {
    const call = this.call;
    if (!call?.live) return;
    const stream = await this.microphone();
    if (!stream) return;
    try {
      await call.useMicrophone(stream);
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      this.view.setProblem('mic', `The microphone cannot be switched during this call: ${messageOf(err)}`);
    }
  }

  /** Makes `create`'s call the current one; the hooks ignore a call once it is replaced. */
  private adopt(create: (hooks: CallHooks) => Call): void {
    const call = create({
      changed: (c) => {
        if (this.call === c) this.onCallChanged(c);
      },
      remoteStream: (c, stream) => {
        if (this.call === c) this.view.setRemoteStream(stream);
      },
    });
    window.clearTimeout(this.endedTimer);
    this.endedTimer = undefined;
    this.showEnded = false;
    this.call = call;
    this.view.setRemoteStream(null);
    this.onCallChanged(call);
  }

  private onCallChanged(call: Call): void {
    if (call.state === 'incoming') this.ringer.start('ring');
    else if (call.state === 'ringing' && !call.earlyMedia) this.ringer.start('ringback');
    else this.ringer.stop();
    if (call.state === 'ended' && this.finished !== call) {
      this.finished = call;
      this.showEnded = true;
      this.endedTimer = window.setTimeout(() => {
        this.endedTimer = undefined;
        this.showEnded = false;
        this.render();
      }, ENDED_SHOWN_MS);
      window.setTimeout(() => void this.recent.refresh(), RECENT_AFTER_CALL_MS);
    }
    if (this.client) this.view.setRegistration(this.client.status, !call.live);
    this.render();
  }

  private onKey(key: string): void {
    this.ringer.key(key);
    const call = this.call;
    if (call?.established) call.sendDtmf(key);
    else if (!call?.live) this.dialpad.append(key);
  }
}

/** MicError and ApiError carry sentences meant for the page; other errors say what failed. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function boot(): void {
  try {
    new Softphone().start();
  } catch (err) {
    // The markup does not match this script (a stale bundle or template): say so on the page.
    const box = document.getElementById('phone-error');
    if (box) {
      box.textContent = `The phone cannot start: ${messageOf(err)}`;
      box.hidden = false;
    }
    throw err;
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
