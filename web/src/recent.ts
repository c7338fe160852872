// Recent calls of the user's extension, from the call records (`GET /api/me/calls`), with a
// button to call each number back.

import { ApiError, fetchRecentCalls, type CallRecord } from './api';
import { formatDuration } from './format';

const LIMIT = 20;

export class RecentCalls {
  private own = '';
  /** The records on show, drawn again when the own number becomes known. */
  private records: CallRecord[] | null = null;
  /** Answers to older requests are dropped when a newer one was sent meanwhile. */
  private generation = 0;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly empty: HTMLElement,
    private readonly callBack: (number: string) => void,
  ) {}

  /** The user's extension number: calls from it are outgoing. */
  setOwnNumber(number: string): void {
    if (number === this.own) return;
    this.own = number;
    // The list may have arrived first (both requests start with the page): who called whom
    // depends on this number, so draw it again.
    if (this.records) this.list.replaceChildren(...this.records.map((r) => this.item(r)));
  }

  async refresh(): Promise<void> {
    const generation = ++this.generation;
    let records: CallRecord[];
    try {
      records = await fetchRecentCalls(LIMIT);
    } catch (err) {
      if (generation !== this.generation) return;
      // Having no extension is said once, at the top of the page.
      if (err instanceof ApiError && err.status === 404) {
        this.show([], 'No calls yet.');
      } else {
        this.show(null, `Recent calls cannot be loaded: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    if (generation !== this.generation) return;
    this.show(records, 'No calls yet.');
  }

  /** Renders `records`, or keeps the current list when null; `message` shows when empty. */
  private show(records: CallRecord[] | null, message: string): void {
    if (records) {
      this.records = records;
      this.list.replaceChildren(...records.map((r) => this.item(r)));
    }
    const nothing = this.list.childElementCount === 0;
    this.empty.textContent = message;
    this.empty.hidden = !nothing && records !== null;
  }

  private item(record: CallRecord): HTMLLIElement {
    const outgoing = record.caller === this.own;
    const peer = outgoing ? record.dialed || record.callee : record.caller;
    // A call still up (transferred away, or on another phone) has no answer time yet.
    const ongoing = record.disposition === 'in progress';
    const missed = !outgoing && !record.answered && !ongoing;
    const kind = outgoing ? 'outgoing' : missed ? 'missed' : 'incoming';

    const li = document.createElement('li');
    li.className = `recent-call ${kind}`;
    li.dataset.number = peer;

    const icon = element('span', 'recent-dir', outgoing ? '↗' : '↙');
    icon.setAttribute('aria-hidden', 'true');
    const who = element('span', 'recent-peer', peer || 'Unknown');
    const detail = ongoing
      ? `${outgoing ? 'Outgoing' : 'Incoming'} · In progress`
      : record.answered
      ? `${outgoing ? 'Outgoing' : 'Incoming'} · ${formatDuration(record.duration)}`
      : outgoing
        ? `Outgoing · ${capitalize(record.disposition || 'not answered')}`
        : 'Missed';
    const meta = element('span', 'recent-meta', `${detail} · ${formatWhen(record.start)}`);
    const text = element('span', 'recent-text', '');
    text.append(who, meta);
    li.append(icon, text);

    if (peer) {
      const button = element('button', 'btn btn-small recent-dial', 'Call');
      button.type = 'button';
      button.setAttribute('aria-label', `Call ${peer}`);
      button.addEventListener('click', () => this.callBack(peer));
      li.append(button);
    }
    return li;
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  el.textContent = text;
  return el;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "14:05" today, "Mon 14:05" within a week, else the date. */
function formatWhen(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const when = new Date(ms);
  const now = new Date();
  const time = when.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (when.toDateString() === now.toDateString()) return time;
  const days = (now.getTime() - ms) / 86_400_000;
  if (days >= 0 && days < 6) return `${when.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`;
  return when.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
