// Dropping a browser's connections the way a network failure does. Chromium's offline
// emulation (context.setOffline, CDP Network.emulateNetworkConditions) only refuses new
// requests: a WebSocket that is already open stays open through it. So the test aborts the
// TCP connections themselves with `ss -K` (sock_diag destroy): the client's socket is aborted
// and the server gets a reset. The suite runs as root inside its own network namespace, where
// only the server, the browsers and baresip have sockets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Aborts every established TCP connection to 127.0.0.1:PORT (the client ends) and returns
 *  the ones it aborted, "local -> peer". */
export async function abortConnectionsTo(port: number): Promise<string[]> {
  const { stdout } = await run('ss', ['-K', '-H', '-tn', 'state', 'established', `( dport = :${port} )`]);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map((f) => `${f[2]} -> ${f[3]}`);
}

/** The port of an http(s) URL, with the scheme's default when it names none. */
export function portOf(url: string): number {
  const u = new URL(url);
  if (u.port) return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}
