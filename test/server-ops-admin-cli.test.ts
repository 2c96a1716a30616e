/**
 * Issue 11 item 6: `tkey-tss admin <command>` as a process against a server process whose
 * co-signing service has a locked account and an orphaned keygen (real sessions,
 * `helpers/admin-server-child.ts`): accounts, aborts, clear-lock, sweep — JSON on stdout, exit 0;
 * a wrong token exits 3 (FORBIDDEN) and changes nothing, a missing or bad setting exits 2, an
 * unreachable server 4 (SERVER_UNAVAILABLE), a refused request 1. Against a plain `tkey-tss serve`
 * (no co-signing service) the admin API does not exist and the CLI says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../src/server/ops/admin-cli.js';
import { REPO_ROOT, spawnServer } from './helpers/server.js';

const TOKEN = 'cli-admin-token-0123456789abcdef0123456789';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any TKEY_* setting of the test runner. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TKEY_') && k !== 'DATABASE_URL') env[k] = v;
  return { ...env, ...extra };
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'admin', ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const errorOf = (r: Run): Record<string, any> => JSON.parse(r.stderr.trim().split('\n').at(-1)!);

let dir: string;
let child: ChildProcess;
let port: number;
let url: string;
let locked: string;
let orphan: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tkey-ops-cli-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/admin-server-child.ts'], {
    cwd: REPO_ROOT,
    env: cleanEnv({ TKEY_HOST: '127.0.0.1', TKEY_PORT: '0', TKEY_DATA_DIR: join(dir, 'server'), TKEY_ADMIN_TOKEN: TOKEN, TKEY_LOG_LEVEL: 'warn', TKEY_VERIFY_THREADS: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      for (const l of b.toString().split('\n').filter(Boolean)) {
        lines.push(l);
        if (l.includes('"ops world"')) ({ locked, orphan } = JSON.parse(l) as { locked: string; orphan: string });
        const m = /"msg":"tkey-tss metadata server listening","url":"(http:\/\/[^"]+)"/.exec(l);
        if (m) {
          url = m[1]!;
          port = Number(new URL(url).port);
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server child exited with ${code}:\n${lines.join('\n')}`)));
  });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** `runAdminCli` in this process (the same code main.ts runs), output captured. */
async function inProcess(args: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runAdminCli(args, env, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('tkey-tss admin (process) against a server process', () => {
  it('refusals as a process: wrong token exits 3 and changes nothing, no token 2, unreachable 4', async () => {
    const dead = await closedPort();
    const [wrong, none, unreachable] = await Promise.all([
      cli(['clear-lock', locked, '--url', url], { TKEY_ADMIN_TOKEN: 'x'.repeat(40) }),
      cli(['accounts', '--url', url], {}),
      cli(['accounts', '--url', `http://127.0.0.1:${dead}`], { TKEY_ADMIN_TOKEN: TOKEN }),
    ]);
    expect([wrong.code, errorOf(wrong).code, errorOf(wrong).status]).toEqual([3, 'FORBIDDEN', 403]);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).not.toContain('x'.repeat(40));
    expect([none.code, none.stdout, none.stderr]).toEqual([2, '', expect.stringContaining('TKEY_ADMIN_TOKEN')]);
    expect([unreachable.code, errorOf(unreachable).code]).toEqual([4, 'SERVER_UNAVAILABLE']);
    // the refused clear-lock changed nothing
    const list = await inProcess(['accounts', '--url', url], { TKEY_ADMIN_TOKEN: TOKEN });
    expect(JSON.parse(list.stdout).accounts.find((a: { account: string }) => a.account === locked).locked).toBe(true);
  }, 120_000);

  it('usage and refused requests (in process, same server): exit 2 before any request, 1 for a refused one', async () => {
    const base = { TKEY_ADMIN_TOKEN: TOKEN };
    const cases: [string[], Record<string, string>, number, string][] = [
      [['accounts', '--url', url], { TKEY_ADMIN_TOKEN: 'short-token' }, 2, 'CONFIG_INVALID'],
      [['frobnicate', '--url', url], base, 2, 'unknown admin command "frobnicate"'],
      [['sweep', '--older-than', '5', '--url', url], base, 2, '--older-than'],
      [['sweep', '--abandon-after-ms', '-5', '--url', url], base, 2, '--abandon-after-ms'],
      [['aborts', '--url', url], base, 2, '<account>'],
      [['aborts', locked, orphan, '--url', url], base, 2, '<account>'],
      [['accounts', '--url', 'ftp://example'], base, 2, '--url'],
      [['accounts', '--url', url.replace('http://', 'http://admin:pw@')], base, 2, 'credentials'],
      [['accounts', '--url', url], { ...base, TKEY_PORT: 'abc' }, 2, 'TKEY_PORT'],
      [[], {}, 2, 'usage: tkey-tss admin'],
    ];
    for (const [args, env, code, text] of cases) {
      const r = await inProcess(args, env);
      expect([args.join(' '), r.code, r.stdout]).toEqual([args.join(' '), code, '']);
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toContain('short-token');
    }
    const help = await inProcess(['--help'], {});
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('clear-lock <account>')]);
    const missing = await inProcess(['aborts', `${locked.split('/')[0]}/no-such-tag`, '--url', url], base);
    expect([missing.code, errorOf(missing).code, errorOf(missing).status]).toEqual([1, 'NOT_FOUND', 404]);
    const malformed = await inProcess(['clear-lock', 'not-an-account', '--url', url], base);
    expect([malformed.code, errorOf(malformed).code]).toEqual([1, 'INVALID_ARGUMENT']);
    const page = JSON.parse((await inProcess(['accounts', '--limit', '1', `--url=${url}`], base)).stdout);
    expect([page.accounts.length, page.next]).toEqual([1, [locked, orphan].sort()[0]]);
    const rest = JSON.parse((await inProcess(['accounts', '--after', page.next, '--url', url], base)).stdout);
    expect([rest.accounts.map((a: { account: string }) => a.account), rest.next]).toEqual([[[locked, orphan].sort()[1]], null]);
  }, 120_000);

  it('as a process: accounts (URL from TKEY_HOST/TKEY_PORT, token from a file), aborts, clear-lock, sweep', async () => {
    const tokenFile = join(dir, 'admin-token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const env = { TKEY_HOST: '127.0.0.1', TKEY_PORT: String(port), TKEY_ADMIN_TOKEN_FILE: tokenFile };

    const list = await cli(['accounts'], env);
    expect([list.code, list.stderr]).toEqual([0, '']);
    const accounts = JSON.parse(list.stdout).accounts as Record<string, unknown>[];
    expect(accounts.map((a) => a.account)).toEqual([locked, orphan].sort());
    expect(accounts.find((a) => a.account === locked)).toMatchObject({ confirmedEpoch: 0, locked: true, lock: { culprit: 2, count: 1 } });
    expect(accounts.find((a) => a.account === orphan)).toMatchObject({ confirmedEpoch: null, pendingEpochs: [0], locked: false });

    const aborts = await cli(['aborts', locked], env);
    expect(aborts.code).toBe(0);
    const history = JSON.parse(aborts.stdout).history;
    expect(history.entries.map((e: { protocol: string; culprits: number[] }) => [e.protocol, e.culprits])).toEqual([['presign', [2]]]);
    expect(history.lock).toMatchObject({ culprit: 2, count: 1 });

    const cleared = await cli(['clear-lock', locked], env);
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({ account: locked, cleared: history.lock });
    expect(JSON.parse((await inProcess(['clear-lock', locked], env)).stdout)).toEqual({ account: locked, cleared: null });

    expect(JSON.parse((await inProcess(['sweep'], env)).stdout)).toEqual({ accounts: 1, dropped: 0 });
    const swept = await cli(['sweep', '--abandon-after-ms', '0'], env);
    expect([swept.code, JSON.parse(swept.stdout)]).toEqual([0, { accounts: 1, dropped: 1 }]);
    const after = JSON.parse((await inProcess(['accounts'], env)).stdout).accounts as Record<string, unknown>[];
    expect(after.map((a) => [a.account, a.locked])).toEqual([[locked, false]]);
  }, 120_000);

  it('a plain `tkey-tss serve` (no co-signing service) has no admin API; the CLI says so', async () => {
    const server = await spawnServer({ TKEY_DATA_DIR: join(dir, 'plain'), TKEY_ADMIN_TOKEN: TOKEN, TKEY_VERIFY_THREADS: '0' });
    try {
      const r = await inProcess(['accounts', '--url', server.url], { TKEY_ADMIN_TOKEN: TOKEN });
      expect(r.code).toBe(1);
      expect(errorOf(r)).toMatchObject({ code: 'NOT_FOUND', status: 404, hint: expect.stringContaining('no admin API') });
      expect(server.lines.some((l) => l.includes('no co-signing service: no admin API'))).toBe(true);
      expect(server.lines.join('\n')).not.toContain(TOKEN);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
