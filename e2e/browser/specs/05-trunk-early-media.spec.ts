// Early media through a trunk, heard in a real browser. alice dials a number routed to a sipp
// provider that answers 183 Session Progress with a PCMU SDP and plays a 700 Hz announcement
// (a pcap made by e2e/pcmu.py): the server answers alice's browser in a 183 with its WebRTC
// answer, the browser connects ICE and DTLS while it rings, and alice's page hears the
// announcement (PCMU → Opus) while the phone still says ringing. The provider rings until the
// test has heard that (SippProvider.goAhead), so no answer can come first. Then:
//   - the provider answers 200 with the same SDP: the phone shows the call connected, alice's
//     200 carries the same SDP as her 183, the announcement goes on, the provider gets alice's
//     440 Hz, and alice hangs up (sipp gets the BYE and exits 0);
//   - or the provider refuses with 404: the phone shows the refused call and the
//     announcement stops (sipp gets the ACK and exits 0).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectNoTone, expectTone } from '../helpers/audio';
import { ARTIFACTS } from '../helpers/env';
import { callStates, dial, expectCallOver, expectCallState, expectRegistered, recordCallStates } from '../helpers/phone';
import { addIpTrunk, addRoute, ensureUser, login, waitForCdr } from '../helpers/portal';
import { RtpCapture, SippProvider } from '../helpers/provider';
import { expect, test, type People, type Person } from '../helpers/session';
import { TONES } from '../helpers/tone';

const ANNOUNCEMENT = TONES.announcement;

/** A response to alice's INVITE, as her page received it over its WebSocket. */
interface InviteResponse {
  status: number;
  body: string;
}

/** The responses to INVITEs among the SIP messages WHO's page received, in order. */
function inviteResponses(who: Person): InviteResponse[] {
  const out: InviteResponse[] = [];
  for (const frame of who.sip) {
    const [first, ...rest] = frame.split('\n');
    if (!/ < /.test(first)) continue;
    const message = rest.join('\n');
    const status = /^SIP\/2\.0 (\d{3}) /.exec(message);
    if (!status || !/^CSeq:\s*\d+\s+INVITE\s*$/im.test(message)) continue;
    const at = message.indexOf('\r\n\r\n');
    out.push({ status: Number(status[1]), body: at < 0 ? '' : message.slice(at + 4) });
  }
  return out;
}

function summary(responses: InviteResponse[]): string {
  return responses.map((r) => `${r.status}${r.body ? ' with SDP' : ''}`).join(', ') || 'none';
}

interface Setup {
  tag: string;
  /** The admin's page. */
  a: Person;
  alice: Person;
  provider: SippProvider;
}

/** The admin, a sipp provider on IP running SCENARIO (playing the announcement), its trunk
 *  and a route for NUMBER only (+1 prepended), and alice registered with a 440 Hz
 *  microphone. TAG names this test's alice (her SIP log) and screenshots. STARTED gets the
 *  provider as soon as it runs (to stop it whatever happens). */
async function setUp(
  people: People,
  o: { tag: string; ip: string; trunk: string; number: string; scenario: string; dir: string },
  started: (p: SippProvider) => void,
): Promise<Setup> {
  const env = people.env;
  const admin = await people.launch('admin');
  await test.step('the admin logs in (alice and 1001 there)', async () => {
    await login(admin.page, env.adminUser, env.adminPassword);
    await ensureUser(admin.page, 'alice', env.userPassword, '1001', 'Alice Anders');
  });

  let provider!: SippProvider;
  await test.step(`the provider starts: sipp on ${o.ip} with ${o.scenario}, a ${ANNOUNCEMENT} Hz announcement`, async () => {
    fs.rmSync(o.dir, { recursive: true, force: true });
    provider = await SippProvider.start({ dir: o.dir, ip: o.ip, scenario: o.scenario, tone: ANNOUNCEMENT, seconds: 60 });
    started(provider);
  });

  await test.step(`the admin adds the trunk ${o.trunk} and the route ${o.number} through it`, async () => {
    await addIpTrunk(admin.page, { name: o.trunk, host: o.ip, port: provider.sipPort, codecs: 'PCMU' });
    // the exact number: the routes of the other specs stay out of the way, whatever ran first
    await addRoute(admin.page, o.number, o.trunk, '+1');
  });

  const alice = await people.launch(`alice-${o.tag}`, TONES.alice);
  await test.step('alice logs in and registers', async () => {
    await login(alice.page, 'alice', env.userPassword);
    await expectRegistered(alice.page, 'alice');
    await recordCallStates(alice.page);
  });
  return { tag: o.tag, a: admin, alice, provider };
}

/** alice dials NUMBER; the provider's 183 reaches her as a 183 with the server's WebRTC SDP,
 *  and she hears the announcement while her phone still shows the call ringing. */
async function hearsEarlyMedia(people: People, s: Setup, number: string): Promise<void> {
  const al = s.alice.page;
  await test.step(`alice dials ${number}: the provider's 183 makes her phone ring`, async () => {
    await dial(al, number);
    try {
      await expectCallState(al, 'alice', 'ringing', 20_000);
    } catch (e) {
      throw new Error(`${String(e)}\nalice got: ${summary(inviteResponses(s.alice))}\n${s.provider.output()}`);
    }
    const invite = /^INVITE (\S+) SIP\/2\.0/m.exec(s.provider.messages())?.[1] ?? '(none)';
    expect(invite, 'the provider got the number with +1 prepended').toMatch(new RegExp(`^sip:\\+1${number}@`));
  });

  await test.step(`alice hears the ${ANNOUNCEMENT} Hz announcement while her phone rings (PCMU → Opus)`, async () => {
    await expectTone(al, 'alice', ANNOUNCEMENT, 15_000);
    await expect(al.locator('#call-state'), 'alice\'s phone still rings: the provider has not answered').toHaveAttribute('data-state', 'ringing');
    await people.shot(al, `phone-ringing-early-media-${s.tag}`);
    const states = await callStates(al);
    expect(states.filter((x) => !/^(idle|calling|ringing): /.test(x)), `alice's call states so far: ${states.join(' → ')}`).toEqual([]);
    const early = inviteResponses(s.alice).filter((r) => r.status === 183 && r.body);
    expect(early.length, `a 183 with SDP among alice's responses (${summary(inviteResponses(s.alice))})`).toBeGreaterThanOrEqual(1);
    const sdp = early[0].body;
    expect(sdp, 'the 183 carries a WebRTC answer: DTLS-SRTP').toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(sdp, 'the 183 carries ICE credentials').toMatch(/^a=ice-ufrag:/m);
    expect(sdp, 'the 183 carries a DTLS fingerprint').toMatch(/^a=fingerprint:/m);
    expect(s.provider.messages(), 'the provider has not answered (it waits for the go-ahead)').not.toMatch(/^SIP\/2\.0 [2-6]\d\d /m);
  });
}

test('a provider plays an announcement in early media: alice hears it while ringing, then the provider answers', async ({ people }) => {
  const NUMBER = '2125550181';
  const dir = path.join(ARTIFACTS, 'early-media-answer');
  let provider: SippProvider | null = null;
  let capture: RtpCapture | null = null;
  try {
    const s = await setUp(
      people,
      { tag: 'answer', ip: '127.0.0.10', trunk: 'early-answer', number: NUMBER, scenario: 'trunk-uas-early-media.xml', dir },
      (p) => (provider = p),
    );
    const p = s.provider;
    const al = s.alice.page;
    capture = await RtpCapture.start(dir, p.ip, p.mediaPort);
    const c = capture;

    await hearsEarlyMedia(people, s, NUMBER);

    await test.step('the provider answers with the same SDP: alice\'s call is connected', async () => {
      await p.goAhead();
      try {
        await expectCallState(al, 'alice', 'active', 15_000);
      } catch (e) {
        throw new Error(`${String(e)}\nalice got: ${summary(inviteResponses(s.alice))}\n${p.output()}`);
      }
      const responses = inviteResponses(s.alice);
      const early = responses.find((r) => r.status === 183 && r.body);
      const ok = responses.find((r) => r.status === 200);
      expect(ok?.body, `alice's 200 (${summary(responses)})`).toBeTruthy();
      expect(ok?.body, 'alice\'s 200 carries the same SDP as her 183').toBe(early?.body);
      const states = (await callStates(al)).map((x) => x.split(':')[0]);
      expect(states.filter((x, i) => x !== states[i - 1]), 'alice\'s call states').toEqual(['idle', 'calling', 'ringing', 'active']);
    });

    await test.step(`the announcement goes on after the answer, and the provider gets alice's ${TONES.alice} Hz`, async () => {
      await expectTone(al, 'alice', ANNOUNCEMENT, 10_000);
      await people.shot(al, 'phone-in-call-after-early-media');
      await c.waitSeconds(2);
    });

    await test.step('alice hangs up; the provider gets the BYE and answers it (sipp exits 0)', async () => {
      await al.locator('#hangup-button').click();
      await expectCallOver(al, 'alice');
      const status = await p.waitExit(15_000);
      expect(status, `sipp's exit status (null: still waiting for the BYE)\n${p.output()}`).toBe(0);
      expect(p.messages(), 'sipp received a BYE').toMatch(/^BYE sip:/m);
    });

    await test.step(`the RTP to the provider is PCMU carrying alice's ${TONES.alice} Hz`, async () => {
      await c.stop();
      const d = await c.decode(TONES.alice, [ANNOUNCEMENT]);
      test.info().annotations.push({ type: 'capture', description: d.line.replace(`${ARTIFACTS}/`, '') });
      expect(d.packets, `PCMU packets (PT 0) to the provider: ${d.line}`).toBeGreaterThanOrEqual(100);
      expect(Math.abs(d.dominantHz - TONES.alice), `the dominant frequency: ${d.line}`).toBeLessThanOrEqual(10);
      expect(d.toneOk, `tone.py check: ${d.toneLine}`).toBe(true);
    });

    await test.step('the call record: answered, opus ↔ PCMU', async () => {
      const row = await waitForCdr(s.a.page, '1001', NUMBER);
      expect(row.disposition.toLowerCase(), 'td.disposition').toContain('answered');
      expect(row.codecs, 'td.codecs: the browser leg, then the trunk leg').toMatch(/^opus(\/48000)? ↔ PCMU(\/8000)?$/i);
    });

    await test.step('no page had an uncaught error or a console error', async () => {
      expect(people.problems, 'page errors and console errors').toEqual([]);
    });
  } finally {
    await (capture as RtpCapture | null)?.stop();
    await (provider as SippProvider | null)?.stop();
  }
});

test('a provider plays an announcement in early media, then refuses with 404: alice hears it, then the call fails', async ({ people }) => {
  const NUMBER = '2125550182';
  const dir = path.join(ARTIFACTS, 'early-media-404');
  let provider: SippProvider | null = null;
  try {
    const s = await setUp(
      people,
      { tag: '404', ip: '127.0.0.11', trunk: 'early-404', number: NUMBER, scenario: 'trunk-uas-early-media-404.xml', dir },
      (p) => (provider = p),
    );
    const p = s.provider;
    const al = s.alice.page;

    await hearsEarlyMedia(people, s, NUMBER);

    await test.step('the provider refuses with 404: alice\'s phone shows the call failed', async () => {
      await p.goAhead();
      await expectCallOver(al, 'alice');
      const states = await callStates(al);
      expect(states.some((x) => x.startsWith('active')), `alice's call was never connected: ${states.join(' → ')}`).toBe(false);
      expect(states, 'alice\'s phone says why the call ended').toContain('ended: No such number');
      const responses = inviteResponses(s.alice);
      expect(responses.at(-1)?.status, `the final response to alice's INVITE (${summary(responses)})`).toBe(404);
      await people.shot(al, 'phone-refused-after-early-media');
      await expectNoTone(al, 'alice', ANNOUNCEMENT);
    });

    await test.step('the provider got the ACK for its 404 (sipp exits 0)', async () => {
      const status = await p.waitExit(15_000);
      expect(status, `sipp's exit status (null: still waiting for the ACK)\n${p.output()}`).toBe(0);
      expect(p.messages(), 'sipp received an ACK').toMatch(/^ACK sip:/m);
    });

    await test.step('no page had an uncaught error or a console error', async () => {
      expect(people.problems, 'page errors and console errors').toEqual([]);
    });
  } finally {
    await (provider as SippProvider | null)?.stop();
  }
});
