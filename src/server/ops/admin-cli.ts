/**
 * `tkey-tss admin <command>`: the admin API (`admin-routes.ts`) from a shell. The token comes from
 * `TKEY_ADMIN_TOKEN` or `TKEY_ADMIN_TOKEN_FILE` (never a flag: a command line is visible to every
 * local user); the server from `--url`, else `http://TKEY_HOST:TKEY_PORT` (a wildcard bind address
 * means loopback). The answer is printed as JSON on stdout; a failure prints the error body
 * `{code, message, …}` as one JSON line on stderr.
 *
 *   accounts [--limit N] [--after ID]       GET  /admin/accounts
 *   aborts <account>                        GET  /admin/accounts/<account>/aborts
 *   clear-lock <account>                    POST /admin/accounts/<account>/clear-lock
 *   sweep [--abandon-after-ms N]            POST /admin/sweep
 *
 * Exit codes: 0 done; 1 the server refused the request (NOT_FOUND, INVALID_ARGUMENT, …);
 * 2 usage or a bad setting; 3 the token was refused (AUTH_REQUIRED, FORBIDDEN); 4 the server could
 * not be reached or answered 5xx (SERVER_UNAVAILABLE).
 * @module
 */
import { isTkeyTssError } from '../../errors.js';
import { loadConfig } from '../config.js';

export const ADMIN_EXIT = { ok: 0, refused: 1, usage: 2, auth: 3, unavailable: 4 } as const;

export const ADMIN_USAGE = [
  'usage: tkey-tss admin <command> [--url URL] [--timeout-ms N]   (token: TKEY_ADMIN_TOKEN or TKEY_ADMIN_TOKEN_FILE)',
  '  accounts [--limit N] [--after ID]   list the co-signing service\'s accounts (id, epochs, lock)',
  '  aborts <account>                    an account\'s abort history and lock',
  '  clear-lock <account>                clear an account\'s abort lock',
  '  sweep [--abandon-after-ms N]        reconcile staged shares; fence off those older than N ms',
  '<account> = <compressed metadata public key hex>[/<tssTag>]',
].join('\n');

export interface AdminCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

class Usage extends Error {}

const FLAGS: Record<string, readonly string[]> = {
  accounts: ['--limit', '--after'],
  aborts: [],
  'clear-lock': [],
  sweep: ['--abandon-after-ms'],
};
const COMMON = ['--url', '--timeout-ms'];
const POSITIONAL: Record<string, number> = { accounts: 0, aborts: 1, 'clear-lock': 1, sweep: 0 };

function parseArgs(command: string, args: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const known = [...COMMON, ...FLAGS[command]!];
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!known.includes(name)) throw new Usage(`${name}: unknown flag for "${command}" (known: ${known.join(' ')})`);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Usage(`${name}: expected a value`);
    flags.set(name, value);
  }
  if (positional.length !== POSITIONAL[command]) throw new Usage(`"${command}" takes ${POSITIONAL[command] === 1 ? 'one <account>' : 'no positional argument'}`);
  return { flags, positional };
}

function aCount(name: string, raw: string, max: number): number {
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) throw new Usage(`${name}=${JSON.stringify(raw)}: expected an integer in [0, ${max}]`);
  return Number(raw);
}

function requestOf(command: string, flags: Map<string, string>, positional: string[]): Request {
  switch (command) {
    case 'accounts': {
      const q = new URLSearchParams();
      const limit = flags.get('--limit');
      if (limit !== undefined) q.set('limit', String(aCount('--limit', limit, 1000)));
      const after = flags.get('--after');
      if (after !== undefined) q.set('after', after);
      const qs = q.toString();
      return { method: 'GET', path: `/admin/accounts${qs ? `?${qs}` : ''}` };
    }
    case 'aborts':
      return { method: 'GET', path: `/admin/accounts/${encodeURIComponent(positional[0]!)}/aborts` };
    case 'clear-lock':
      return { method: 'POST', path: `/admin/accounts/${encodeURIComponent(positional[0]!)}/clear-lock` };
    case 'sweep': {
      const n = flags.get('--abandon-after-ms');
      return { method: 'POST', path: '/admin/sweep', body: n === undefined ? {} : { abandonAfterMs: aCount('--abandon-after-ms', n, 10 * 365 * 24 * 3600 * 1000) } };
    }
  }
  throw new Usage(`unknown admin command ${JSON.stringify(command)}`);
}

/** The server's base URL: `--url`, else from TKEY_HOST / TKEY_PORT (validated as the server validates them). */
function baseUrl(flag: string | undefined, cfg: { host: string; port: number }): string {
  if (flag !== undefined) {
    let u: URL;
    try {
      u = new URL(flag);
    } catch {
      throw new Usage(`--url=${JSON.stringify(flag)}: expected an http:// or https:// URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Usage(`--url=${JSON.stringify(flag)}: expected an http:// or https:// URL`);
    if (u.username || u.password) throw new Usage('--url: credentials in the URL are not allowed (the token comes from TKEY_ADMIN_TOKEN)');
    return u.toString().replace(/\/+$/, '');
  }
  const host = cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host === '::' ? '::1' : cfg.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${cfg.port}`;
}

const line = (o: unknown): string => JSON.stringify(o) + '\n';

/** Run one admin command; resolves to the process exit code (`ADMIN_EXIT`). */
export async function runAdminCli(argv: readonly string[], env: Record<string, string | undefined>, io: AdminCliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout)(ADMIN_USAGE + '\n');
    return command === undefined ? ADMIN_EXIT.usage : ADMIN_EXIT.ok;
  }
  let req: Request;
  let url: string;
  let token: string;
  let timeoutMs: number;
  try {
    if (!Object.hasOwn(FLAGS, command)) throw new Usage(`unknown admin command ${JSON.stringify(command)}`);
    const { flags, positional } = parseArgs(command, args);
    req = requestOf(command, flags, positional);
    // the settings the CLI shares with the server, validated by the server's own rules
    const cfg = loadConfig({ TKEY_HOST: env.TKEY_HOST, TKEY_PORT: env.TKEY_PORT, TKEY_ADMIN_TOKEN: env.TKEY_ADMIN_TOKEN, TKEY_ADMIN_TOKEN_FILE: env.TKEY_ADMIN_TOKEN_FILE });
    if (!cfg.adminToken) throw new Usage('no admin token: set TKEY_ADMIN_TOKEN (or TKEY_ADMIN_TOKEN_FILE) to the server\'s admin token');
    token = cfg.adminToken.reveal();
    url = baseUrl(flags.get('--url'), cfg);
    timeoutMs = aCount('--timeout-ms', flags.get('--timeout-ms') ?? '60000', 3_600_000);
  } catch (e) {
    if (e instanceof Usage) {
      io.stderr(`tkey-tss admin: ${e.message}\n${ADMIN_USAGE}\n`);
      return ADMIN_EXIT.usage;
    }
    if (isTkeyTssError(e)) {
      io.stderr(`tkey-tss admin: ${e.message.replace(/\s+/g, ' ')}\n`);
      return ADMIN_EXIT.usage;
    }
    throw e;
  }

  let res: Response;
  try {
    res = await fetch(url + req.path, {
      method: req.method,
      headers: { authorization: `Bearer ${token}`, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } })?.cause?.code ?? (e as Error)?.name ?? 'error';
    io.stderr(line({ code: 'SERVER_UNAVAILABLE', message: `cannot reach ${url} (${cause})` }));
    return ADMIN_EXIT.unavailable;
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok && body !== undefined) {
    io.stdout(JSON.stringify(body, null, 2) + '\n');
    return ADMIN_EXIT.ok;
  }
  const err = (typeof body === 'object' && body !== null ? body : {}) as { code?: string; message?: string };
  if (res.status >= 500 || !err.code) {
    io.stderr(line({ code: 'SERVER_UNAVAILABLE', message: `${url} answered ${res.status}${err.message ? `: ${err.message}` : ''}`, status: res.status }));
    return ADMIN_EXIT.unavailable;
  }
  const out: Record<string, unknown> = { ...err, status: res.status };
  delete out.success;
  if (res.status === 404 && err.code === 'NOT_FOUND' && /^no route /.test(err.message ?? ''))
    out.hint = 'this server has no admin API: it needs TKEY_ADMIN_TOKEN (or TKEY_ADMIN_TOKEN_FILE) and a co-signing service';
  io.stderr(line(out));
  return res.status === 401 || res.status === 403 ? ADMIN_EXIT.auth : ADMIN_EXIT.refused;
}
