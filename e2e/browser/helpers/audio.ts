// Hearing the far side: an AnalyserNode on `#remote-audio`'s srcObject (the remote stream the
// softphone plays), injected with page.evaluate (CDP evaluation is not subject to the page's
// CSP). The dominant frequency is judged with a tolerance of a few FFT bins; audio levels from
// getStats() stay 0 under Playwright's --mute-audio, so the spectrum is what counts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from '@playwright/test';

export interface Spectrum {
  /** Why nothing could be measured (no element, no stream, no audio track). */
  missing?: string;
  peakHz: number;
  /** Level of the peak bin in dB (getFloatFrequencyData): silence is far below LEVEL_FLOOR. */
  peakDb: number;
  binHz: number;
  context: string;
  paused: boolean;
  track: string;
}

/** Bins of tolerance around the expected frequency (~5.9 Hz each at 48 kHz, fftSize 8192). */
const TOLERANCE_BINS = 3;
/** Below this peak level the stream is taken as silent, whatever its peak frequency. */
const LEVEL_FLOOR_DB = -75;
const POLL_MS = 250;

/** One measurement of the page's remote audio (sets the analyser up on first use, and again
 *  when the softphone replaces the stream or its tracks). */
export async function measure(page: Page): Promise<Spectrum> {
  return page.evaluate(() => {
    type Probe = {
      ctx: AudioContext;
      stream: MediaStream;
      key: string;
      source: MediaStreamAudioSourceNode;
      analyser: AnalyserNode;
    };
    const w = window as unknown as { __sbE2eProbe?: Probe };
    const empty = { peakHz: 0, peakDb: -Infinity, binHz: 0, context: '-', paused: true, track: '-' };
    const el = document.querySelector('#remote-audio');
    if (!(el instanceof HTMLAudioElement)) return { ...empty, missing: 'no audio#remote-audio element' };
    const stream = el.srcObject;
    if (!(stream instanceof MediaStream)) return { ...empty, missing: '#remote-audio has no MediaStream srcObject' };
    const tracks = stream.getAudioTracks();
    if (tracks.length === 0) return { ...empty, missing: 'the remote stream has no audio track' };
    const key = tracks.map((t) => t.id).join(',');
    let probe = w.__sbE2eProbe;
    if (!probe || probe.stream !== stream || probe.key !== key) {
      const ctx = probe?.ctx ?? new AudioContext();
      if (probe) probe.source.disconnect();
      const source = ctx.createMediaStreamSource(stream);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      analyser.smoothingTimeConstant = 0;
      source.connect(analyser);
      probe = { ctx, stream, key, source, analyser };
      w.__sbE2eProbe = probe;
    }
    if (probe.ctx.state === 'suspended') void probe.ctx.resume();
    const bins = new Float32Array(probe.analyser.frequencyBinCount);
    probe.analyser.getFloatFrequencyData(bins);
    const binHz = probe.ctx.sampleRate / probe.analyser.fftSize;
    // from ~50 Hz up: DC and hum bins say nothing about a tone
    let best = Math.ceil(50 / binHz);
    for (let i = best; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    const t = tracks[0];
    return {
      peakHz: best * binHz,
      peakDb: bins[best],
      binHz,
      context: probe.ctx.state,
      paused: el.paused,
      track: `${t.readyState}${t.muted ? ' muted' : ''}${t.enabled ? '' : ' disabled'}`,
    };
  });
}

export function hears(s: Spectrum, hz: number): boolean {
  return (
    !s.missing &&
    s.peakDb > LEVEL_FLOOR_DB &&
    Math.abs(s.peakHz - hz) <= TOLERANCE_BINS * s.binHz
  );
}

export function describe(s: Spectrum): string {
  if (s.missing) return s.missing;
  const level = Number.isFinite(s.peakDb) ? `${s.peakDb.toFixed(1)} dB` : 'silence';
  return `peak ${s.peakHz.toFixed(1)} Hz at ${level} (bin ${s.binHz.toFixed(2)} Hz; AudioContext ${s.context}, audio element ${s.paused ? 'paused' : 'playing'}, track ${s.track})`;
}

async function pollUntil(
  page: Page,
  ok: (s: Spectrum) => boolean,
  times: number,
  timeoutMs: number,
): Promise<{ done: boolean; last: Spectrum | null; ms: number }> {
  const started = Date.now();
  let run = 0;
  let last: Spectrum | null = null;
  while (Date.now() - started < timeoutMs) {
    last = await measure(page);
    run = ok(last) ? run + 1 : 0;
    if (run >= times) return { done: true, last, ms: Date.now() - started };
    await sleep(POLL_MS);
  }
  return { done: false, last, ms: Date.now() - started };
}

/** Waits until WHO's page hears HZ as its dominant frequency (two measurements in a row). */
export async function expectTone(page: Page, who: string, hz: number, timeoutMs = 10_000): Promise<Spectrum> {
  const r = await pollUntil(page, (s) => hears(s, hz), 2, timeoutMs);
  if (!r.done || !r.last) {
    throw new Error(`${who} did not hear ${hz} Hz within ${timeoutMs / 1000} s: last measurement ${r.last ? describe(r.last) : 'none'}`);
  }
  return r.last;
}

/** Waits until WHO's page no longer hears HZ (silence or another peak, four measurements in a
 *  row: a second of it). */
export async function expectNoTone(page: Page, who: string, hz: number, timeoutMs = 10_000): Promise<Spectrum> {
  const r = await pollUntil(page, (s) => !hears(s, hz), 4, timeoutMs);
  if (!r.done || !r.last) {
    throw new Error(`${who} still heard ${hz} Hz after ${timeoutMs / 1000} s: last measurement ${r.last ? describe(r.last) : 'none'}`);
  }
  return r.last;
}
