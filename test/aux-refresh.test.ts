/**
 * Aux rotation inside refresh (protocols/aux/refresh-extension.ts): Paillier/ring-Pedersen keys
 * rotate in the same session as the re-sharing; a rotating party with a bad Πprm or Πmod is named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolAbort } from '../src/errors.js';
import * as mod from '../src/zk/mod.js';
import * as prm from '../src/zk/prm.js';
import { auxFromRefresh, auxRotation, materialiseAux, redactAux, reuseAux } from '../protocols/aux/index.js';
import type { KeygenOutput } from '../protocols/keygen/index.js';
import { refreshProtocol, type RefreshInput, type RefreshOutput } from '../protocols/refresh/index.js';
import type { PartySpec, Payload, Protocol } from '../protocols/types.js';
import { auxInput } from './helpers/aux-run.js';
import { runKeygen, runRefresh, type SimResult } from './helpers/simulate.js';
import { editMessage, tamper } from './helpers/tamper.js';
import { testPrimePairs } from './helpers/test-primes.js';

const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });
const parties = [P(1, 1), P(2, 2, 3)];
const dealers = new Map([
  [1, [1]],
  [2, [2]],
]);
// party 1 (service) rotates to test pair 4, party 2 (device) to pair 5
const rotation = refreshProtocol(auxRotation((id) => auxInput(id === 1 ? 4 : 5))) as Protocol<RefreshInput, unknown, RefreshOutput>;

let kg: KeygenOutput[];
beforeAll(() => {
  const r = runKeygen(parties, 2, 'aux-rf-kg');
  kg = parties.map((p) => r.outputs.get(p.id)!);
});

function abortedBy(r: SimResult<RefreshOutput>, victim: number, reason: string, round: number, culprit: number): void {
  expect(r.outputs.has(victim)).toBe(false);
  const a = r.aborts.get(victim);
  expect(a).toBeInstanceOf(ProtocolAbort);
  expect({ reason: a!.reason, round: a!.round, culprits: [...a!.culprits] }, a!.message).toEqual({ reason, round, culprits: [culprit] });
}

const ext = (b: Record<string, Payload>) => b.ext as Record<string, Uint8Array>;

describe('refresh with aux rotation', () => {
  it('rotates every party’s Paillier key in the refresh session; the key and the new sharing are unchanged by it', () => {
    const r = runRefresh(kg, dealers, parties, 2, 'aux-rf', {}, rotation);
    expect([...r.aborts.values()].map(String)).toEqual([]);
    const outs = parties.map((p) => r.outputs.get(p.id)!);
    expect(outs[0]!.epoch).toBe(1);
    expect(outs[0]!.publicKey).toEqual(kg[0]!.publicKey);
    const infos = outs.map(auxFromRefresh);
    expect(JSON.stringify(redactAux(infos[0]!).parties)).toBe(JSON.stringify(redactAux(infos[1]!).parties));
    const pairs = testPrimePairs(1024);
    expect(infos[0]!.parties.map((p) => p.N)).toEqual([pairs[4]!.p * pairs[4]!.q, pairs[5]!.p * pairs[5]!.q]);
    for (const info of infos) {
      const m = materialiseAux(info);
      expect(m.rpSecret.params.commitPublic(0n, info.secret.lambda)).toBe(m.rpSecret.params.s);
    }
    expect(JSON.stringify(outs[0]!.extension, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))).toContain('"secret":"<redacted>"');
    // the next rotation may keep a key: reuseAux re-proves it under the new session
    const r2 = runRefresh(outs, dealers, parties, 2, 'aux-rf-2', {}, refreshProtocol(auxRotation((id) => (id === 1 ? reuseAux(infos[0]!) : auxInput(6)))) as Protocol<RefreshInput, unknown, RefreshOutput>);
    expect([...r2.aborts.values()].map(String)).toEqual([]);
    const next = auxFromRefresh(r2.outputs.get(2)!);
    expect(next.parties[0]).toEqual(infos[0]!.parties[0]);
    expect(next.parties[1]!.N).toBe(pairs[6]!.p * pairs[6]!.q);
  });

  it('a rotating party with a bad Πmod is named (round 2)', () => {
    const r = runRefresh(
      kg,
      dealers,
      parties,
      2,
      'aux-rf-mod',
      tamper(
        editMessage(2, 2, 'broadcast', (b) => {
          const d = mod.proofFromBytes(ext(b).mod!);
          if (!d.ok) throw new Error('own Πmod');
          d.proof.x[3] = d.proof.x[5]!;
          ext(b).mod = mod.proofToBytes(d.proof);
        }),
      ),
      rotation,
    );
    abortedBy(r, 1, 'MOD_X_EQUATION', 2, 2);
  });

  it('a rotating party with a bad Πprm is named (round 1)', () => {
    const r = runRefresh(
      kg,
      dealers,
      parties,
      2,
      'aux-rf-prm',
      tamper(
        editMessage(1, 1, 'broadcast', (b) => {
          const d = prm.proofFromBytes(ext(b).prm!);
          if (!d.ok) throw new Error('own Πprm');
          d.proof.z[0] = d.proof.z[0]! + 1n;
          ext(b).prm = prm.proofToBytes(d.proof);
        }),
      ),
      rotation,
    );
    abortedBy(r, 2, 'PRM_EQUATION', 1, 1);
  });
});
