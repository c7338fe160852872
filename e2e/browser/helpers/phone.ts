// The softphone page as a person uses it (DOM contract of TEAM.md H4).
import { expect, type Page } from '@playwright/test';

export async function expectRegistered(page: Page, who: string): Promise<void> {
  await expect(page.locator('#reg-status'), `${who}'s #reg-status reaches registered`).toHaveAttribute(
    'data-state',
    'registered',
    { timeout: 20_000 },
  );
}

export async function expectCallState(page: Page, who: string, state: string, timeoutMs = 10_000): Promise<void> {
  await expect(page.locator('#call-state'), `${who}'s #call-state is ${state}`).toHaveAttribute('data-state', state, {
    timeout: timeoutMs,
  });
}

/** Types NUMBER into #dial-number and presses #call-button. */
export async function dial(page: Page, number: string): Promise<void> {
  await page.locator('#dial-number').fill(number);
  await page.locator('#call-button').click();
}

/** Waits for the incoming-call banner naming FROM (number or display name). */
export async function expectIncoming(page: Page, who: string, from: RegExp): Promise<void> {
  await expect(page.locator('#incoming-banner'), `${who} sees #incoming-banner`).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('#incoming-from'), `${who}'s #incoming-from names the caller`).toContainText(from);
}

export async function pressKey(page: Page, key: string): Promise<void> {
  await page.locator(`button.dialpad-key[data-key="${key}"]`).click();
}

/** A call that ended leaves the phone `ended` (briefly) or back at `idle`. */
export async function expectCallOver(page: Page, who: string): Promise<void> {
  await expect(page.locator('#call-state'), `${who}'s #call-state is ended or idle`).toHaveAttribute(
    'data-state',
    /^(ended|idle)$/,
    { timeout: 10_000 },
  );
}

/** Waits for #reg-status[data-state=STATE] (the connection and registration badge). */
export async function expectRegState(page: Page, who: string, state: string, timeoutMs = 20_000): Promise<void> {
  await expect(page.locator('#reg-status'), `${who}'s #reg-status is ${state}`).toHaveAttribute('data-state', state, {
    timeout: timeoutMs,
  });
}

/** Starts recording every value #reg-status[data-state] takes from now on (a MutationObserver
 *  injected into the page; the softphone itself exposes nothing): a state that lasts only a
 *  moment, like `disconnected` during a quick reconnect, is still seen. */
export async function recordRegStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __sbE2eRegStates?: string[] };
    const el = document.querySelector('#reg-status');
    const states: string[] = [el?.getAttribute('data-state') ?? '(no #reg-status)'];
    w.__sbE2eRegStates = states;
    if (!el) return;
    new MutationObserver(() => {
      const s = el.getAttribute('data-state') ?? '';
      if (states[states.length - 1] !== s) states.push(s);
    }).observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
}

/** The states recorded since recordRegStates, oldest first. */
export async function regStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __sbE2eRegStates?: string[] }).__sbE2eRegStates ?? []);
}

/** Starts recording every state #call-state takes from now on, as "STATE: LABEL" (its
 *  data-state and the text the page shows), with a MutationObserver injected into the page:
 *  a state that lasts only a moment is still seen, and so is the order of the states. */
export async function recordCallStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __sbE2eCallStates?: string[] };
    const el = document.querySelector('#call-state');
    const now = (): string => `${el?.getAttribute('data-state') ?? ''}: ${(el?.textContent ?? '').trim()}`;
    const states: string[] = [el ? now() : '(no #call-state)'];
    w.__sbE2eCallStates = states;
    if (!el) return;
    new MutationObserver(() => {
      const s = now();
      if (states[states.length - 1] !== s) states.push(s);
    }).observe(el, { attributes: true, attributeFilter: ['data-state'], childList: true, characterData: true, subtree: true });
  });
}

/** The "STATE: LABEL"s recorded since recordCallStates, oldest first. */
export async function callStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __sbE2eCallStates?: string[] }).__sbE2eCallStates ?? []);
}
