// The portal as a person uses it: log in, and the admin pages (element ids of TEAM.md H3).
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, type Page } from '@playwright/test';

/** Logs in through form#login-form and waits for the redirect to /phone. */
export async function login(page: Page, user: string, password: string): Promise<void> {
  if (!/\/login(\?|$)/.test(page.url())) await page.goto('/login');
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#login-submit').click();
  try {
    await page.waitForURL(/\/phone$/);
  } catch (e) {
    const error = await page.locator('#login-error').textContent({ timeout: 1000 }).catch(() => null);
    throw new Error(`${user} did not reach /phone after logging in (at ${page.url()}${error ? `, #login-error: ${error.trim()}` : ''}): ${String(e)}`);
  }
}

/** Creates an extension with form#extension-create and returns the SIP secret the page shows
 *  once (#sip-secret). */
export async function createExtension(page: Page, number: string, name: string): Promise<string> {
  await page.goto('/admin/extensions');
  await page.locator('#ext-number').fill(number);
  await page.locator('#ext-name').fill(name);
  await page.locator('#ext-create').click();
  const error = page.locator('#form-error');
  const secret = page.locator('#sip-secret');
  await expect(secret.or(error), `creating extension ${number} shows #sip-secret`).toBeVisible();
  if (await error.isVisible()) {
    throw new Error(`creating extension ${number} failed: #form-error says "${(await error.textContent())?.trim()}"`);
  }
  await expect(page.locator('#sip-secret-number')).toContainText(number);
  const value = ((await secret.textContent()) ?? '').trim() || (await secret.inputValue().catch(() => ''));
  expect(value, `the SIP secret of ${number} in #sip-secret`).not.toBe('');
  return value;
}

/** The extension's row in table#extensions, or null. */
export async function hasExtension(page: Page, number: string): Promise<boolean> {
  await page.goto('/admin/extensions');
  // the form is always there; the table may not be while there is no extension
  await expect(page.locator('form#extension-create')).toBeVisible();
  return (await page.locator(`table#extensions tr[data-number="${number}"]`).count()) > 0;
}

/** Creates a user with form#user-create owning EXTENSION and checks its row. */
export async function createUser(page: Page, name: string, password: string, extension: string): Promise<void> {
  await page.goto('/admin/users');
  await page.locator('#user-name').fill(name);
  await page.locator('#user-password').fill(password);
  await page.locator('select#user-extension').selectOption(extension);
  await page.locator('#user-create-submit').click();
  const error = page.locator('#form-error');
  const row = page.locator(`table#users tr[data-user="${name}"]`);
  await expect(row.or(error), `creating user ${name} shows its row`).toBeVisible();
  if (await error.isVisible()) {
    throw new Error(`creating user ${name} failed: #form-error says "${(await error.textContent())?.trim()}"`);
  }
  await expect(row).toContainText(extension);
}

export async function hasUser(page: Page, name: string): Promise<boolean> {
  await page.goto('/admin/users');
  await expect(page.locator('form#user-create')).toBeVisible();
  return (await page.locator(`table#users tr[data-user="${name}"]`).count()) > 0;
}

/** Makes sure user NAME exists with extension NUMBER (creating both as needed), so that a
 *  spec also runs on its own. */
export async function ensureUser(page: Page, name: string, password: string, number: string, display: string): Promise<void> {
  if (!(await hasExtension(page, number))) await createExtension(page, number, display);
  if (!(await hasUser(page, name))) await createUser(page, name, password, number);
}

/** Reloads PATH until SELECTOR matches (records and registrations show up behind events). */
export async function reloadUntil(page: Page, path: string, selector: string, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    await page.goto(path);
    if ((await page.locator(selector).count()) > 0) return;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what}: no ${selector} on ${path} after ${timeoutMs / 1000} s`);
    }
    await sleep(500);
  }
}

export interface CdrRow {
  caller: string;
  callee: string;
  dialed: string;
  start: string;
  disposition: string;
  duration: string;
  billable: string;
  codecs: string;
}

/** The newest row of table#cdrs on the current page from CALLER to CALLEE, or null. */
export async function cdrRow(page: Page, caller: string, callee: string): Promise<CdrRow | null> {
  const rows = page.locator('table#cdrs tr.cdr');
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const r = rows.nth(i);
    const cell = async (c: string) => ((await r.locator(`td.${c}`).first().textContent()) ?? '').trim();
    if ((await cell('caller')) !== caller || (await cell('callee')) !== callee) continue;
    return {
      caller,
      callee,
      dialed: await cell('dialed'),
      start: await cell('start'),
      disposition: await cell('disposition'),
      duration: await cell('duration'),
      billable: await cell('billable'),
      codecs: await cell('codecs'),
    };
  }
  return null;
}

/** Reloads /admin/cdrs until the call's record is there and closed (disposition set). */
export async function waitForCdr(page: Page, caller: string, callee: string, timeoutMs = 15_000): Promise<CdrRow> {
  const started = Date.now();
  for (;;) {
    await page.goto('/admin/cdrs');
    await expect(page.locator('form#cdr-filter')).toBeVisible();
    const row = await cdrRow(page, caller, callee);
    if (row && row.disposition !== '') return row;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`no call record ${caller} -> ${callee} in table#cdrs (tr.cdr td.caller/td.callee) after ${timeoutMs / 1000} s`);
    }
    await sleep(500);
  }
}

/** The id of user NAME, from the JSON API (the admin page's links are not part of the contract). */
export async function userId(page: Page, name: string): Promise<number> {
  const res = await page.request.get('/api/users');
  expect(res.status(), 'GET /api/users as admin').toBe(200);
  const users = (await res.json()) as Array<{ id: number; name: string }>;
  const u = Array.isArray(users) ? users.find((x) => x.name === name) : undefined;
  if (!u) throw new Error(`GET /api/users has no user ${name}`);
  return u.id;
}

/** A SIP secret for extension NUMBER that works now: creates the extension, or when it is
 *  there already (a spec run on its own after another, a rerun) resets its secret with
 *  form#extension-reset-secret, whose answer page shows the new one in #sip-secret. */
export async function freshSecret(page: Page, number: string, name: string): Promise<string> {
  if (!(await hasExtension(page, number))) return createExtension(page, number, name);
  await page.goto(`/admin/extensions/${number}`);
  await page.locator('form#extension-reset-secret button[type="submit"]').click();
  const secret = page.locator('#sip-secret');
  await expect(secret, `resetting the secret of ${number} shows #sip-secret`).toBeVisible();
  await expect(page.locator('#sip-secret-number')).toContainText(number);
  const value = ((await secret.textContent()) ?? '').trim();
  expect(value, `the new SIP secret of ${number} in #sip-secret`).not.toBe('');
  return value;
}

export interface RegistrationJson {
  extension: string;
  contact: string;
  transport: string;
  remote: string;
  user_agent: string | null;
  expires_in: number;
}

/** GET /api/registrations with the admin's session. */
export async function registrations(page: Page): Promise<RegistrationJson[]> {
  const res = await page.request.get('/api/registrations');
  expect(res.status(), 'GET /api/registrations as admin').toBe(200);
  const list = (await res.json()) as RegistrationJson[];
  return Array.isArray(list) ? list : [];
}

/** A trunk to a provider known by its address (IP authentication), over UDP. */
export interface IpTrunk {
  name: string;
  host: string;
  port: number;
  /** e.g. PCMU */
  codecs: string;
}

/** Adds TRUNK on the Trunks page (form#trunk-create) and checks its row: no registration, only
 *  its host allowed (/32), no OPTIONS (a sipp provider's scenario takes one INVITE and nothing
 *  else). FILLED runs once the form is filled in, before it is sent (a screenshot). */
export async function addIpTrunk(page: Page, trunk: IpTrunk, filled?: () => Promise<void>): Promise<void> {
  await page.goto('/admin/trunks');
  const form = page.locator('form#trunk-create');
  await form.locator('#trunk-name').fill(trunk.name);
  await form.locator('#trunk-host').fill(trunk.host);
  await form.locator('#trunk-port').fill(String(trunk.port));
  await form.locator('#trunk-transport').selectOption('udp');
  await form.locator('#trunk-register').uncheck();
  await form.locator('#trunk-allow').fill(`${trunk.host}/32`);
  await form.locator('#trunk-codecs').fill(trunk.codecs);
  await form.locator('#trunk-options-interval').fill('0');
  await filled?.();
  await page.locator('#trunk-create-submit').click();
  const row = page.locator(`table#trunks tr[data-trunk="${trunk.name}"]`);
  const error = page.locator('#form-error');
  await expect(row.or(error), `the trunk ${trunk.name} is listed`).toBeVisible();
  if (await error.isVisible()) throw new Error(`adding the trunk failed: #form-error says "${(await error.textContent())?.trim()}"`);
  await expect(row.locator('td.provider')).toContainText(`${trunk.host}:${trunk.port}`);
}

/** Adds the outbound route PATTERN through TRUNK, prepending PREPEND, on the Routes page, and
 *  checks its row. */
export async function addRoute(page: Page, pattern: string, trunk: string, prepend: string): Promise<void> {
  await page.goto('/admin/routes');
  await page.locator('#route-pattern').fill(pattern);
  await page.locator('#route-trunks').fill(trunk);
  await page.locator('#route-prepend').fill(prepend);
  await page.locator('#route-add-submit').click();
  const row = page.locator('table#routes tr[data-route-id]', { hasText: pattern });
  await expect(row, `the route ${pattern} is listed`).toBeVisible();
  await expect(row.locator('td.trunks')).toContainText(trunk);
  await expect(row.locator('td.prepend')).toHaveText(new RegExp(`^\\s*${prepend.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`));
}
