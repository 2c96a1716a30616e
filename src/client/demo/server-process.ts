/**
 * The demo's server: `tkey-tss serve` (src/server/main.ts) as its own OS process — the metadata
 * service and the co-signing service in one, on the embedded store in the demo's data directory,
 * with the development issuer on (development mode only) and a KEK generated into that directory.
 * `restart()` stops it (SIGTERM: drain, close the store) and starts it again on the same port and
 * data, as an operator's restart would.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../bytes.js';
import { cryptoRng } from '../../rng.js';

const MAIN = fileURLToPath(new URL('../../server/main.ts', import.meta.url));
const LISTENING = /"msg":"tkey-tss metadata server listening","url":"(http:\/\/[^"]+)"/;

export interface DemoServerOptions {
  /** The server's data directory (embedded store; the KEK file is made in it). */
  dir: string;
  /** The service's Paillier primes file (the demo test's public test primes), else generated at first start. */
  primesFile?: string;
  /** Port to bind (default 0: any free port). */
  port?: number;
  /** Where the server's own log lines go (default: dropped). */
  log?: (line: string) => void;
}

export class DemoServer {
  readonly #opts: DemoServerOptions;
  readonly #kekFile: string;
  #child: ChildProcess | null = null;
  #port = 0;
  url = '';
  restarts = 0;
  pid: number | undefined;

  constructor(opts: DemoServerOptions) {
    this.#opts = opts;
    this.#port = opts.port ?? 0;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.#kekFile = join(opts.dir, 'kek.hex');
    // a fresh key-encryption key for this demo's service state (an operator keeps it outside the data directory)
    writeFileSync(this.#kekFile, bytesToHex(cryptoRng.bytes(32)) + '\n', { mode: 0o600, flag: 'wx' });
  }

  /** Start the process and resolve with its URL once it listens. */
  async start(): Promise<string> {
    if (this.#child) throw new Error('demo server: already running');
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      TKEY_HOST: '127.0.0.1',
      TKEY_PORT: String(this.#port),
      TKEY_DATA_DIR: join(this.#opts.dir, 'store'),
      TKEY_MODE: 'development',
      TKEY_DEV_ISSUER: '1',
      TKEY_SERVER_KEK_FILE: this.#kekFile,
      TKEY_LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;
    if (this.#opts.primesFile) env.TKEY_SERVICE_PRIMES_FILE = this.#opts.primesFile;
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.pid = child.pid;
    const url = await new Promise<string>((resolve, reject) => {
      const tail: string[] = [];
      let done = false;
      const onLine = (buf: Buffer): void => {
        for (const line of buf.toString('utf8').split('\n')) {
          if (!line) continue;
          this.#opts.log?.(line);
          tail.push(line);
          if (tail.length > 20) tail.shift();
          const m = LISTENING.exec(line);
          if (m && !done) {
            done = true;
            resolve(m[1]!);
          }
        }
      };
      child.stdout!.on('data', onLine);
      child.stderr!.on('data', onLine);
      child.once('exit', (code) => {
        this.#child = null;
        if (!done) {
          done = true;
          reject(new Error(`the server process exited (${code}) before it listened:\n${tail.join('\n')}`));
        }
      });
    });
    this.url = url;
    this.#port = Number(new URL(url).port);
    return url;
  }

  /** SIGTERM and wait for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    this.#child = null;
  }

  async restart(): Promise<string> {
    await this.stop();
    this.restarts++;
    return this.start();
  }

  /** A development-issuer ID token for `sub`, bound to the device key's login nonce. */
  async idToken(sub: string, nonce: string): Promise<string> {
    const r = await fetch(`${this.url}/dev/issuer/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, nonce }) });
    if (!r.ok) throw new Error(`development issuer: HTTP ${r.status}`);
    const body = (await r.json()) as { id_token?: string };
    if (typeof body.id_token !== 'string') throw new Error('development issuer: no id_token');
    return body.id_token;
  }
}
