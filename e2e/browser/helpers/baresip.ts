// baresip as a G.711-only desk phone, the way e2e/baresip/call.sh runs it: its own config
// directory, bound to 127.0.0.1 only (no STUN/ICE/TURN modules), the microphone a tone WAV
// made by e2e/baresip/tone.py, auto-answer, and what it decodes dumped to a WAV by the
// sndfile module; tone.py's Goertzel check then says which tone it heard.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO } from './env';

const run = promisify(execFile);
const TONE_PY = path.join(REPO, 'e2e', 'baresip', 'tone.py');
const RATE = 8000; // ausrc_srate/auplay_srate below: the dump is 8 kHz 16-bit mono

function bind<T extends net.Server | dgram.Socket>(s: T, port: number): Promise<T | null> {
  return new Promise((resolve) => {
    s.once('error', () => resolve(null));
    if (s instanceof net.Server) s.listen(port, '127.0.0.1', () => resolve(s));
    else (s as dgram.Socket).bind(port, '127.0.0.1', () => resolve(s));
  });
}

function close(s: net.Server | dgram.Socket | null): Promise<void> {
  return new Promise((resolve) => {
    if (!s) return resolve();
    if (s instanceof net.Server) s.close(() => resolve());
    else (s as dgram.Socket).close(() => resolve());
  });
}

/** A port free on 127.0.0.1 for TCP and UDP, with port+1 free for TCP too (baresip also
 *  listens for TLS on the port after its SIP port). */
export async function freeSipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const t = await bind(net.createServer(), 0);
    const port = t ? (t.address() as net.AddressInfo).port : 0;
    const u = port ? await bind(dgram.createSocket('udp4'), port) : null;
    const n = port && port < 65535 ? await bind(net.createServer(), port + 1) : null;
    await Promise.all([close(t), close(u), close(n)]);
    if (t && u && n) return port;
  }
  throw new Error('no free port pair on 127.0.0.1');
}

export interface BaresipOptions {
  dir: string;
  number: string;
  secret: string;
  domain: string;
  /** The server's SIP UDP listener, host:port. */
  server: string;
  tone: number;
  /** First of 200 RTP ports, away from the server's [media] range. */
  rtpLow: number;
}

export class Baresip {
  private exited = false;

  private constructor(
    readonly dir: string,
    private readonly proc: ChildProcess,
    readonly log: string,
  ) {
    proc.once('exit', () => {
      this.exited = true;
    });
  }

  static async start(o: BaresipOptions): Promise<Baresip> {
    const rec = path.join(o.dir, 'rec');
    fs.mkdirSync(rec, { recursive: true });
    const wav = path.join(o.dir, 'tone.wav');
    await run('python3', [TONE_PY, 'gen', wav, String(o.tone), '60']);
    const port = await freeSipPort();
    const config = [
      '# written by e2e/browser/helpers/baresip.ts: loopback only, no NAT traversal, no sound card',
      'poll_method\t\tepoll',
      `sip_listen\t\t127.0.0.1:${port}`,
      'sip_transports\t\tudp',
      'net_interface\t\t127.0.0.1',
      'audio_path\t\t/usr/share/baresip',
      'audio_player\t\talsa,null',
      'audio_alert\t\talsa,null',
      `audio_source\t\taufile,${wav}`,
      `ausrc_srate\t\t${RATE}`,
      `auplay_srate\t\t${RATE}`,
      'ausrc_channels\t\t1',
      'auplay_channels\t\t1',
      `rtp_ports\t\t${o.rtpLow}-${o.rtpLow + 199}`,
      'rtcp_mux\t\tno',
      'module_path\t\t/usr/lib/baresip/modules',
      'module\t\t\tg711.so',
      'module\t\t\tg722.so', // loaded but not in audio_codecs: the account offers PCMU only
      'module\t\t\taufile.so',
      'module\t\t\talsa.so',
      'module\t\t\tsndfile.so',
      'module\t\t\tmenu.so',
      'module_app\t\taccount.so',
      `snd_path\t\t${rec}`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(o.dir, 'config'), config);
    const account =
      `<sip:${o.number}@${o.domain};transport=udp>;auth_pass=${o.secret};` +
      `outbound="sip:${o.server};transport=udp";regint=300;answermode=auto;audio_codecs=PCMU\n`;
    fs.writeFileSync(path.join(o.dir, 'accounts'), account);
    const log = path.join(o.dir, 'baresip.log');
    const out = fs.openSync(log, 'w');
    // -s: the SIP trace goes to the log too; -t: a safety net should the test die before it
    // stops the phone.
    const proc = spawn('baresip', ['-s', '-f', o.dir, '-t', '170'], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    return new Baresip(o.dir, proc, log);
  }

  logText(): string {
    try {
      return fs.readFileSync(this.log, 'latin1');
    } catch {
      return '';
    }
  }

  /** The last lines of its log without colour codes and the SIP trace's bodies. */
  tail(lines = 25): string {
    return this.logText()
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .map((l) => `    | ${l}`)
      .join('\n');
  }

  /** Waits for the 200 to its REGISTER ("...} 200 OK" in the log, as call.sh does). */
  async waitRegistered(timeoutMs = 15_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (/\} 200 OK/.test(this.logText())) return;
      if (this.exited) break;
      await sleep(100);
    }
    throw new Error(`baresip did not register within ${timeoutMs / 1000} s${this.exited ? ' (it exited)' : ''}:\n${this.tail()}`);
  }

  /** The WAV of what it decoded during the call (sndfile: ...-dec.wav). */
  recording(): string | null {
    const rec = path.join(this.dir, 'rec');
    const f = fs.existsSync(rec) ? fs.readdirSync(rec).find((n) => n.endsWith('-dec.wav')) : undefined;
    return f ? path.join(rec, f) : null;
  }

  /** Waits until its recording holds SECONDS of audio (the file grows while the call lasts). */
  async waitRecorded(seconds: number, timeoutMs = 15_000): Promise<void> {
    const started = Date.now();
    let size = 0;
    while (Date.now() - started < timeoutMs) {
      const f = this.recording();
      size = f ? fs.statSync(f).size : 0;
      if (size >= 44 + seconds * RATE * 2) return;
      await sleep(200);
    }
    throw new Error(`baresip's recording has ${((Math.max(size - 44, 0)) / RATE / 2).toFixed(2)} s after ${timeoutMs / 1000} s, want ${seconds} s`);
  }

  /** The encoder baresip chose ("Set audio encoder: PCMU 8000Hz 1ch"). */
  encoder(): string | null {
    const m = [...this.logText().matchAll(/Set audio encoder: (\S+)/g)];
    return m.length ? m[m.length - 1][1] : null;
  }

  /** Quits it like call.sh does (SIGINT, then SIGKILL after 3 s): sndfile closes its WAVs. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.proc.kill('SIGINT');
    for (let i = 0; i < 30 && !this.exited; i++) await sleep(100);
    if (!this.exited) this.proc.kill('SIGKILL');
    for (let i = 0; i < 10 && !this.exited; i++) await sleep(100);
  }
}

/** tone.py check: exit 0 when FILE holds WANT Hz and none of OTHERS. Returns its line. */
export async function checkTone(file: string, want: number, others: number[]): Promise<{ ok: boolean; line: string }> {
  try {
    const { stdout } = await run('python3', [TONE_PY, 'check', file, String(want), ...others.map(String)]);
    return { ok: true, line: stdout.trim() };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, line: (err.stdout || err.stderr || err.message).trim() };
  }
}
