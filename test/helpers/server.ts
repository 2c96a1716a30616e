/** Helpers for the metadata-server tests: owner-signed requests as the tKey client builds them, an in-process server, JSON posts. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bytesToBase64, bytesToHex, concatBytes, toHexUnpadded, utf8ToBytes } from '../../src/bytes.js';
import { ecdsaSignDigest, mulG, pointToHex, pointX, pointY } from '../../src/curve.js';
import { keccak256 } from '../../src/hash.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { buildServer } from '../../src/server/app.js';
import type { ServerConfig } from '../../src/server/config.js';
import type { SetParams } from '../../src/server/owner-signature.js';
import type { ServerStore } from '../../src/server/store/types.js';
import { signBatch } from '../../src/metadata/write-auth.js';
import type { BatchAuth } from '../../src/storage/types.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A /set request signed by `k` exactly as TorusStorageLayer.generateMetadataParams builds it. */
export function signedSet(k: bigint, data: string, timestampS: number, namespace = 'tkey'): SetParams & { namespace: string } {
  const P = mulG(k);
  const set_data = { data, timestamp: timestampS.toString(16) };
  const sig = ecdsaSignDigest(keccak256(utf8ToBytes(stableStringify(set_data))), k, { lowS: false, format: 'compact' });
  return { pub_key_X: toHexUnpadded(pointX(P)), pub_key_Y: toHexUnpadded(pointY(P)), set_data, signature: bytesToBase64(concatBytes(sig, new Uint8Array([0]))), namespace };
}

/** A lock request by the metadata key `k` (key = uncompressed hex of G·k, DER signature). */
export function signedLock(k: bigint, timestampS: number, id?: string): { key: string; data: { timestamp: number }; signature: string; id?: string } {
  const data = { timestamp: timestampS };
  const sig = ecdsaSignDigest(keccak256(utf8ToBytes(stableStringify(data))), k, { lowS: false, format: 'der' });
  return { key: pointToHex(mulG(k), false), data, signature: bytesToHex(sig), ...(id !== undefined ? { id } : {}) };
}

type BatchBodyIn = { account: string; baseNonce: number | null; nonce: number; writes: (SetParams & { namespace?: string })[] };
/** A /v1/batch body signed (auth) by `signer` — the account key k_m, or a trusted service key. */
export function authed<T extends BatchBodyIn>(b: T, signer: bigint, timestampS: number): T & { auth: BatchAuth } {
  const writes = b.writes.map((w) => ({ address: { pubX: w.pub_key_X, pubY: w.pub_key_Y, namespace: w.namespace ?? '' }, value: w.set_data.data }));
  return { ...b, auth: signBatch({ account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, writes }, signer, timestampS) };
}

/** The compressed account id of metadata key `k`. */
export function accountOf(k: bigint): string {
  return pointToHex(mulG(k), true);
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** An in-process server on a free loopback port (logs silent; signatures verified inline unless `config.verifyThreads`). */
export async function listen(store: ServerStore, opts: { clock?: () => number; config?: Partial<ServerConfig>; serviceIdentityPub?: Uint8Array } = {}): Promise<TestServer> {
  const app = await buildServer({ store, clock: opts.clock, config: { logLevel: 'silent', verifyThreads: 0, ...opts.config }, ...(opts.serviceIdentityPub ? { serviceIdentityPub: opts.serviceIdentityPub } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

/** POST multipart fields "0", "1", … each JSON.stringify(params), as TorusStorageLayer.setMetadataStream does. */
export async function postBulk(url: string, params: unknown[]): Promise<{ status: number; body: any }> {
  const fd = new FormData();
  params.forEach((p, i) => fd.append(String(i), JSON.stringify(p)));
  const r = await fetch(url + '/bulk_set_stream', { method: 'POST', body: fd });
  return { status: r.status, body: await r.json() };
}

/** A server child process (`node --import tsx src/server/main.ts serve`), resolved once it listens. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout/stderr line so far. */
  lines: string[];
  exited: Promise<number | null>;
}

export function spawnServer(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'serve', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TKEY_PORT: '0', TKEY_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let settled = false;
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const onData = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        const m = /"msg":"tkey-tss metadata server listening","url":"(http:\/\/[^"]+)"/.exec(line);
        if (m && !settled) {
          settled = true;
          resolve({ child, url: m[1]!, lines, exited });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`server exited with ${code} before listening:\n${lines.join('\n')}`));
      }
    });
  });
}
