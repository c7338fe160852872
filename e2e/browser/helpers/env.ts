// What run.sh tells the tests about the server it started (SB_* variables), and the paths the
// tests write to. Read lazily so that `playwright test --list` works without a server.
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const REPO = path.resolve(ROOT, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'artifacts');
export const SCREENSHOTS = path.join(ARTIFACTS, 'screenshots');

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the suite through e2e/browser/run.sh, which starts the server`);
  }
  return v;
}

export interface ServerEnv {
  /** The portal, e.g. http://127.0.0.1:41234 (plain HTTP: 127.0.0.1 is a secure context). */
  baseUrl: string;
  /** The portal's HTTPS listener (self-signed certificate; its phone registers over wss://),
   *  e.g. https://127.0.0.1:41235. */
  httpsUrl: string;
  adminUser: string;
  adminPassword: string;
  /** The server's SIP UDP listener, host:port (baresip registers there). */
  sipAddr: string;
  /** The SIP domain of the extensions. */
  domain: string;
  /** A scratch directory for tone WAVs and browser profiles. */
  work: string;
  /** Password of the users the tests create (random per run). */
  userPassword: string;
  chromium: string;
}

export function serverEnv(): ServerEnv {
  return {
    baseUrl: required('SB_BASE_URL').replace(/\/+$/, ''),
    httpsUrl: required('SB_HTTPS_URL').replace(/\/+$/, ''),
    adminUser: process.env.SB_ADMIN_USER || 'admin',
    adminPassword: required('SB_ADMIN_PASSWORD'),
    sipAddr: required('SB_SIP_ADDR'),
    domain: required('SB_DOMAIN'),
    work: required('SB_WORK'),
    userPassword: required('SB_USER_PASSWORD'),
    chromium: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  };
}
