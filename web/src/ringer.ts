// Sounds made with WebAudio oscillators (no audio files): the ring of an incoming call, the
// ringback while the far side rings, and a short tone for each dial-pad key.
//
// Browsers let an AudioContext play only after the user has interacted with the page; one
// made earlier starts suspended and Chromium logs a warning about it. So the context is made
// on the first click or key press (or at once, when the page already had one), and a ring that
// starts before that sounds from the first interaction on; the banner shows the call anyway.

type Pattern = 'ring' | 'ringback';

interface Cadence {
  /** The two frequencies of the tone, in Hz. */
  tones: [number, number];
  /** Alternating on/off durations of one cycle, in seconds, starting with "on". */
  steps: number[];
  level: number;
}

const CADENCES: Record<Pattern, Cadence> = {
  // A double ring, easy to tell from the ringback of the other call direction.
  ring: { tones: [440, 480], steps: [0.4, 0.2, 0.4, 2.0], level: 0.18 },
  ringback: { tones: [440, 480], steps: [2.0, 4.0], level: 0.06 },
};

const KEY_ROWS: Record<string, number> = { '1': 697, '2': 697, '3': 697, '4': 770, '5': 770, '6': 770, '7': 852, '8': 852, '9': 852, '*': 941, '0': 941, '#': 941 };
const KEY_COLS: Record<string, number> = { '1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336, '3': 1477, '6': 1477, '9': 1477, '#': 1477 };

interface SinkContext extends AudioContext {
  setSinkId?: (id: string) => Promise<void>;
}

interface Playing {
  pattern: Pattern;
  stop(): void;
}

export class Ringer {
  private ctx: SinkContext | null = null;
  private wanted: Pattern | null = null;
  private playing: Playing | null = null;
  private sinkId = '';

  constructor() {
    const unlock = (): void => {
      this.unlock();
      if (this.ctx) {
        window.removeEventListener('pointerdown', unlock, true);
        window.removeEventListener('keydown', unlock, true);
      }
    };
    window.addEventListener('pointerdown', unlock, true);
    window.addEventListener('keydown', unlock, true);
  }

  /** Starts `pattern` (replacing another one), or keeps it playing. */
  start(pattern: Pattern): void {
    this.wanted = pattern;
    if (!this.ctx && hasBeenActive()) this.unlock();
    this.apply();
  }

  stop(): void {
    this.wanted = null;
    this.apply();
  }

  /** A short DTMF tone as feedback for a dial-pad key. */
  key(key: string): void {
    const ctx = this.ctx;
    const low = KEY_ROWS[key];
    const high = KEY_COLS[key];
    if (!ctx || ctx.state !== 'running' || low === undefined || high === undefined) return;
    const gain = ctx.createGain();
    const t = ctx.currentTime;
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.08, t + 0.005);
    gain.gain.setValueAtTime(0.08, t + 0.11);
    gain.gain.linearRampToValueAtTime(0, t + 0.12);
    gain.connect(ctx.destination);
    for (const f of [low, high]) {
      const osc = ctx.createOscillator();
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(t);
      osc.stop(t + 0.13);
      osc.onended = () => osc.disconnect();
    }
    window.setTimeout(() => gain.disconnect(), 300);
  }

  /** Plays on this output device ('' for the default) where the browser allows choosing. */
  setSink(id: string): void {
    this.sinkId = id;
    this.applySink();
  }

  private unlock(): void {
    if (this.ctx || typeof AudioContext === 'undefined') return;
    try {
      this.ctx = new AudioContext();
    } catch {
      return;
    }
    this.applySink();
    this.apply();
  }

  private applySink(): void {
    const ctx = this.ctx;
    if (!ctx || typeof ctx.setSinkId !== 'function') return;
    // A device that went away: keep the current output rather than fail the ring.
    ctx.setSinkId(this.sinkId).catch(() => undefined);
  }

  private apply(): void {
    if (this.playing && this.playing.pattern !== this.wanted) {
      this.playing.stop();
      this.playing = null;
    }
    const ctx = this.ctx;
    if (!this.wanted || this.playing || !ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => undefined);
    this.playing = play(ctx, this.wanted);
  }
}

function hasBeenActive(): boolean {
  const activation = (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } }).userActivation;
  return activation?.hasBeenActive === true;
}

/** Plays `pattern` until stopped: two oscillators through an envelope scheduled per cycle. */
function play(ctx: AudioContext, pattern: Pattern): Playing {
  const cadence = CADENCES[pattern];
  const envelope = ctx.createGain();
  envelope.gain.value = 0;
  envelope.connect(ctx.destination);
  const oscillators = cadence.tones.map((f) => {
    const osc = ctx.createOscillator();
    osc.frequency.value = f;
    osc.connect(envelope);
    osc.start();
    return osc;
  });
  const cycle = cadence.steps.reduce((a, b) => a + b, 0);
  const schedule = (from: number): void => {
    let t = from;
    cadence.steps.forEach((len, i) => {
      const on = i % 2 === 0;
      // Short ramps instead of steps: a hard edge clicks.
      envelope.gain.setValueAtTime(on ? 0 : cadence.level, t);
      envelope.gain.linearRampToValueAtTime(on ? cadence.level : 0, t + 0.01);
      t += len;
    });
  };
  let next = ctx.currentTime + 0.05;
  schedule(next);
  next += cycle;
  // Schedule each cycle ahead of time; timers in background tabs may run late.
  const timer = window.setInterval(() => {
    if (next - ctx.currentTime < cycle) {
      schedule(next);
      next += cycle;
    }
  }, 500);
  return {
    pattern,
    stop(): void {
      window.clearInterval(timer);
      const t = ctx.currentTime;
      envelope.gain.cancelScheduledValues(t);
      envelope.gain.setValueAtTime(envelope.gain.value, t);
      envelope.gain.linearRampToValueAtTime(0, t + 0.02);
      for (const osc of oscillators) osc.stop(t + 0.05);
      window.setTimeout(() => envelope.disconnect(), 200);
    },
  };
}
