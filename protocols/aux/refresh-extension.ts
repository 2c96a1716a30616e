/**
 * Aux rotation inside refresh (recipe §2.4: "re-run Πprm, Πmod and Πfac on fresh Paillier keys"):
 * a `RefreshExtension` so a refresh rotates every party's Paillier/ring-Pedersen material in the
 * same session. Every refresh party contributes — fresh primes, or `reuseAux(old)` to re-prove
 * the key it keeps — and the output is the new group's AuxInfo.
 *
 *   round 1, broadcast ext  {N, s, t, prm}     ψ̂_i = Πprm bound to (sid, i)
 *   round 2, broadcast ext  {mod}              checks of every (N_j, s_j, t_j, ψ̂_j) (blame j, round 1);
 *                                               ψ_i = Πmod bound to (sid, i, h)
 *   round 2, p2p ext → j    {fac}              φ_i^j = Πfac bound to (sid, i, h, j) under j's parameters
 *   finish                                      verify ψ_j, φ_j^i (blame j, round 2) → AuxInfo
 *
 * h, the refresh confirmation hash over every round-1 broadcast (these parts included), stands in
 * for ρ: it is fixed only after every party has committed to its N. Transcripts are those of the
 * aux protocol forked with "refresh/aux-rotation", so proofs of one never verify in the other.
 * No commitment round is needed: unlike ρ_i nothing here is chosen after seeing the others.
 *
 *   const proto = refreshProtocol(auxRotation(await prepareAuxInput('default')));
 *   const s = Session.create(proto, config, refreshInput, {rng});  … auxFromRefresh(s.output!)
 * @module
 */
import { fail, ProtocolAbort } from '../../src/errors.js';
import { getProfile } from '../../src/paillier/profiles.js';
import type { ExtensionParts, RefreshExtension, RefreshOutput } from '../refresh/messages.js';
import type { Payload, RoundContext } from '../types.js';
import { PayloadReader } from '../util.js';
import { sealAux } from './info.js';
import type { AuxInput } from './messages.js';
import { checkPeerModulus, type Modulus, modulusPayload, type OwnKey, ownParameters, proofBytes, proveModFac, readModulus, validateInput, verifyPeerModFac } from './proofs.js';
import type { AuxInfo } from './types.js';

export const AUX_ROTATION = 'aux-rotation/v1';
const WITHIN = 'refresh/aux-rotation';

interface RotationState {
  key: OwnKey;
  own: Modulus;
  lambda: bigint;
  peers?: [number, Modulus][];
}

// the extension state is plain data with bigints (structured-clone safe, like every protocol state)
const asPayload = (s: RotationState | AuxInfo): Payload => s as unknown as Payload;
const fromPayload = (p: Payload): RotationState => p as unknown as RotationState;

/**
 * The aux-rotation extension. `input` is this party's aux input, or a function of the party id
 * (in-memory simulations share one protocol object between parties). A plain input is validated
 * now; a function's result when round 1 runs.
 */
export function auxRotation(input: AuxInput | ((self: number) => AuxInput)): RefreshExtension {
  const fixed = typeof input === 'function' ? null : validateInput(input);
  const inputFor = (self: number): { key: OwnKey; prmPool: AuxInput['prmPool'] } => {
    if (fixed) return { key: fixed, prmPool: (input as AuxInput).prmPool };
    const i = (input as (self: number) => AuxInput)(self);
    return { key: validateInput(i), prmPool: i.prmPool };
  };
  return Object.freeze({
    name: AUX_ROTATION,
    p2pRound2: true,
    round1(ctx: RoundContext) {
      const { key, prmPool } = inputFor(ctx.self);
      const { lambda, prm, ...own } = ownParameters(key, ctx.sid, ctx.self, ctx.rng, WITHIN, prmPool);
      const state: RotationState = { key: { ...key, reuse: null }, own, lambda };
      return { state: asPayload(state), broadcast: { aux: key.profile, ...modulusPayload({ ...own, prm }, getProfile(key.profile)) }, p2p: new Map() };
    },
    round2(st: Payload, peers: ReadonlyMap<number, ExtensionParts>, ctx: RoundContext, h: Uint8Array) {
      const state = fromPayload(st);
      const profile = getProfile(state.key.profile);
      const checked: [number, Modulus][] = [];
      for (const [j, parts] of peers) {
        const r = new PayloadReader(parts.broadcast, 1, j, 'refresh round 1 ext');
        const prm = proofBytes(r, 'prm');
        r.keys('N', 'aux', 'prm', 's', 't');
        if (r.raw('aux') !== profile.name) r.fail(`aux profile ${String(r.raw('aux'))}, expected ${profile.name}`, 'CONFIG_MISMATCH');
        if (parts.p2p !== null) throw new ProtocolAbort('MALFORMED_MESSAGE', 1, [j], 'refresh round 1 p2p ext: expected null');
        const m = readModulus(r, profile);
        checkPeerModulus(r, m, prm, ctx.sid, profile, WITHIN);
        checked.push([j, m]);
      }
      checked.sort((a, b) => a[0] - b[0]);
      const { mod, fac } = proveModFac(state.key, ctx.sid, ctx.self, h, checked, ctx.rng, WITHIN);
      const p2p = new Map<number, Payload>(checked.map(([j]) => [j, { fac: fac.get(j)! }]));
      return { state: asPayload({ ...state, peers: checked }), broadcast: { mod }, p2p };
    },
    finish(st: Payload, peers: ReadonlyMap<number, ExtensionParts>, ctx: RoundContext, h: Uint8Array): Payload {
      const state = fromPayload(st);
      const profile = getProfile(state.key.profile);
      const known = new Map(state.peers!);
      for (const [j, parts] of peers) {
        const rb = new PayloadReader(parts.broadcast, 2, j, 'refresh round 2 ext');
        const rp = new PayloadReader(parts.p2p ?? undefined, 2, j, 'refresh round 2 p2p ext');
        const modBytes = proofBytes(rb, 'mod');
        const facBytes = proofBytes(rp, 'fac');
        rb.keys('mod');
        rp.keys('fac');
        verifyPeerModFac(rb, rp, modBytes, facBytes, known.get(j)!, state.own, ctx.sid, ctx.self, h, profile, WITHIN);
      }
      const parties = [[ctx.self, state.own] as const, ...known].map(([id, m]) => ({ id, N: m.N, s: m.s, t: m.t })).sort((a, b) => a.id - b.id);
      return asPayload(sealAux({ profile: profile.name, self: ctx.self, secret: { p: state.key.p, q: state.key.q, lambda: state.lambda }, parties }));
    },
  });
}

/** The verified AuxInfo of a refresh run with `auxRotation` (INVALID_ARGUMENT without it). */
export function auxFromRefresh(out: RefreshOutput): AuxInfo {
  const x = out.extension as unknown as AuxInfo | null;
  if (x === null || typeof x !== 'object' || !Array.isArray(x.parties) || typeof x.secret !== 'object') fail('INVALID_ARGUMENT', 'refresh output: no aux-rotation extension output');
  return sealAux(x);
}
