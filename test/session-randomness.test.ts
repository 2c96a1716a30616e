/**
 * Per-round randomness of the session driver (issue 9 item 2, driver half): a seeded caller RNG
 * cannot make two sessions repeat a nonce — every round mixes fresh platform entropy — except in
 * the explicit replay mode of the vectors, which the entry points that run real accounts refuse.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { MemoryServiceShareStore, ServiceParty } from '../src/client/service-party.js';
import { TssAccount } from '../src/client/account.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign } from '../protocols/presign/index.js';
import { Session } from '../protocols/session.js';
import type { Message, PartySpec } from '../protocols/types.js';
import { encodeMessage } from '../protocols/wire.js';
import { PartyEngine } from '../workers/engine.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { accountEnv, SERVICE_KEY } from './helpers/account.js';
import { presignInputs } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';

const P = (id: number): PartySpec => ({ id, owns: [id] });
const TWO = [P(1), P(2)];
const SID = utf8ToBytes('the same sid, twice');

type Obj = Record<string, Uint8Array>;
const payloadOf = (ms: Message[], to: number | null) => ms.find((m) => m.to === to)!.payload as unknown as Obj;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : String(e);
  }
  return 'ok';
}

/** Drive two sessions to the end by hand (FIFO). */
function finish(a: Session, b: Session, first: Message[]): void {
  const q = [...first];
  while (q.length) {
    const m = q.shift()!;
    const to = m.from === 1 ? b : a;
    q.push(...to.receive(m));
  }
}

describe('a seeded service cannot be made to repeat a nonce across sessions', () => {
  const key = [...runKeygen(TWO, 2, 'rand/key').outputs.values()] as KeygenOutput[];
  const aux = auxFixtures([1, 2]);
  const input = presignInputs(key, [1, 2], aux);
  /** Round 1 of the service's presign (party 1) with a DRBG restarted from the same seed. */
  const presignRound1 = (replay: boolean) => Session.create(presign, { sid: SID, self: 1, parties: TWO, threshold: 2 }, input(1), { rng: seededRng('service seed'), replay }).start();
  const keygenRound1 = (replay: boolean) => Session.create(keygen, { sid: SID, self: 1, parties: TWO, threshold: 2 }, {}, { rng: seededRng('service seed'), replay }).start();

  it('presign: the same sid and seed draw new k_i, γ_i (K_i, G_i, Πenc) outside replay mode; the same ones in replay mode', () => {
    const [a, b] = [presignRound1(false), presignRound1(false)];
    expect(bytesToHex(payloadOf(a, null).K!)).not.toBe(bytesToHex(payloadOf(b, null).K!));
    expect(bytesToHex(payloadOf(a, null).G!)).not.toBe(bytesToHex(payloadOf(b, null).G!));
    expect(bytesToHex(payloadOf(a, 2).psi0!)).not.toBe(bytesToHex(payloadOf(b, 2).psi0!));
    const [c, d] = [presignRound1(true), presignRound1(true)];
    expect(bytesToHex(payloadOf(c, null).K!)).toBe(bytesToHex(payloadOf(d, null).K!));
    expect(bytesToHex(payloadOf(c, null).G!)).toBe(bytesToHex(payloadOf(d, null).G!));
    expect(bytesToHex(payloadOf(c, 2).psi0!)).toBe(bytesToHex(payloadOf(d, 2).psi0!));
  });

  it('keygen: the same sid and seed commit to new polynomials outside replay mode; the same in replay mode', () => {
    expect(bytesToHex(payloadOf(keygenRound1(false), null).V!)).not.toBe(bytesToHex(payloadOf(keygenRound1(false), null).V!));
    expect(bytesToHex(payloadOf(keygenRound1(true), null).V!)).toBe(bytesToHex(payloadOf(keygenRound1(true), null).V!));
  });

  it('a fresh run with the same seeds still ends correctly (both parties, every round fresh)', () => {
    const mk = (id: number) => Session.create(keygen, { sid: SID, self: id, parties: TWO, threshold: 2 }, {}, { rng: seededRng(`party ${id}`) });
    const [a, b] = [mk(1), mk(2)];
    finish(a, b, [...a.start(), ...b.start()]);
    expect(a.status).toBe('done');
    expect(bytesToHex(a.output!.publicKey)).toBe(bytesToHex(b.output!.publicKey));
  });
});

describe('snapshot and resume in both modes', () => {
  const run = (replay: boolean, pause: boolean) => {
    const mk = (id: number) => Session.create(keygen, { sid: SID, self: id, parties: TWO, threshold: 2 }, {}, { rng: seededRng(`snap ${id}`), replay });
    let a = mk(1);
    const b = mk(2);
    const fromA = a.start();
    const fromB = b.start();
    // party 1 is paused after round 1 (its round-1 secrets are in the snapshot) and resumed with a new RNG object
    if (pause) a = Session.resume(keygen, structuredClone(a.snapshot()), { rng: seededRng('snap 1'), replay });
    const round2 = fromB.flatMap((m) => a.receive(m));
    finish(a, b, [...fromA, ...round2]);
    expect(a.status).toBe('done');
    expect(b.status).toBe('done');
    expect(bytesToHex(a.output!.publicKey)).toBe(bytesToHex(b.output!.publicKey));
    return { round2: round2.map((m) => bytesToHex(encodeMessage(m))), key: bytesToHex(a.output!.publicKey) };
  };

  it('replay: a resumed round draws the recorded fork (same messages and key as the uninterrupted run)', () => {
    expect(run(true, true)).toEqual(run(true, false));
  });

  it('fresh: a resumed session never redraws its earlier rounds and ends correctly; its later rounds are fresh', () => {
    const a = run(false, true);
    const b = run(false, true);
    expect(a.key).not.toBe(b.key);
  });
});

describe('replay mode is explicit and refused where real accounts run', () => {
  it('Session: replay needs a SeededRng and a boolean', () => {
    expect(codeOf(() => Session.create(keygen, { sid: SID, self: 1, parties: TWO, threshold: 2 }, {}, { rng: cryptoRng, replay: true }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => Session.create(keygen, { sid: SID, self: 1, parties: TWO, threshold: 2 }, {}, { rng: seededRng('x'), replay: 'yes' as never }))).toBe('INVALID_ARGUMENT');
    const s = Session.create(keygen, { sid: SID, self: 1, parties: TWO, threshold: 2 }, {}, { rng: seededRng('x') });
    expect(s.replay).toBe(false);
    expect(codeOf(() => Session.resume(keygen, s.snapshot(), { rng: cryptoRng, replay: true }))).toBe('INVALID_ARGUMENT');
  });

  it('ServiceParty refuses replay mode in its constructor', () => {
    const base = { identityKey: SERVICE_KEY, storage: new MemoryStorage(), shares: new MemoryServiceShareStore(), rng: seededRng('svc') };
    for (const bad of [{ replay: true }, { replay: 1 }, { mode: 'replay' }]) expect(codeOf(() => new ServiceParty({ ...base, ...bad } as never))).toBe('REPLAY_MODE_REFUSED');
    expect(codeOf(() => new ServiceParty({ ...base, replay: false } as never))).toBe('ok');
  });

  it('TssAccount refuses replay mode (create, login, security-answer lookup), before anything else', async () => {
    const env = accountEnv('rand/account');
    const opts = { ...env.opts(), replay: true } as never;
    for (const call of [() => TssAccount.create(opts), () => TssAccount.login(opts, null as never), () => TssAccount.securityAnswerFactorKey(opts, 'x')]) {
      const e = await call().catch((x: unknown) => x);
      expect(isTkeyTssError(e, 'REPLAY_MODE_REFUSED')).toBe(true);
    }
    expect(await env.shares.accounts()).toEqual([]); // the service saw nothing
    const e2 = await TssAccount.create({ ...env.opts(), mode: 'replay' } as never).catch((x: unknown) => x);
    expect(isTkeyTssError(e2, 'REPLAY_MODE_REFUSED')).toBe(true);
  });

  it('the worker engine refuses replay mode; a seeded engine session is still fresh', () => {
    const engine = new PartyEngine();
    const config = { sid: SID, self: 1, parties: TWO, threshold: 2 };
    for (const bad of [{ replay: true }, { mode: 'replay' }]) {
      const r = engine.create({ protocol: 'keygen', config, input: {}, seed: new Uint8Array(32), ...bad } as never);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.code).toBe('REPLAY_MODE_REFUSED');
    }
    expect(engine.size()).toBe(0);
    const round1 = () => {
      const h = engine.create({ protocol: 'keygen', config, input: {}, seed: new Uint8Array(32) });
      if (!h.ok) throw new Error(h.error.message);
      const st = engine.start(h.value);
      if (!st.ok) throw new Error(st.error.message);
      return bytesToHex(st.value.out[0]!.bytes);
    };
    expect(round1()).not.toBe(round1());
  });
});
