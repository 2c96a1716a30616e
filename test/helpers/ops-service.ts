/**
 * A co-signing service in the states an operator acts on, produced by real sessions (no record
 * edited by hand): account `locked` — created 2-of-3 by a device, then one presign round-1 Πenc of
 * the device corrupted on the way, so the service's own presign session aborts blaming the device
 * and the abort policy (maxAborts 1) locks the account; and an `orphan` — a keygen whose creation
 * batch never reached the metadata, so the service holds a pending share only (what `sweep`
 * fences off). No vitest import: the admin CLI test runs this in a server child process too.
 */
import { TssAccount } from '../../src/client/account.js';
import { MemoryServiceShareStore, ServiceParty, type AccountRef } from '../../src/client/service-party.js';
import { SimulatorTransport } from '../../src/client/transport.js';
import { ProtocolAbort } from '../../src/errors.js';
import { seededRng } from '../../src/rng.js';
import { MemoryStorage } from '../../src/storage/memory-store.js';
import type { MetadataStorage, StorageBatch } from '../../src/storage/types.js';
import { DEFAULT_TSS_TAG } from '../../src/tss/tss-tag.js';
import type { Message } from '../../protocols/types.js';
import { bytesToHex } from '../../src/bytes.js';
import { testPaillierKey } from './test-primes.js';
import { bodyOf, flip } from './tamper.js';
import { POSTBOX } from './tkey.js';

const SERVICE_KEY = new Uint8Array(32).fill(9);
const DEVICE = 2;

/** Metadata storage whose next commit can be made to fail before it writes anything. */
class CuttableStorage implements MetadataStorage {
  failNext = false;
  readonly inner = new MemoryStorage();
  get = (a: Parameters<MetadataStorage['get']>[0]) => this.inner.get(a);
  getNonce = (a: string) => this.inner.getNonce(a);
  async commit(b: StorageBatch): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('cut before the metadata batch');
    }
    await this.inner.commit(b);
  }
}

export interface OpsServiceWorld {
  party: ServiceParty;
  shares: MemoryServiceShareStore;
  storage: MetadataStorage;
  clock: { t: number };
  /** The locked account (confirmed epoch 0, one abort, lock {culprit 2, count 1}). */
  locked: AccountRef;
  /** The orphaned keygen (no confirmed share, pending epoch 0). */
  orphan: AccountRef;
  /** The service's account id of a ref: `<metadataPub hex>/<tssTag>`. */
  idOf(ref: AccountRef): string;
}

export async function opsServiceWorld(seed: string): Promise<OpsServiceWorld> {
  const storage = new CuttableStorage();
  const shares = new MemoryServiceShareStore();
  const clock = { t: 1_700_000_000_000 };
  const now = () => clock.t;
  const party = new ServiceParty({ identityKey: SERVICE_KEY, storage, shares, rng: seededRng(`${seed}/service`), aux: { profile: 'default', key: testPaillierKey(0) }, now, abortPolicy: { maxAborts: 1, windowMs: 60_000 } });
  let fault = false;
  const transport = new SimulatorTransport({
    deliver: (msg: Message) => {
      if (fault && msg.protocol === 'presign' && msg.from === DEVICE && msg.round === 1 && msg.to !== null) {
        const b = bodyOf(msg);
        b.psi0 = flip(b.psi0 as Uint8Array);
      }
      return msg;
    },
  });
  const opts = (device: string, postboxKey = POSTBOX) => ({ storage, postboxKey, service: party, transport, rng: seededRng(`${seed}/${device}`), now });

  const { account } = await TssAccount.create({ ...opts('device'), aux: { profile: 'default', key: testPaillierKey(1) } });
  fault = true;
  const abort = await account.sign({ personalMessage: 'corrupted on the way' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  fault = false;
  if (!(abort instanceof ProtocolAbort)) throw new Error(`expected the presign to abort, got ${String(abort)}`);
  const locked: AccountRef = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };

  storage.failNext = true;
  const before = new Set(await shares.accounts());
  const cut = await TssAccount.create(opts('orphan', new Uint8Array(32).fill(8))).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(cut instanceof Error) || !/cut before/.test(cut.message)) throw new Error(`expected the creation batch to be cut, got ${String(cut)}`);
  const orphanId = (await shares.accounts()).find((k) => !before.has(k))!;
  const orphanRec = (await shares.get(orphanId))!;
  const orphan: AccountRef = { metadataPub: orphanRec.metadataPub, tssTag: orphanRec.tssTag };

  return { party, shares, storage, clock, locked, orphan, idOf: (r) => `${bytesToHex(r.metadataPub)}/${r.tssTag}` };
}
