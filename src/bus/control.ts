/**
 * Bus control payloads (`protocol: "bus/ctl"`, `round: 0`, `from: 0`, `to: 0`, sid = the
 * session's), decoded by a strict schema (`frame-schema.ts`): exactly these keys, types and sizes,
 * anything else `BUS_FRAME_INVALID` (naming the claimed party when there is one).
 *
 *   {party, t: "done"}                               that party finished and stored its output
 *   {culprits, party, reason, round, t: "abort"}     its session aborted (ProtocolAbort)
 *   {message, party, t: "fail"}                      it failed outside the protocol
 * @module
 */
import { fail } from '../errors.js';
import type { WirePayload } from './codec.js';
import { strictMap, U32, type Blame, type Schema } from './frame-schema.js';

export type Ctl = { t: 'done'; party: number } | { t: 'abort'; party: number; reason: string; round: number; culprits: number[] } | { t: 'fail'; party: number; message: string };

/** Longest `fail` message (the sender truncates to this) and culprit list. */
export const MAX_CTL_MESSAGE = 500;
export const MAX_CULPRITS = 256;

const PARTY = { t: 'uint', min: 1, max: U32 } as const;
const SCHEMAS: Record<Ctl['t'], Schema> = {
  done: { party: PARTY, t: { t: 'const', value: 'done' } },
  abort: {
    culprits: { t: 'uints', min: 1, max: MAX_CULPRITS },
    party: PARTY,
    reason: { t: 'str', max: 64, re: /^[A-Z][A-Z0-9_]*$/ },
    round: { t: 'uint', max: U32 },
    t: { t: 'const', value: 'abort' },
  },
  fail: { message: { t: 'str', max: MAX_CTL_MESSAGE }, party: PARTY, t: { t: 'const', value: 'fail' } },
};

/** A control payload, strictly decoded; `peer` (hex identity key of the link) goes into a refusal. */
export function decodeCtl(p: WirePayload, peer: string | null = null): Ctl {
  const isMap = typeof p === 'object' && p !== null && !Array.isArray(p) && !(p instanceof Uint8Array);
  const kind: unknown = isMap ? Object.getOwnPropertyDescriptor(p, 't')?.value : undefined;
  const party: unknown = isMap ? Object.getOwnPropertyDescriptor(p, 'party')?.value : undefined;
  const blame: Blame = { sender: typeof party === 'number' ? party : null, peer };
  if (kind !== 'done' && kind !== 'abort' && kind !== 'fail') return fail('BUS_FRAME_INVALID', 'bus control: t must be "done", "abort" or "fail"', { ...blame });
  const o = strictMap(p, SCHEMAS[kind], `bus control "${kind}"`, blame);
  switch (kind) {
    case 'done':
      return { t: 'done', party: o.party as number };
    case 'abort':
      return { t: 'abort', party: o.party as number, reason: o.reason as string, round: o.round as number, culprits: [...(o.culprits as number[])] };
    default:
      return { t: 'fail', party: o.party as number, message: o.message as string };
  }
}
