/**
 * Taurus-style tamper rules for protocol tests: each rule makes one party misbehave in one round —
 * change its state before the round, its round result (state and outbox) after it, or one of its
 * outgoing messages on the way to one recipient (so a broadcast can differ per recipient).
 */
import type { RoundHooks } from '../../protocols/session.js';
import type { SimOptions } from '../../protocols/simulate.js';
import type { Message, Payload, RoundResult } from '../../protocols/types.js';

export interface Rule {
  party: number;
  round: number;
  before?(state: any): any;
  after?(result: RoundResult<any, any>): RoundResult<any, any>;
  /** Return the message to deliver, or null to drop it. */
  message?(msg: Message, to: number): Message | null;
}

export function tamper(...rules: Rule[]): Pick<SimOptions, 'hooks' | 'deliver' | 'faulty'> {
  return {
    faulty: [...new Set(rules.map((r) => r.party))],
    hooks: (party) => {
      const mine = rules.filter((r) => r.party === party && (r.before || r.after));
      if (mine.length === 0) return undefined;
      const hooks: RoundHooks = {
        beforeRound: (round, state) => mine.filter((r) => r.round === round && r.before).reduce((s, r) => r.before!(s), state),
        afterRound: (round, res) => mine.filter((r) => r.round === round && r.after).reduce((x, r) => r.after!(x), res),
      };
      return hooks;
    },
    deliver: (msg, to) => {
      let m: Message | null = msg;
      for (const r of rules) if (m && r.message && r.party === msg.from && r.round === msg.round) m = r.message(m, to);
      return m;
    },
  };
}

type Obj = Record<string, Payload>;

/** The round's own payload, below the echo wrapper `{body, echo}` if there is one. */
export function bodyOf(msg: Message): Obj {
  const p = msg.payload as Obj;
  return ('echo' in p && 'body' in p ? p.body : p) as Obj;
}

/** Change a field of the message body (after the echo wrapper). */
export function editBody(msg: Message, fn: (body: Obj) => void): Message {
  fn(bodyOf(msg));
  return msg;
}

/** Flip one bit of a byte string (a copy). */
export function flip(b: Uint8Array, bit = 0): Uint8Array {
  const c = new Uint8Array(b);
  c[c.length - 1 - (bit >> 3)]! ^= 1 << (bit & 7);
  return c;
}

/** A rule that edits party `party`'s `kind` message of `round` to the recipients in `to` (all if omitted). */
export function editMessage(party: number, round: number, kind: 'broadcast' | 'p2p', fn: (body: Obj, to: number) => void, to?: readonly number[]): Rule {
  return {
    party,
    round,
    message: (msg, recipient) => {
      if ((kind === 'broadcast') !== (msg.to === null)) return msg;
      if (to && !to.includes(recipient)) return msg;
      fn(bodyOf(msg), recipient);
      return msg;
    },
  };
}
