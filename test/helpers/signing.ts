/**
 * Presign + sign harness over the in-memory runner: seeded keygen outputs, presign inputs for a
 * signing set, and a full presign → sign run. Tests only.
 */
import { utf8ToBytes } from '../../src/bytes.js';
import { seededRng } from '../../src/rng.js';
import type { KeygenOutput } from '../../protocols/keygen/index.js';
import { presign, type PresignInput, type PresignOutput } from '../../protocols/presign/index.js';
import type { RefreshOutput } from '../../protocols/refresh/index.js';
import { sign, type SignInput, type SignOutput } from '../../protocols/sign/index.js';
import { simulate, type SimOptions, type SimResult } from '../../protocols/simulate.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { auxFixtures } from './aux-fixtures.js';

type KeyOut = KeygenOutput | RefreshOutput;

export function presignInputs(key: readonly KeyOut[], signers: readonly number[], aux: Map<number, AuxInfo>, shift?: Uint8Array): (id: number) => PresignInput {
  const holder = (i: number) => key.find((o) => o.shares.has(i))!;
  const any = key[0]!;
  return (id) => ({
    publicKey: any.publicKey,
    epoch: any.epoch,
    publicShares: any.publicShares,
    share: holder(id).shares.export(id),
    ...(shift ? { shift } : {}),
    aux: aux.get(id)!,
  });
}

export function runPresign(key: readonly KeyOut[], signers: readonly number[], opts: { seed?: string; shift?: Uint8Array; aux?: Map<number, AuxInfo>; extra?: Partial<Omit<SimOptions, 'threshold'>>; input?: (id: number) => PresignInput } = {}): SimResult<PresignOutput> {
  const seed = opts.seed ?? 'ps';
  const aux = opts.aux ?? auxFixtures(signers);
  const input = opts.input ?? presignInputs(key, signers, aux, opts.shift);
  return simulate(
    presign,
    signers.map((id) => ({ id, owns: [id], input: input(id), rng: seededRng(`${seed}/party-${id}`) })),
    { sid: utf8ToBytes(`${seed}/sid`), threshold: signers.length, ...opts.extra },
  );
}

export function runSign(pre: ReadonlyMap<number, PresignOutput>, digest: Uint8Array, opts: { seed?: string; extra?: Partial<Omit<SimOptions, 'threshold'>>; input?: (id: number) => SignInput } = {}): SimResult<SignOutput> {
  const seed = opts.seed ?? 'sg';
  const signers = [...pre.keys()].sort((a, b) => a - b);
  const input =
    opts.input ??
    ((id: number): SignInput => {
      const o = pre.get(id)!;
      return { presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch, shift: o.shift };
    });
  return simulate(
    sign,
    signers.map((id) => ({ id, owns: [id], input: input(id), rng: seededRng(`${seed}/party-${id}`) })),
    { sid: utf8ToBytes(`${seed}/sid`), threshold: signers.length, ...opts.extra },
  );
}
