/**
 * A batch-writing load for the server fault tests: clients commit `/v1/batch`es over HTTP, each on
 * its account's next nonce (base + 1), and remember what the server acknowledged. Batch n of an
 * account writes W rows at namespace `b<n>` (one owner key per row), so every batch stays readable
 * after later ones; each value carries its attempt's tag, so a reader can tell which attempt landed.
 * After any answer but 200 the client re-reads the nonce (an unanswered batch may or may not have
 * landed), as a real client does. `verify` then checks the contract: every acknowledged batch is at
 * its nonce with its exact values, every nonce 0..N holds one whole attempt, nothing beyond N exists.
 */
import { expect } from 'vitest';
import { accountOf, authed, signedSet } from './server.js';

/** mulberry32: a small seeded PRNG, so a failing run can be repeated from its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `TKEY_FAULT_SEED` when set (to repeat a failure), else fresh. */
export function faultSeed(): number {
  const s = process.env.TKEY_FAULT_SEED;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : Math.floor(Math.random() * 2 ** 31);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowS = () => Math.floor(Date.now() / 1000);

/** One answer (or the lack of one) as the client saw it. */
export interface Outcome {
  at: number;
  ms: number;
  /** HTTP status, or 0 when the request got no answer (connection refused/reset), -1 on the client timeout. */
  status: number;
  code?: string;
  body?: string;
  path: string;
}

export interface LoadOptions {
  /** Accounts; account i is written by clients `i` and, when `shared` includes i, one more. */
  accounts: number;
  /** Accounts with two competing clients (409s between them are part of the contract). */
  shared?: number[];
  /** Rows per batch (distinct owner keys). */
  rows: number;
  /** Characters of padding in each value (the disk-full test writes big batches). */
  pad?: number;
  /** A distinct number per test, so owner keys of different tests never meet. */
  tag: number;
  /** Client-side timeout of one request. */
  timeoutMs: number;
}

async function postJson(url: string, path: string, body: unknown, timeoutMs: number): Promise<Outcome & { json?: any }> {
  const t0 = Date.now();
  try {
    const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { at: t0, ms: Date.now() - t0, status: r.status, code: json?.code, body: r.status === 200 ? undefined : text.slice(0, 400), path, json };
  } catch (e) {
    const timeout = (e as Error)?.name === 'TimeoutError';
    return { at: t0, ms: Date.now() - t0, status: timeout ? -1 : 0, body: String((e as Error)?.message ?? e), path };
  }
}

export class BatchLoad {
  readonly opts: LoadOptions;
  readonly keys: bigint[];
  readonly accounts: string[];
  /** account index → nonce → tag of the acknowledged attempt. */
  readonly acked: Map<number, string>[];
  /** account index → nonce → every attempted tag. */
  readonly attempts: Map<number, Set<string>>[];
  readonly outcomes: Outcome[] = [];
  #url = '';
  #stopped = true;
  #running: Promise<void>[] = [];
  #attempt = 0;

  constructor(opts: LoadOptions) {
    this.opts = opts;
    this.keys = Array.from({ length: opts.accounts }, (_, i) => BigInt(opts.tag) * 1_000_000n + BigInt(i) * 1000n + 7n);
    this.accounts = this.keys.map(accountOf);
    this.acked = this.keys.map(() => new Map());
    this.attempts = this.keys.map(() => new Map());
  }

  /** Point the clients at a (new) server URL. */
  setUrl(url: string): void {
    this.#url = url;
  }

  get ackCount(): number {
    return this.acked.reduce((s, m) => s + m.size, 0);
  }

  /** Start the clients (they run until `stop`). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const clients: number[] = [];
    for (let a = 0; a < this.opts.accounts; a++) clients.push(a);
    for (const a of this.opts.shared ?? []) clients.push(a);
    this.#running = clients.map((a, c) => this.#client(a, c));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  /** The owner key of row j of account a, and the address of row j of batch n. */
  ownerKey(a: number, j: number): bigint {
    return this.keys[a]! * 100n + BigInt(j + 1);
  }

  #value(tag: string, j: number): string {
    return `${tag}/j${j}/` + 'x'.repeat(this.opts.pad ?? 0);
  }

  async #client(a: number, c: number): Promise<void> {
    let base: number | null | undefined;
    while (!this.#stopped) {
      const url = this.#url;
      if (base === undefined) {
        const r = await postJson(url, '/v1/nonce', { account: this.accounts[a] }, this.opts.timeoutMs);
        this.outcomes.push(r);
        if (r.status === 200) base = r.json.nonce as number | null;
        else await sleep(r.status === 0 ? 30 : 10);
        continue;
      }
      const n = base === null ? 0 : base + 1;
      const tag = `a${a}-n${n}-c${c}-t${++this.#attempt}`;
      let tags = this.attempts[a]!.get(n);
      if (!tags) this.attempts[a]!.set(n, (tags = new Set()));
      tags.add(tag);
      const ts = nowS();
      const writes = Array.from({ length: this.opts.rows }, (_, j) => signedSet(this.ownerKey(a, j), this.#value(tag, j), ts, `b${n}`));
      const r = await postJson(url, '/v1/batch', authed({ account: this.accounts[a]!, baseNonce: base, nonce: n, writes }, this.keys[a]!, ts), this.opts.timeoutMs);
      this.outcomes.push(r);
      if (r.status === 200) {
        this.acked[a]!.set(n, tag);
        base = n;
      } else {
        base = undefined;
        if (r.status !== 409) await sleep(r.status === 0 ? 30 : 10);
      }
    }
  }

  /**
   * Read everything back from `url` and check the contract (`why` is printed with any failure, e.g.
   * the seed). Returns the number of batches found.
   */
  async verify(url: string, why: string): Promise<number> {
    let batches = 0;
    for (let a = 0; a < this.keys.length; a++) {
      const nr = await postJson(url, '/v1/nonce', { account: this.accounts[a] }, 30_000);
      expect(nr.status, `${why}: /v1/nonce ${nr.body}`).toBe(200);
      const N = nr.json.nonce as number | null;
      const top = N ?? -1;
      const maxAcked = Math.max(-1, ...this.acked[a]!.keys());
      expect(top, `${why}: account ${a} is at nonce ${N} but nonce ${maxAcked} was acknowledged`).toBeGreaterThanOrEqual(maxAcked);
      const maxTried = Math.max(-1, ...this.attempts[a]!.keys());
      expect(top, `${why}: account ${a} is at nonce ${N}, never attempted`).toBeLessThanOrEqual(maxTried);
      const W = this.opts.rows;
      const wanted: { n: number; j: number; address: { pub_key_X: string; pub_key_Y: string; namespace: string } }[] = [];
      for (let n = 0; n <= maxTried; n++)
        for (let j = 0; j < W; j++) {
          const w = signedSet(this.ownerKey(a, j), '', 0, `b${n}`);
          wanted.push({ n, j, address: { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: `b${n}` } });
        }
      const values: (string | null)[] = [];
      for (let i = 0; i < wanted.length; i += 240) {
        const g = await postJson(url, '/v1/get', { addresses: wanted.slice(i, i + 240).map((x) => x.address) }, 30_000);
        expect(g.status, `${why}: /v1/get ${g.body}`).toBe(200);
        values.push(...(g.json.values as (string | null)[]));
      }
      for (let n = 0; n <= maxTried; n++) {
        const vs = values.slice(n * W, n * W + W);
        if (n > top) {
          expect(vs, `${why}: account ${a} nonce ${n} beyond the account's nonce ${N} has rows (a batch applied without its nonce move)`).toEqual(vs.map(() => null));
          continue;
        }
        // one whole attempt, and the acknowledged one if there was one
        const tag = vs[0]?.split('/')[0];
        expect(tag !== undefined && this.attempts[a]!.get(n)?.has(tag), `${why}: account ${a} nonce ${n}: row 0 is ${vs[0]?.slice(0, 60)} (not an attempted batch)`).toBe(true);
        expect(vs, `${why}: account ${a} nonce ${n}: rows of different attempts or missing rows`).toEqual(vs.map((_, j) => this.#value(tag!, j)));
        const ack = this.acked[a]!.get(n);
        if (ack !== undefined) expect(tag, `${why}: account ${a} nonce ${n}: acknowledged ${ack} but ${tag} is stored`).toBe(ack);
        batches++;
      }
    }
    return batches;
  }
}
