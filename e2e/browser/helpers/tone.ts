// The fake microphones: a sine WAV per browser, 16-bit mono PCM (what Chromium's
// --use-file-for-fake-audio-capture reads; it loops the file).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The tones of the tests: inside the G.711 band (300-3400 Hz), no one a harmonic of another,
 *  hundreds of Hz apart so that a few FFT bins of tolerance never mistake one for another. */
export const TONES = {
  alice: 440,
  bob: 1000,
  baresip: 1800,
  /** the sipp provider behind a trunk (PCMU RTP from a pcap made by e2e/pcmu.py) */
  provider: 1250,
  /** a provider's announcement in early media (183 with SDP), PCMU from a pcap too */
  announcement: 700,
} as const;

const RATE = 48_000;
const SECONDS = 10; // a whole number of periods of each tone: the loop has no click

/** Writes DIR/NAME-HZ.wav (once) and returns its path. Amplitude -10 dBFS: loud enough for
 *  the level floor of the analyser, far from clipping after Opus and G.711. */
export function toneWav(dir: string, name: string, hz: number): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${hz}.wav`);
  if (fs.existsSync(file)) return file;
  const frames = RATE * SECONDS;
  const data = Buffer.alloc(frames * 2);
  const amplitude = 32767 * 0.316;
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, data]));
  fs.renameSync(tmp, file);
  return file;
}
