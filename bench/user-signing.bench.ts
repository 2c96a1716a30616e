/**
 * Signing without the service (issue 14), through the real account flow:
 *   sign/full:user-only   `TssAccount.sign(request, {signers: [2, 3]})` of a 2-of-3 account with an
 *                         empty pool (presign + sign now): device (2) + recovery (3) on one machine,
 *                         each party's work in its own warm worker thread (`WorkerPartyTransport` as
 *                         the account's localTransport), the service never contacted; includes the
 *                         metadata re-read (in-memory store), the signer-set checks and the
 *                         library's own verification of the signature. Aux info of {2, 3} from the
 *                         TEST primes (set up once, untimed). Compare with `sign/full` (protocols
 *                         only, one thread) and `sign/full:workers` (protocols only, workers).
 * `presign/3of5` is in signing.bench.ts beside `presign/2of2`.
 */
import { cryptoRng } from '../src/rng.js';
import { TssAccount } from '../src/client/account.js';
import type { ServiceConnection } from '../src/client/service-api.js';
import { MemoryServiceShareStore, ServiceParty } from '../src/client/service-party.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { createNodePartyHost } from '../workers/node.js';
import { WorkerPartyTransport } from '../workers/transport.js';
import { testPaillierKey } from '../test/helpers/test-primes.js';
import type { AuxInput } from '../protocols/aux/index.js';
import type { BenchRegistry } from './registry.js';

const aux = (pair: number): AuxInput => ({ profile: 'default', key: testPaillierKey(pair) });

/** A service connection that throws on every call: the user-only path must never reach it. */
const unreachable = new Proxy({} as ServiceConnection, {
  get: (_t, k) => (k === 'then' ? undefined : () => Promise.reject(new Error(`the service was contacted (${String(k)})`))),
});

export default async function suite(b: BenchRegistry): Promise<void> {
  if (!b.wants('sign/full:user-only')) return;
  const storage = new MemoryStorage();
  const postboxKey = cryptoRng.bytes(32);
  const service = new ServiceParty({ identityKey: cryptoRng.bytes(32), storage, shares: new MemoryServiceShareStore(), rng: cryptoRng, aux: aux(0) });
  const { deviceFactor, recoveryFactor } = await TssAccount.create({ storage, postboxKey, service, transport: new SimulatorTransport(), rng: cryptoRng, aux: aux(1) });
  const hosts = await Promise.all([createNodePartyHost({ unrefWhenIdle: true }), createNodePartyHost({ unrefWhenIdle: true })]);
  const acc = await TssAccount.login({ storage, postboxKey, service: unreachable, transport: new SimulatorTransport(), localTransport: new WorkerPartyTransport(hosts), rng: cryptoRng }, deviceFactor);
  await acc.unlockFactor(recoveryFactor);
  await acc.setupUserAux([aux(2), aux(3)], { indices: [2, 3] });
  let n = 0;
  b.add('sign/full:user-only', () => acc.sign({ personalMessage: `user-only ${n++}` }, { signers: [2, 3] }), { iterations: 10, time: 1 });
}
