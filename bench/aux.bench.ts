/**
 * Aux-info benchmarks, PER PARTY, including the generation of its two safe primes:
 *
 *   aux/default, aux/high        fresh safe primes p, q of the profile (OpenSSL on libuv's pool, the
 *                                two concurrently: `generatePaillierKey`) + one party's whole aux
 *                                protocol (Πprm, Πmod, Πfac proofs and the checks of one peer's)
 *   aux/default:primes           the safe-prime pair alone (heavy-tailed: median ≪ mean)
 *   aux/default:proofs-only      one party's protocol work alone
 *   aux/default:2-parties        both parties of a 2-party run in one process, fresh primes for both
 *
 * "One party's protocol work" is measured by replaying party 1 of a seeded 2-party run through the
 * real session driver against the messages its peer sent (recorded once at setup, on the TEST primes
 * — the freshly generated key has the same size, so the same cost); every proof party 1 makes and
 * every check it runs is real. Few iterations: safe-prime generation takes seconds.
 */
import { utf8ToBytes } from '../src/bytes.js';
import { generatePaillierKey } from '../src/paillier/keys.js';
import type { ProfileName } from '../src/paillier/profiles.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { aux, type AuxInput } from '../protocols/aux/index.js';
import { simulate } from '../protocols/simulate.js';
import type { Protocol } from '../protocols/types.js';
import { replayParty } from '../test-vectors/suites/protocol-replay.js';
import { testPrimePairs } from '../test/helpers/test-primes.js';
import type { BenchSuite } from './registry.js';

const parties = [
  { id: 1, owns: [1] },
  { id: 2, owns: [2] },
];
const proto = aux as unknown as Protocol<AuxInput, unknown, object>;

/** A seeded 2-party run on the TEST primes; returns a function replaying party 1 (all of its work). */
function partyOneReplay(profile: ProfileName): () => void {
  const pairs = testPrimePairs(profile === 'high' ? 1536 : 1024);
  const input = (id: number): AuxInput => ({ profile, key: pairs[id]! });
  const sid = utf8ToBytes(`bench/aux/${profile}`);
  const seed = (id: number) => `bench/aux/${profile}/party-${id}`;
  const r = simulate(aux, parties.map((p) => ({ ...p, input: input(p.id), rng: seededRng(seed(p.id)) })), { sid, threshold: 1, replay: true }); // replay mode: party 1's replay below redraws the same
  if (r.outputs.size !== 2) throw new Error(`aux/${profile}: setup run did not finish`);
  const received = r.received.get(1)!;
  return () => {
    const out = replayParty(proto, sid, parties, 1, 1, seed(1), input(1), received);
    if (!('output' in out.end)) throw new Error(`aux/${profile}: replay did not finish`);
  };
}

const suite: BenchSuite = (b) => {
  const replays = new Map<ProfileName, () => void>();
  const replay = (profile: ProfileName) => {
    let f = replays.get(profile);
    if (!f) replays.set(profile, (f = partyOneReplay(profile)));
    return f;
  };
  const perParty = (profile: ProfileName) => async () => {
    const sk = await generatePaillierKey(profile); // fresh safe primes, verified
    if (!sk.isBlum) throw new Error('not a Blum modulus');
    replay(profile)();
  };
  b.add('aux/default', perParty('default'), { iterations: 5, time: 0 });
  b.add('aux/high', perParty('high'), { iterations: 3, time: 0 });
  b.add('aux/default:primes', () => generatePaillierKey('default'), { iterations: 5, time: 0 });
  b.add('aux/default:proofs-only', () => replay('default')(), { iterations: 5, time: 0 });
  b.add(
    'aux/default:2-parties',
    async () => {
      const keys = [await generatePaillierKey('default'), await generatePaillierKey('default')];
      const r = simulate(aux, parties.map((p) => ({ ...p, input: { profile: 'default' as const, key: keys[p.id - 1]! }, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: 1 });
      if (r.outputs.size !== 2) throw new Error('aux/default:2-parties did not finish');
    },
    { iterations: 3, time: 0 },
  );
};
export default suite;
