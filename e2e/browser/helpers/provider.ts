// A SIP provider at the far end of a trunk: sipp on a loopback address of its own (not the
// phones' 127.0.0.1) running a scenario of e2e/sipp/, and tcpdump capturing on `lo` the RTP
// the server sends it, which e2e/pcmu.py decodes to a WAV for e2e/baresip/tone.py. The suite
// runs as root in a namespace with only `lo`: sipp may play pcaps (raw sockets) and tcpdump
// may capture.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO } from './env';

const run = promisify(execFile);
const SIPP_DIR = path.join(REPO, 'e2e', 'sipp');
const PCMU_PY = path.join(REPO, 'e2e', 'pcmu.py');
const TONE_PY = path.join(REPO, 'e2e', 'baresip', 'tone.py');

function bindUdp(ip: string, port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(null));
    s.bind(port, ip, () => resolve(s));
  });
}

/** A UDP port free on IP with PORT+2 free too (sipp binds its audio port and, two above it,
 *  a video port). */
export async function freeUdpPort(ip: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = await bindUdp(ip, 0);
    const port = a ? a.address().port : 0;
    const b = port && port < 65534 ? await bindUdp(ip, port + 2) : null;
    a?.close();
    b?.close();
    if (a && b) return port;
  }
  throw new Error(`no free UDP port on ${ip}`);
}

function tail(file: string, lines = 15): string {
  try {
    return fs
      .readFileSync(file, 'latin1')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .map((l) => `    | ${l}`)
      .join('\n');
  } catch {
    return `    (no ${path.basename(file)})`;
  }
}

export interface ProviderOptions {
  /** Where its pcap, traces and screen output go. */
  dir: string;
  /** Its loopback address, e.g. 127.0.0.9. */
  ip: string;
  /** A scenario file of e2e/sipp/ that plays provider-tone.pcap (its working directory's). */
  scenario: string;
  /** The tone of provider-tone.pcap (PCMU, made with e2e/pcmu.py tone). */
  tone: number;
  /** Seconds of tone: longer than the call. */
  seconds: number;
}

/** sipp as the provider, for one call (-m 1): its exit status says whether the scenario ran
 *  to its end (for a UAS: the call was ended by a BYE it answered). */
export class SippProvider {
  private status: number | null = null;
  private readonly exited: Promise<number>;

  private constructor(
    readonly dir: string,
    readonly ip: string,
    readonly sipPort: number,
    readonly mediaPort: number,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.status = code ?? (signal ? 128 : 1);
        resolve(this.status);
      });
    });
  }

  static async start(o: ProviderOptions): Promise<SippProvider> {
    fs.mkdirSync(o.dir, { recursive: true });
    await run('python3', [PCMU_PY, 'tone', path.join(o.dir, 'provider-tone.pcap'), String(o.tone), String(o.seconds)]);
    const sipPort = await freeUdpPort(o.ip);
    let mediaPort = await freeUdpPort(o.ip);
    while (mediaPort === sipPort) mediaPort = await freeUdpPort(o.ip);
    const out = fs.openSync(path.join(o.dir, 'sipp.out'), 'w');
    const args = [
      '-sf', path.join(SIPP_DIR, o.scenario),
      '-i', o.ip, '-p', String(sipPort), '-mp', String(mediaPort),
      '-m', '1', '-nostdin', '-timeout', '170s', '-timeout_error',
      '-trace_msg', '-message_file', path.join(o.dir, 'sipp.msgs'),
      '-trace_err', '-error_file', path.join(o.dir, 'sipp.errors'),
      '-trace_logs', '-log_file', path.join(o.dir, 'sipp.log'),
    ];
    // play_pcap_audio names provider-tone.pcap relative to the working directory
    const proc = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const p = new SippProvider(o.dir, o.ip, sipPort, mediaPort, proc);
    // ready once it listens on its SIP port (or gone, saying why); `ss` looks without
    // binding, so it cannot take the port from under sipp
    for (let i = 0; i < 50 && p.status === null; i++) {
      const { stdout } = await run('ss', ['-H', '-uln', `( sport = :${sipPort} )`]).catch(() => ({ stdout: '' }));
      if (stdout.includes(`${o.ip}:${sipPort}`)) break;
      await sleep(100);
    }
    if (p.status !== null) throw new Error(`sipp exited at once (${p.status}):\n${p.output()}`);
    return p;
  }

  /** The messages it exchanged (its -trace_msg file). */
  messages(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'sipp.msgs'), 'latin1');
    } catch {
      return '';
    }
  }

  /** The Call-ID of the INVITE it received (from its message trace), or null before one. */
  inviteCallId(): string | null {
    return /^INVITE [^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(this.messages())?.[1] ?? null;
  }

  /** Lets a scenario that waits for the test's go-ahead (`<recv request="INFO"/>`, as in
   *  trunk-uas-early-media.xml) go on: an INFO carrying the Call-ID of the INVITE it got, sent
   *  from a socket of the test's, outside the call. sipp matches it to the call by its Call-ID
   *  and sends what follows to the server, as ever; it does not answer the INFO. */
  async goAhead(): Promise<void> {
    const callId = this.inviteCallId();
    if (!callId) throw new Error(`sipp got no INVITE to go ahead with:\n${this.output()}`);
    const sock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(0, '127.0.0.1', () => resolve());
      });
      const { port } = sock.address();
      const tag = Math.random().toString(36).slice(2, 10);
      const info = [
        `INFO sip:provider@${this.ip}:${this.sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-e2e-${tag}`,
        'Max-Forwards: 70',
        `From: <sip:e2e-test@127.0.0.1>;tag=e2e-${tag}`,
        `To: <sip:provider@${this.ip}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INFO',
        'Subject: the test\'s go-ahead',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      await new Promise<void>((resolve, reject) =>
        sock.send(info, this.sipPort, this.ip, (e) => (e ? reject(e) : resolve())),
      );
    } finally {
      sock.close();
    }
  }

  /** Its error file and last screen, for a failure message. */
  output(): string {
    return `sipp.errors:\n${tail(path.join(this.dir, 'sipp.errors'))}\nsipp.out:\n${tail(path.join(this.dir, 'sipp.out'))}`;
  }

  /** Its exit status, or null when it is still running after TIMEOUT_MS. */
  async waitExit(timeoutMs: number): Promise<number | null> {
    return Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
  }

  async stop(): Promise<void> {
    if (this.status !== null) return;
    this.proc.kill('SIGTERM');
    if ((await this.waitExit(3000)) === null) this.proc.kill('SIGKILL');
  }
}

/** What pcmu.py and tone.py made of a capture. */
export interface Decoded {
  packets: number;
  dominantHz: number;
  /** pcmu.py decode's line. */
  line: string;
  /** tone.py check: the tone is there and none of the others. */
  toneOk: boolean;
  toneLine: string;
}

/** tcpdump on `lo` writing the UDP datagrams sent to IP:PORT to a pcap file. */
export class RtpCapture {
  private stopped = false;

  private constructor(
    readonly file: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {
    proc.once('exit', () => {
      this.stopped = true;
    });
  }

  static async start(dir: string, ip: string, port: number): Promise<RtpCapture> {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `rtp-to-${port}.pcap`);
    const log = path.join(dir, 'tcpdump.log');
    const out = fs.openSync(log, 'w');
    // -U: each packet written as it comes, so the file's size says how much was captured
    const proc = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-Z', 'root', '-w', file, 'udp and dst host', ip, 'and dst port', String(port)], {
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const c = new RtpCapture(file, port, proc);
    for (let i = 0; i < 100; i++) {
      if (fs.readFileSync(log, 'latin1').includes('listening on')) return c;
      if (c.stopped) break;
      await sleep(100);
    }
    await c.stop();
    throw new Error(`tcpdump did not start capturing:\n${tail(log)}`);
  }

  /** Waits until the file holds about SECONDS of 20 ms PCMU packets (each about 230 bytes
   *  with its pcap, Ethernet, IP, UDP and RTP headers). */
  async waitSeconds(seconds: number, timeoutMs = 15_000): Promise<void> {
    const want = 24 + seconds * 50 * 230;
    const started = Date.now();
    let size = 0;
    while (Date.now() - started < timeoutMs) {
      size = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
      if (size >= want) return;
      await sleep(200);
    }
    throw new Error(`the capture of RTP to port ${this.port} has ${size} bytes after ${timeoutMs / 1000} s, want ${want} (${seconds} s of PCMU)`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.proc.kill('SIGINT'); // tcpdump flushes and closes its file
    for (let i = 0; i < 30 && !this.stopped; i++) await sleep(100);
    if (!this.stopped) this.proc.kill('SIGKILL');
  }

  /** Decodes the PCMU to a WAV next to the capture and checks it holds WANT Hz and none of
   *  OTHERS. */
  async decode(want: number, others: number[]): Promise<Decoded> {
    const wav = this.file.replace(/\.pcap$/, '.wav');
    let line = '';
    try {
      line = (await run('python3', [PCMU_PY, 'decode', this.file, String(this.port), wav])).stdout.trim();
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      line = (err.stdout || err.stderr || err.message).trim();
    }
    const packets = Number(/^(\d+) PCMU packets/.exec(line)?.[1] ?? 0);
    const dominantHz = Number(/dominant (\d+(?:\.\d+)?) Hz/.exec(line)?.[1] ?? 0);
    let toneOk = false;
    let toneLine = '';
    try {
      toneLine = (await run('python3', [TONE_PY, 'check', wav, String(want), ...others.map(String)])).stdout.trim();
      toneOk = true;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      toneLine = (err.stdout || err.stderr || err.message).trim();
    }
    return { packets, dominantHz, line, toneOk, toneLine };
  }
}
