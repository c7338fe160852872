// One Chromium process per person: the fake-audio file is per process, so two users who must
// send different tones need two `chromium.launch()`es, not two contexts of one browser.
// The `people` fixture launches them, records every page's uncaught errors and console
// errors, takes the named screenshots, and on failure a screenshot of every page it opened.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, test as base, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { ARTIFACTS, SCREENSHOTS, serverEnv, type ServerEnv } from './env';
import { toneWav } from './tone';

// The flags of ../shared/notes/browser-tests.md. --allow-loopback-in-peer-connection is what
// makes Chromium offer a 127.0.0.1 candidate at all in a namespace with only `lo`; the autoplay
// flag lets the injected AudioContext run without a click.
const FLAGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export interface Person {
  name: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every SIP message over the page's WebSockets, "time > (sent) or < (received)", saved at
   *  the end as artifacts/PREFIX-sip-NAME.log: what the page and the server said. */
  sip: string[];
}

export interface LaunchOptions {
  /** Where relative URLs go (default: the plain-HTTP portal, SB_BASE_URL). */
  baseUrl?: string;
  /** Accept the server's self-signed certificate (pages and wss:// alike). */
  ignoreHTTPSErrors?: boolean;
}

export class People {
  readonly env: ServerEnv;
  private readonly list: Person[] = [];
  /** Uncaught exceptions and console errors, "who: what (url)". */
  readonly problems: string[] = [];
  /** Failed resource loads (an expected 404 of /api/me/sip for a user without extension
   *  shows up as one): reported, not failed on. */
  readonly resourceErrors: string[] = [];
  private shots = 0;

  constructor(private readonly info: TestInfo, private readonly prefix: string) {
    this.env = serverEnv();
  }

  /** Launches NAME's own Chromium; with TONE its microphone plays that sine. */
  async launch(name: string, tone?: number, options: LaunchOptions = {}): Promise<Person> {
    const args = [...FLAGS];
    if (tone !== undefined) {
      args.push(`--use-file-for-fake-audio-capture=${toneWav(path.join(this.env.work, 'tones'), name, tone)}`);
    }
    const browser = await chromium.launch({ executablePath: this.env.chromium, headless: true, args });
    const context = await browser.newContext({
      baseURL: options.baseUrl ?? this.env.baseUrl,
      // the HTTPS listener's certificate is self-signed (made by the server on first start)
      ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
      // Without the grant a page that never opened the microphone gathers no candidate here.
      permissions: ['microphone'],
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => this.problems.push(`${name}: uncaught ${e.name}: ${e.message} (${page.url()})`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const where = m.location().url || page.url();
      if (m.text().startsWith('Failed to load resource')) {
        this.resourceErrors.push(`${name}: ${m.text()} (${where})`);
      } else {
        this.problems.push(`${name}: console error: ${m.text()} (${where})`);
      }
    });
    const sip: string[] = [];
    page.on('websocket', (ws) => {
      const log = (dir: string) => (f: { payload: string | Buffer }) =>
        sip.push(`${new Date().toISOString()} ${dir} ${ws.url()}\n${String(f.payload)}`);
      ws.on('framesent', log('>'));
      ws.on('framereceived', log('<'));
      ws.on('close', () => sip.push(`${new Date().toISOString()} closed ${ws.url()}`));
    });
    const person = { name, browser, context, page, sip };
    this.list.push(person);
    return person;
  }

  /** A full-page screenshot artifacts/screenshots/PREFIX-NN-NAME.png, attached to the report. */
  async shot(page: Page, name: string): Promise<void> {
    this.shots += 1;
    const file = path.join(SCREENSHOTS, `${this.prefix}-${String(this.shots).padStart(2, '0')}-${name}.png`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: file, fullPage: true });
    await this.info.attach(name, { path: file, contentType: 'image/png' });
  }

  async close(failed: boolean): Promise<void> {
    if (this.resourceErrors.length) {
      await this.info.attach('failed resource loads', { body: this.resourceErrors.join('\n'), contentType: 'text/plain' });
    }
    for (const p of this.list) {
      if (p.sip.length) {
        const file = path.join(ARTIFACTS, `${this.prefix}-sip-${p.name}.log`);
        fs.writeFileSync(file, p.sip.join('\n\n') + '\n');
      }
      if (failed && !p.page.isClosed()) {
        const file = path.join(SCREENSHOTS, `${this.prefix}-failed-${p.name}.png`);
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        await p.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      }
      await p.browser.close().catch(() => undefined);
    }
  }
}

export const test = base.extend<{ people: People }>({
  // eslint-disable-next-line no-empty-pattern
  people: async ({}, use, testInfo) => {
    const prefix = path.basename(testInfo.file).replace(/\.spec\.ts$/, '');
    const people = new People(testInfo, prefix);
    await use(people);
    await people.close(testInfo.status !== testInfo.expectedStatus);
  },
});

export { expect } from '@playwright/test';
