// The SIP user agent: one JsSIP UA registered over the portal's WebSocket, and the
// registration state the page shows.
//
// JsSIP reconnects a dropped WebSocket by itself (with a growing pause between attempts) and
// sends a REGISTER as soon as the socket is up again. What it does not do is try again after a
// REGISTER that failed for another reason than the socket (a timeout, a 5xx): it stays
// unregistered for good. This class retries those with a backoff, and hands refusals of the
// credentials (401/403) to the page, which fetches them again: an admin may have reset the
// extension's secret.

import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { CallOptions, RTCSessionEvent, UnRegisteredEvent } from 'jssip/lib/UA';
import type { SipCredentials } from './api';

export type RegState = 'registered' | 'registering' | 'unregistered' | 'disconnected' | 'failed';

export interface RegStatus {
  state: RegState;
  /** Short text for the status badge. */
  label: string;
  /** A sentence for the page's error area, or '' when nothing is wrong. */
  problem: string;
}

export interface ClientHooks {
  status(status: RegStatus): void;
  /** A call coming in; JsSIP has already answered the INVITE with 180 Ringing. */
  incoming(session: RTCSession): void;
  /** The registrar refused the credentials (401/403 after answering the challenge). */
  credentialsRefused(): void;
}

/** Seconds between registration retries after failures that are not the socket's. */
const RETRY_MIN_S = 5;
const RETRY_MAX_S = 60;

/** The WebSocket URL: the server's advice, else /sip on the page's own host and scheme. */
export function sipWebSocketUrl(creds: SipCredentials, page: Location): string {
  if (creds.wsUrl) return creds.wsUrl;
  const scheme = page.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${page.host}/sip`;
}

export class SipClient {
  private readonly ua: JsSIP.UA;
  private stopped = false;
  private connected = false;
  private everConnected = false;
  private retryTimer: number | undefined;
  private retryDelay = RETRY_MIN_S;
  private current: RegStatus = { state: 'unregistered', label: 'Not registered', problem: '' };

  constructor(
    readonly creds: SipCredentials,
    readonly wsUrl: string,
    private readonly hooks: ClientHooks,
  ) {
    this.ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wsUrl)],
      uri: `sip:${creds.number}@${creds.domain}`,
      password: creds.secret,
      display_name: creds.displayName || undefined,
      register: true,
      register_expires: 300,
      // Dead calls are found by the server's media timeouts; session-timer refreshes would
      // only add re-INVITEs in the middle of every call.
      session_timers: false,
      // JsSIP doubles the pause after each failed attempt; cap it so that a restarted server
      // finds its browsers again within seconds.
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 10,
      user_agent: `Switchboard softphone (JsSIP ${JsSIP.version})`,
    });
    this.ua.on('connecting', (e) => this.onConnecting(e.attempts));
    this.ua.on('connected', () => this.onConnected());
    this.ua.on('disconnected', () => this.onDisconnected());
    this.ua.on('registered', () => this.onRegistered());
    this.ua.on('unregistered', (e) => this.onUnregistered(e));
    this.ua.on('registrationFailed', (e) => this.onRegistrationFailed(e));
    this.ua.on('newRTCSession', (e: RTCSessionEvent) => {
      if ((e.originator as string) === 'remote' && !this.stopped) this.hooks.incoming(e.session);
    });
  }

  get status(): RegStatus {
    return this.current;
  }

  get registered(): boolean {
    return this.current.state === 'registered';
  }

  start(): void {
    this.set('registering', 'Connecting…');
    this.ua.start();
  }

  /** Unregisters and closes the socket; the object is done afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearRetry();
    this.ua.stop();
  }

  /** Places a call; throws when JsSIP refuses (bad target, socket down). */
  call(target: string, options: CallOptions): RTCSession {
    return this.ua.call(target, options);
  }

  private onConnecting(attempts: number): void {
    if (this.stopped || this.connected) return;
    if (!this.everConnected) {
      this.set('registering', attempts > 1 ? `Connecting… (attempt ${attempts})` : 'Connecting…');
    } else {
      this.set('disconnected', `Reconnecting… (attempt ${attempts})`);
    }
  }

  private onConnected(): void {
    if (this.stopped) return;
    this.connected = true;
    this.everConnected = true;
    // JsSIP sends the REGISTER itself now.
    this.set('registering', 'Registering…');
  }

  private onDisconnected(): void {
    if (this.stopped) return;
    this.connected = false;
    this.clearRetry();
    this.set(
      'disconnected',
      'Disconnected',
      this.everConnected ? '' : `Cannot reach the phone server at ${this.wsUrl}; still trying.`,
    );
  }

  private onRegistered(): void {
    if (this.stopped) return;
    this.clearRetry();
    this.retryDelay = RETRY_MIN_S;
    this.set('registered', `Registered · ${this.creds.number}`);
  }

  private onUnregistered(e: UnRegisteredEvent | undefined): void {
    // A closed socket unregisters too: the badge keeps saying "disconnected" then.
    if (this.stopped || !this.connected || e?.cause) return;
    this.set('unregistered', 'Not registered');
  }

  private onRegistrationFailed(e: UnRegisteredEvent): void {
    if (this.stopped) return;
    const cause = String(e.cause ?? '');
    // JsSIP passes null for failures without a response (timeouts, the socket).
    const response = e.response as UnRegisteredEvent['response'] | null;
    const code = response?.status_code;
    const answer = code ? `${code} ${response?.reason_phrase ?? ''}`.trim() : cause;
    if (cause === String(JsSIP.C.causes.CONNECTION_ERROR)) {
      // The socket went away under the REGISTER: JsSIP reconnects and registers again.
      return;
    }
    if (code === 401 || code === 403 || code === 407) {
      this.set(
        'failed',
        'Registration refused',
        `The server refused this extension's credentials (${answer}). If an administrator reset its SIP secret, press Retry.`,
      );
      this.hooks.credentialsRefused();
      return;
    }
    this.set('failed', 'Registration failed', `Registration failed (${answer}); trying again in ${this.retryDelay} s.`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.clearRetry();
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_S);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped || !this.connected) return;
      this.set('registering', 'Registering…');
      this.ua.register();
    }, delay * 1000);
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private set(state: RegState, label: string, problem = ''): void {
    this.current = { state, label, problem };
    this.hooks.status(this.current);
  }
}
