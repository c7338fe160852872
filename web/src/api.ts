// The two portal API calls the softphone makes. Both ride on the session cookie (same origin);
// GETs need no CSRF token. Answers are checked field by field: the page shows a clear message
// instead of failing later on a missing field.

/** The SIP account of the logged-in user's extension (`GET /api/me/sip`). */
export interface SipCredentials {
  number: string;
  secret: string;
  domain: string;
  displayName: string;
  /** The WebSocket URL the server advertises, or null to derive it from the page's address. */
  wsUrl: string | null;
}

/** One call record (`GET /api/me/calls`), reduced to what the recent-calls list shows. */
export interface CallRecord {
  id: string;
  caller: string;
  callee: string;
  dialed: string;
  /** Milliseconds since the epoch, or NaN when the server sent no parsable time. */
  start: number;
  answered: boolean;
  /** Seconds; 0 for a call that was never answered. */
  duration: number;
  disposition: string;
}

/** An API answer other than 2xx, with the server's `{"error": ...}` message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Json = Record<string, unknown>;

async function getJson(path: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached.');
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = isObject(body) && typeof body.error === 'string' ? body.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(obj: Json, key: string): string {
  const value = obj[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}

function seconds(obj: Json, key: string): number {
  const value = obj[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

export async function fetchSipCredentials(): Promise<SipCredentials> {
  const body = await getJson('/api/me/sip');
  if (!isObject(body)) throw new ApiError(500, 'The server sent no SIP account.');
  const creds: SipCredentials = {
    number: text(body, 'number'),
    secret: text(body, 'secret'),
    domain: text(body, 'domain'),
    displayName: text(body, 'display_name'),
    wsUrl: text(body, 'ws_url') || null,
  };
  if (!creds.number || !creds.secret || !creds.domain) {
    throw new ApiError(500, 'The server sent an incomplete SIP account.');
  }
  return creds;
}

export async function fetchRecentCalls(limit: number): Promise<CallRecord[]> {
  const body = await getJson(`/api/me/calls?limit=${encodeURIComponent(String(limit))}`);
  if (!Array.isArray(body)) throw new ApiError(500, 'The server sent no call list.');
  return body.filter(isObject).map((cdr) => ({
    id: text(cdr, 'id') || text(cdr, 'call_id'),
    caller: text(cdr, 'caller'),
    callee: text(cdr, 'callee'),
    dialed: text(cdr, 'dialed'),
    start: Date.parse(text(cdr, 'start')),
    answered: text(cdr, 'answer') !== '',
    duration: seconds(cdr, 'duration'),
    disposition: text(cdr, 'disposition'),
  }));
}
