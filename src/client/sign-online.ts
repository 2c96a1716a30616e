/**
 * The one-round online sign run inside ONE request/response (`ServiceConnection.signOnline`)
 * instead of a bus session: the same protocol functions (`protocols/sign`: `init` with every
 * binding check and the single-use consumption, round 1, round 2 = the combiner with every check),
 * only the messages travel differently.
 *
 *   device   σ_i = k_i·m + r·χ_i for each of its signers i (init + round 1, presignature consumed)
 *            → request {…, partials: [{id: i, payload: {tag, m, sigma}}]}
 *   service  its own σ_1 (init + round 1); round 2 over the device's partials: σ_j·R = m·R̄_j + r·S̄_j
 *            (blame j), s = Σσ, (r, s) verified under Y′ — only then it answers {sid, partial: {tag, m, sigma}}
 *   device   round 2 over the service's partial (and its other signers'): the same checks (blame 1)
 *
 * The payloads are exactly the sign protocol's round-1 broadcasts (no new message bytes). The
 * session context of round 2 carries the JOINT sid the service answers (`service-sid.ts`).
 * @module
 */
import { abytes } from '../bytes.js';
import { fail, InternalBug } from '../errors.js';
import type { Rng } from '../rng.js';
import { normaliseConfig } from '../../protocols/session.js';
import { sign, type SignInput, type SignOutput, type SignState } from '../../protocols/sign/index.js';
import type { Payload, PartyContext, PartySpec, Received } from '../../protocols/types.js';

/** One signer's contribution: its round-1 broadcast `{tag, m, sigma}`. */
export interface SignPartial {
  id: number;
  payload: Payload;
}

/** A signer's state between its partial and the combination. SECRET inside (σ_i, k_i·m …). */
export interface OnlineSigner {
  readonly id: number;
  readonly payload: Payload;
  readonly state: SignState;
  readonly parties: readonly PartySpec[];
}

/**
 * Init (binding checks, the presignature consumed — PRESIGN_USED on a second use) and round 1 of
 * signer `self` among `parties`. The sid is not needed before round 2 (`combineOnline` gets it).
 */
export function startOnline(input: SignInput, self: number, parties: readonly PartySpec[], placeholderSid: Uint8Array): OnlineSigner {
  const ctx = normaliseConfig({ sid: placeholderSid, self, parties, threshold: parties.length }, sign.name);
  const state = sign.init(input, ctx);
  const r1 = sign.rounds[0]!.run(state, new Map(), { ...ctx, round: 1, rng: noRng });
  if (!('outbox' in r1)) throw new InternalBug('sign round 1 produced no message');
  return { id: self, payload: r1.outbox[0]!.payload, state: r1.state, parties: ctx.parties };
}

/** Round 2 (the combiner) of `me` under the joint `sid`, over every other signer's partial (each exactly once). */
export function combineOnline(me: OnlineSigner, sid: Uint8Array, others: readonly SignPartial[]): SignOutput {
  abytes(sid, 'sid', 32);
  const inbox = new Map<number, Received>();
  for (const p of others) {
    if (p.id === me.id || !me.parties.some((q) => q.id === p.id)) fail('INVALID_ARGUMENT', `partials: ${p.id} is not another signer of this session`);
    if (inbox.has(p.id)) fail('INVALID_ARGUMENT', `partials: ${p.id} appears twice`);
    inbox.set(p.id, { broadcast: p.payload });
  }
  const missing = me.parties.filter((q) => q.id !== me.id && !inbox.has(q.id)).map((q) => q.id);
  if (missing.length) fail('INVALID_ARGUMENT', `partials: none from ${missing.join(', ')}`);
  const ctx: PartyContext = { sid: Uint8Array.from(sid), protocol: sign.name, self: me.id, parties: me.parties, threshold: me.parties.length };
  const r = sign.rounds[1]!.run(me.state, inbox, { ...ctx, round: 2, rng: noRng });
  if (!('output' in r)) throw new InternalBug('sign round 2 produced no output');
  return r.output;
}

/** The sign rounds draw nothing (σ_i is deterministic from the presignature). */
const noRng: Rng = Object.freeze({
  bytes(): Uint8Array {
    throw new InternalBug('the online sign rounds draw no randomness');
  },
});
