/**
 * Test harness over the in-memory runner (protocols/simulate.ts): seeded keygen and refresh runs,
 * and the test-only interpolation of shares to check results.
 */
import { utf8ToBytes } from '../../src/bytes.js';
import { mulG, pointFromBytes } from '../../src/curve.js';
import { interpolate } from '../../src/shamir/index.js';
import { seededRng } from '../../src/rng.js';
import { keygen, type KeygenOutput } from '../../protocols/keygen/index.js';
import { refresh, type RefreshInput, type RefreshOutput } from '../../protocols/refresh/index.js';
import { simulate, type SimOptions, type SimResult } from '../../protocols/simulate.js';
import type { PartySpec, Protocol } from '../../protocols/types.js';

export * from '../../protocols/simulate.js';

export type Extra = Partial<Omit<SimOptions, 'threshold'>>;

export function runKeygen(parties: PartySpec[], t: number, seed = 'kg', extra: Extra = {}): SimResult<KeygenOutput> {
  return simulate(
    keygen,
    parties.map((p) => ({ id: p.id, owns: p.owns, input: {}, rng: seededRng(`${seed}/party-${p.id}`) })),
    { sid: utf8ToBytes(`${seed}/sid`), threshold: t, ...extra },
  );
}

/** The parties' refresh inputs from previous outputs: `dealers` maps party id → old indices it deals. */
export function refreshInputs(prev: readonly (KeygenOutput | RefreshOutput)[], dealers: ReadonlyMap<number, readonly number[]>): (party: number) => RefreshInput {
  const any = prev[0]!;
  const holder = (index: number) => prev.find((o) => o.shares.has(index))!;
  return (party) => ({
    publicKey: any.publicKey,
    epoch: any.epoch,
    oldThreshold: any.threshold,
    oldPublicShares: any.publicShares,
    dealers: [...dealers].map(([p, indices]) => ({ party: p, indices })),
    oldShares: (dealers.get(party) ?? []).map((index) => ({ index, share: holder(index).shares.export(index) })),
  });
}

export function runRefresh(
  prev: readonly (KeygenOutput | RefreshOutput)[],
  dealers: ReadonlyMap<number, readonly number[]>,
  parties: PartySpec[],
  t: number,
  seed = 'rf',
  extra: Extra = {},
  protocol: Protocol<RefreshInput, unknown, RefreshOutput> = refresh as Protocol<RefreshInput, unknown, RefreshOutput>,
): SimResult<RefreshOutput> {
  const input = refreshInputs(prev, dealers);
  return simulate(
    protocol,
    parties.map((p) => ({ id: p.id, owns: p.owns, input: input(p.id), rng: seededRng(`${seed}/party-${p.id}`) })),
    { sid: utf8ToBytes(`${seed}/sid`), threshold: t, ...extra },
  );
}

/** All shares of a run's outputs: index → scalar (tests only). */
export function allShares(outs: Iterable<KeygenOutput | RefreshOutput>): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (const o of outs) for (const i of o.shares.indices) m.set(i, o.shares.scalar(i));
  return m;
}

/** Does interpolating these shares at 0 give the secret key of `publicKey`? (tests only) */
export function interpolatesTo(shares: readonly { x: number; y: bigint }[], publicKey: Uint8Array): boolean {
  const k = interpolate(shares.map((s) => ({ x: BigInt(s.x), y: s.y })));
  return k !== 0n && mulG(k).equals(pointFromBytes(publicKey));
}

/** All k-subsets of xs. */
export function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [h!, ...s]), ...subsets(rest, k)];
}
