/**
 * Issue 14, two devices of one user (`src/client/pairing.ts`, `paired-device.ts`): device A (share
 * 2) shows a code, device B (recovery share 3) joins; they run user-only aux, presign and sign as two
 * parties over the bus, each with its own share, the service never contacted. Over a real WebSocket
 * on loopback and over an in-process pair. Refusals: wrong code, a man in the middle (another key
 * answers at the address), expired and reused codes; a tampered round from the peer names it.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import { decodePairingCode, encodePairingCode } from '../src/client/pairing-code.js';
import { memoryRendezvous, type Rendezvous } from '../src/client/pairing.js';
import { wsRendezvous } from '../src/client/pairing-ws.js';
import type { PairedRequest } from '../src/client/paired-device.js';
import type { Signature } from '../src/client/signing.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import type { RoundHooks } from '../protocols/session.js';
import type { RoundResult } from '../protocols/types.js';
import { accountEnv, deviceAux, expectCode } from './helpers/account.js';
import { checkSignature, unreachable } from './helpers/service-free.js';

async function setup(seed: string) {
  const env = accountEnv(seed);
  const { deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
  const a = await TssAccount.login({ ...env.opts('a'), service: unreachable() }, deviceFactor);
  const b = await TssAccount.login({ ...env.opts('b'), service: unreachable() }, recoveryFactor);
  return { a, b, again: () => TssAccount.login({ ...env.opts('b2'), service: unreachable() }, recoveryFactor) };
}

async function pairAndSign(rv: Rendezvous, seed: string): Promise<void> {
  const { a, b } = await setup(seed);
  expect(a.heldIndices).toEqual([2]);
  expect(b.heldIndices).toEqual([3]);
  const pairing = await a.startPairing({ rendezvous: rv });
  expect(pairing.code.startsWith('tkp1:')).toBe(true);
  const [hostSide, joinSide] = await Promise.all([pairing.accept(), b.joinPairing(pairing.code, { rendezvous: rv })]);
  expect([hostSide.index, hostSide.peerIndex, joinSide.index, joinSide.peerIndex]).toEqual([2, 3, 3, 2]);
  const asked: PairedRequest[] = [];
  const cosigned: Signature[] = [];
  joinSide.serve({ approve: (r) => (asked.push(r), true), auxInput: deviceAux(3), onSigned: (s) => cosigned.push(s) });
  try {
    // no aux for {2, 3} yet: refused before anything is sent
    await expectCode(hostSide.sign({ personalMessage: 'too early' }), 'AUX_MISSING');
    expect(await hostSide.setupAux(deviceAux(2))).toBe('2,3');
    const req = { personalMessage: 'two devices, one signature' };
    const sig = await hostSide.sign(req);
    checkSignature(sig, req, a.publicKey);
    expect(asked.map((r) => r.op)).toEqual(['aux', 'sign']);
    expect(asked[1]!.op === 'sign' && bytesToHex(asked[1]!.digest)).toBe(bytesToHex(sig.digest));
    for (let k = 0; k < 200 && cosigned.length === 0; k++) await new Promise((r) => setTimeout(r, 25)); // B ends its run once A's `done` arrived
    expect(cosigned.map((s) => bytesToHex(s.signature))).toEqual([bytesToHex(sig.signature)]);
    // the other direction: B drives, A serves
    hostSide.serve({ approve: () => true });
    const msg = { message: utf8ToBytes('from the recovery device') };
    checkSignature(await joinSide.sign(msg), msg, a.publicKey);
    // a declined request: typed, nothing signed
    joinSide.serve({ approve: () => false, auxInput: deviceAux(3) });
    const e = await hostSide.sign({ personalMessage: 'declined' }).catch((x: unknown) => x);
    expect(isTkeyTssError(e, 'PAIRING_REFUSED') && e.details?.['reason']).toBe('declined');
  } finally {
    await hostSide.close();
    await joinSide.close();
  }
}

describe('pairing two devices of one user', () => {
  it('over a WebSocket on loopback: pair, aux {2, 3}, presign + sign as two parties (OpenSSL verifies), the service never contacted', async () => {
    await pairAndSign(wsRendezvous(), 'pair-ws');
  }, 300_000);

  it('over an in-process pair: the same', async () => {
    await pairAndSign(memoryRendezvous(), 'pair-mem');
  }, 300_000);

  it('a wrong code is refused (PAIRING_REFUSED wrong-code) and the host keeps waiting; the right code then pairs', async () => {
    const { a, b } = await setup('pair-wrong');
    const rv = memoryRendezvous();
    const refused: string[] = [];
    const pairing = await a.startPairing({ rendezvous: rv, onRefused: (r) => refused.push(r) });
    const c = decodePairingCode(pairing.code);
    const wrong = encodePairingCode({ ...c, secret: c.secret.map((x, i) => (i === 0 ? x ^ 1 : x)) });
    const e = await b.joinPairing(wrong, { rendezvous: rv }).catch((x: unknown) => x);
    expect(isTkeyTssError(e, 'PAIRING_REFUSED') && e.details?.['reason']).toBe('wrong-code');
    expect(refused).toEqual(['wrong-code']);
    const [h, j] = await Promise.all([pairing.accept(), b.joinPairing(pairing.code, { rendezvous: rv })]);
    expect(j.peerIndex).toBe(2);
    await h.close();
    await j.close();
  }, 60_000);

  it('a man in the middle (another identity key at the code address) is refused: BUS_AUTH_FAILED, nothing sent', async () => {
    const { a, b } = await setup('pair-mitm');
    const rv = memoryRendezvous();
    const pairing = await a.startPairing({ rendezvous: rv });
    const mitm = await rv.listen(new Uint8Array(32).fill(0x5a)); // the attacker listens elsewhere
    let seen = 0;
    mitm.links.onLink(() => seen++);
    const c = decodePairingCode(pairing.code);
    await expectCode(b.joinPairing(encodePairingCode({ ...c, address: mitm.address }), { rendezvous: rv, timeoutMs: 5_000 }), 'BUS_AUTH_FAILED');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toBe(0); // the joiner's handshake stopped at the attacker's hello: no link, no proof sent
    await mitm.close();
    await pairing.close();
  }, 60_000);

  it('a code is single use and expires: PAIRING_REFUSED used / expired, accept() rejects PAIRING_EXPIRED', async () => {
    const { a, b, again } = await setup('pair-once');
    const rv = memoryRendezvous();
    let clock = 1_000_000;
    const pairing = await a.startPairing({ rendezvous: rv, now: () => clock });
    const [h, j] = await Promise.all([pairing.accept(), b.joinPairing(pairing.code, { rendezvous: rv })]);
    // reused (a second joiner with the same code): refused
    const b2 = await again();
    const e = await b2.joinPairing(pairing.code, { rendezvous: rv }).catch((x: unknown) => x);
    expect(isTkeyTssError(e, 'PAIRING_REFUSED') && e.details?.['reason']).toBe('used');
    await h.close();
    await j.close();

    const p2 = await a.startPairing({ rendezvous: rv, now: () => clock, ttlMs: 60_000 });
    clock += 60_001;
    const e2 = await b.joinPairing(p2.code, { rendezvous: rv }).catch((x: unknown) => x);
    expect(isTkeyTssError(e2, 'PAIRING_REFUSED') && e2.details?.['reason']).toBe('expired');
    await p2.close();

    const p3 = await a.startPairing({ rendezvous: rv, ttlMs: 30 });
    await expectCode(p3.accept(), 'PAIRING_EXPIRED');
  }, 60_000);

  it('a tampered round from the paired device aborts the session naming its index; nothing is signed', async () => {
    const { a, b } = await setup('pair-tamper');
    const rv = memoryRendezvous();
    let armed = false;
    // device B misbehaves: its partial signature σ_3 is flipped before it leaves
    const hooks = (party: number, protocol: string): RoundHooks | undefined =>
      party === 3 && protocol === 'sign'
        ? {
            afterRound(round, res) {
              if (!armed || round !== 1 || !('outbox' in res)) return res;
              const outbox = res.outbox.map((o) => {
                const p = o.payload as { sigma: Uint8Array };
                const sigma = Uint8Array.from(p.sigma);
                sigma[31]! ^= 1;
                return { ...o, payload: { ...p, sigma } };
              });
              return { ...res, outbox } as RoundResult<unknown, unknown>;
            },
          }
        : undefined;
    const pairing = await a.startPairing({ rendezvous: rv, transport: { stallMs: 20_000 } });
    const [h, j] = await Promise.all([pairing.accept(), b.joinPairing(pairing.code, { rendezvous: rv, transport: { stallMs: 20_000, hooks } })]);
    const errors: unknown[] = [];
    j.serve({ approve: () => true, auxInput: deviceAux(3), onError: (e) => errors.push(e) });
    try {
      await h.setupAux(deviceAux(2));
      armed = true;
      const e = await h.sign({ personalMessage: 'tampered' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ProtocolAbort);
      expect((e as ProtocolAbort).culprits).toEqual([3]);
      armed = false;
      checkSignature(await h.sign({ personalMessage: 'clean again' }), { personalMessage: 'clean again' }, a.publicKey);
    } finally {
      await h.close();
      await j.close();
    }
  }, 120_000);
});
