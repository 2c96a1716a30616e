/**
 * Invariant (issue 9 item 7, protocols/README "Invariants"): the presign blame path publishes a
 * party's χ_i (round 4, `blame.chi`, with Πdec) only for a presignature that is then burned — a
 * party that sent blame never outputs a presignature of that session (round 5 always aborts on the
 * blame path), so the published χ_i can never meet a signature. Checked per party on every blame
 * scenario (2 and 3 signers), and end to end: after a presign that went through the blame path
 * neither the device's pool nor the service holds anything of that session.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, bytesToNumberBE } from '../src/bytes.js';
import { modN, mulGUnsafe } from '../src/curve.js';
import { TssAccount } from '../src/client/account.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import type { PresignOutput, PresignState } from '../protocols/presign/index.js';
import type { RoundHooks } from '../protocols/session.js';
import type { SimResult } from '../protocols/simulate.js';
import type { Message, Outgoing, Payload, RoundResult } from '../protocols/types.js';
import { pointBytes, scalarBytes } from '../protocols/util.js';
import { decodeMessage } from '../protocols/wire.js';
import { accountEnv, deviceAux } from './helpers/account.js';
import { runPresign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';
import { bodyOf, editMessage, tamper, type Rule } from './helpers/tamper.js';

type Obj = Record<string, Payload>;
const P = (id: number) => ({ id, owns: [id] });
const key2 = [...runKeygen([P(1), P(2)], 2, 'burn2').outputs.values()];
const key3 = [...runKeygen([P(1), P(2), P(3)], 3, 'burn3').outputs.values()];

const bc = (res: { outbox: Outgoing[] }) => res.outbox.find((m) => m.to === null)!.payload as Obj;
/** Party `party` lies about δ_i consistently (state and broadcast): everyone's δ check fails. */
const wrongDelta = (party: number): Rule => ({
  party,
  round: 3,
  after: (res: RoundResult<unknown, unknown>) => {
    const x = res as { state: PresignState; outbox: Outgoing[] };
    x.state.delta_i = modN(x.state.delta_i! + 5n);
    bc(x).delta = scalarBytes(x.state.delta_i);
    x.state.bc3 = bc(x);
    return res;
  },
});
/** Party 2 sends a wrong S_i: everyone's χ check fails. */
const wrongS: Rule = {
  party: 2,
  round: 3,
  after: (res: RoundResult<unknown, unknown>) => {
    const x = res as { state: PresignState; outbox: Outgoing[] };
    bc(x).S = pointBytes(mulGUnsafe(bytesToNumberBE((bc(x).S as Uint8Array).slice(1)) % 1000n + 2n));
    x.state.bc3 = bc(x);
    return res;
  },
};
/** Party 2's blame material misreports an MtA ciphertext. */
const mtaLie = editMessage(2, 4, 'broadcast', (b) => {
  const blame = b.blame as Obj;
  ((blame.recv as Obj[])[0] as Obj).D = blame.H as Uint8Array;
});

/** The blame field of the round-4 broadcast `party` sent (as it left the party), or undefined if it sent none. */
function blameSent(r: SimResult<PresignOutput>, party: number): Payload | undefined {
  const m = r.sent.get(party)!.map((b) => decodeMessage(b)).find((x: Message) => x.round === 4 && x.to === null);
  return m ? bodyOf(m).blame : undefined;
}

/** Run with the tamper rules and record every party's χ_i as its round 3 computed it. */
function run(signers: number[], seed: string, rules: Rule[]): { r: SimResult<PresignOutput>; chi: Map<number, bigint> } {
  const t = tamper(...rules);
  const chi = new Map<number, bigint>();
  const hooks = (party: number): RoundHooks => {
    const inner = t.hooks!(party);
    return {
      beforeRound: (round, state) => (inner?.beforeRound ? inner.beforeRound(round, state) : state),
      afterRound: (round, res) => {
        const out = inner?.afterRound ? inner.afterRound(round, res) : res;
        const st = 'state' in out ? (out.state as PresignState) : undefined;
        if (st?.chi_i !== undefined && st.chi_i !== null) chi.set(party, st.chi_i);
        return out;
      },
    };
  };
  const r = runPresign(signers.length === 2 ? key2 : key3, signers, { seed, extra: { ...t, hooks } });
  return { r, chi };
}

/** The invariant, per party: sent blame ⇒ it carried exactly its χ_i, and the party has no output (aborted). */
function assertBurned(r: SimResult<PresignOutput>, chi: Map<number, bigint>, signers: number[], honest: number[]): number {
  let published = 0;
  for (const p of signers) {
    const blame = blameSent(r, p);
    if (blame === undefined || blame === null) continue;
    published++;
    expect(r.outputs.has(p), `party ${p} published χ_${p} and must not output a presignature`).toBe(false);
    if (honest.includes(p)) {
      expect(bytesToHex((blame as Obj).chi as Uint8Array)).toBe(bytesToHex(scalarBytes(chi.get(p)!)));
      expect(r.aborts.get(p), `party ${p} aborted`).toBeInstanceOf(ProtocolAbort);
    }
  }
  return published;
}

describe('presign blame path: χ_i is published only for a presignature that is burned', () => {
  it('control: a clean run publishes no χ and every party outputs', () => {
    const { r, chi } = run([1, 2], 'burn-clean', []);
    expect(blameSent(r, 1)).toBeNull();
    expect(blameSent(r, 2)).toBeNull();
    expect(r.outputs.size).toBe(2);
    expect(chi.size).toBe(2);
  });

  const cases: [string, number[], Rule[], number[]][] = [
    ['δ check fails (wrong δ_i)', [1, 2], [wrongDelta(2)], [1]],
    ['χ check fails (wrong S_i)', [1, 2], [wrongS], [1]],
    ['blame material that lies about an MtA ciphertext', [1, 2], [wrongDelta(2), mtaLie], [1]],
    ['three signers, one liar', [1, 2, 3], [wrongDelta(3)], [1, 2]],
  ];
  for (const [name, signers, rules, honest] of cases) {
    it(name, () => {
      const { r, chi } = run(signers, `burn-${name}`, rules);
      // every honest party took the blame path and published its χ_i …
      for (const h of honest) expect(blameSent(r, h), `party ${h} sent blame`).not.toBeNull();
      expect(assertBurned(r, chi, signers, honest)).toBeGreaterThanOrEqual(honest.length);
      // … and nobody holds a presignature of this session
      expect(r.outputs.size).toBe(0);
    });
  }

  it('end to end: after a presign through the blame path neither the device pool nor the service holds anything of it', async () => {
    const seen: { sid?: Uint8Array; serviceChi?: boolean } = {};
    const env = accountEnv('burn-e2e');
    const t = tamper(wrongDelta(2)); // the device (party 2) lies about δ_2
    const opts = env.opts('device', {
      hooks: (party, protocol) => (protocol === 'presign' ? t.hooks!(party) : undefined),
      deliver: (msg) => {
        if (msg.protocol === 'presign') {
          seen.sid = msg.sid;
          const blame = msg.round === 4 && msg.from === 1 && msg.to === null ? bodyOf(msg).blame : null;
          if (blame) seen.serviceChi = (blame as Obj).chi instanceof Uint8Array;
        }
        return msg;
      },
    });
    const { account } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
    const a = await account.presign(1).then(
      () => expect.fail('expected an abort'),
      (e: unknown) => e,
    );
    expect(a).toBeInstanceOf(ProtocolAbort);
    expect((a as ProtocolAbort).reason).toBe('DELTA_MISMATCH');
    expect((a as ProtocolAbort).culprits).toEqual([2]);
    expect(seen.serviceChi, 'the service published χ_1').toBe(true);
    // the device's pool got nothing; the service keeps nothing under that sid (sign is refused)
    expect(await account.presignPool.count({ publicKey: account.publicKey, epoch: account.tssNonce, signers: [1, 2], shift: new Uint8Array(32), profile: 'default' })).toBe(0);
    const ref = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
    const e = await env.service
      .signParticipant(ref, { sid: new Uint8Array(32).fill(3), index: 2, base: { tssTag: DEFAULT_TSS_TAG, tssNonce: account.tssNonce, commitments: [account.publicKey] }, presignSid: seen.sid!, digest: new Uint8Array(32).fill(1) })
      .catch((x: unknown) => x);
    expect(isTkeyTssError(e, 'NOT_FOUND'), String(e)).toBe(true);
  }, 120_000);
});
