/**
 * Generator of `interop/peer-quirks.json` (`tsx test-vectors/generate-peer-quirks.ts [--check]`):
 * accounts in the state the published `@tkey/core` 15 / `@tkey/security-questions` 12 leave
 * them in after the writes our interop fixes are about, replayed by `test/helpers/peer-tkey.ts`
 * (the peer's code paths, quoted there) on our metadata layer, deterministic from one seed. Each
 * vector holds every stored record (address + stored value), the metadata nonce, the postbox key,
 * a second factor (the device ShareStore) and what a reader must get. `--check` compares and
 * exits 1 on drift. Suite `peer-quirks` (suites/peer-quirks.ts) replays them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../src/bytes.js';
import { pointToHex } from '../src/curve.js';
import type { ShareStore } from '../src/metadata/share-store.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { SecurityQuestionsModule } from '../src/modules/security-questions.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import type { MetadataStorage } from '../src/storage/types.js';
import { peerChangeSecurityQuestionAndAnswer, peerDeleteTKeyStoreItem, peerGenerateNewShareWithSecurityQuestions, peerSqModule } from '../test/helpers/peer-tkey.js';

export const PEER_QUIRKS_SCRIPT = 'test-vectors/generate-peer-quirks.ts';
export const PEER_QUIRKS_SEED = 'tkey-tss/conformance/v1/peer-quirks';
export const PEER_QUIRKS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'interop', 'peer-quirks.json');
const POSTBOX = new Uint8Array(32).fill(7);
const NOW = 1700000000000;
/** Fast scrypt for the vectors (the bounds' minimum N). */
const FAST = { N: 2 ** 10, r: 8, p: 1 };

const tkey = (storage: MetadataStorage, seed: string, modules: NonNullable<ConstructorParameters<typeof ThresholdKey>[0]['modules']> = []) =>
  new ThresholdKey({ storage, postboxKey: POSTBOX, rng: seededRng(`${PEER_QUIRKS_SEED}/${seed}`), now: () => NOW, ...(modules.length ? { modules } : {}) });

async function dump(storage: MemoryStorage, tk: ThresholdKey, device: ShareStore) {
  const metadataPub = pointToHex(tk.getMetadata().pubKey, true);
  const records = storage
    .entries()
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, value]) => {
      const [pubX, pubY, namespace] = k.split('\x1c') as [string, string, string];
      return { pubX, pubY, namespace, value };
    });
  return { postboxKey: bytesToHex(POSTBOX), metadataPub, nonce: await storage.getNonce(metadataPub), metadataKey: bytesToHex(tk.exportMetadataKey()), deviceShare: device.exportJSON(), records };
}

/** Our account with two tKeyStore items; the peer deletes one: the other is left in plaintext. */
async function tkeyStorePlaintext() {
  const storage = new MemoryStorage();
  const ours = tkey(storage, 'tks/ours');
  const { deviceShare } = await ours.initialize();
  const keep = { id: 'seed-b', seedPhrase: 'legal winner thank year wave sausage worth useful legal winner thank yellow', type: 'HD Key Tree' };
  await ours.setTKeyStoreItem('seedPhraseModule', { id: 'seed-a', seedPhrase: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about', type: 'HD Key Tree' });
  await ours.setTKeyStoreItem('seedPhraseModule', keep);
  const peer = tkey(storage, 'tks/peer');
  await peer.initialize({ withShare: deviceShare!, neverInitializeNewKey: true });
  await peer.reconstructKey();
  await peerDeleteTKeyStoreItem(peer, 'seedPhraseModule', 'seed-a');
  return {
    id: 'tkeystore/peer-delete-leaves-plaintext',
    kind: 'tkeystore-plaintext',
    peerOperation: "@tkey/core 15 TKey._deleteTKeyStoreItem('seedPhraseModule', 'seed-a'): the remaining item is written back decrypted",
    ...(await dump(storage, peer, deviceShare!)),
    expect: { module: 'seedPhraseModule', items: [keep] },
  };
}

/** Our hardened question ("blue"); then `peerStep` by the peer. */
async function sqAccount(name: string, peerStep: (peer: ThresholdKey) => Promise<void>) {
  const storage = new MemoryStorage();
  const sq = new SecurityQuestionsModule();
  const ours = tkey(storage, `${name}/ours`, [sq]);
  const { deviceShare } = await ours.initialize();
  await sq.generateNewShareWithSecurityQuestions(ours, 'blue', 'favourite colour?', { hardened: FAST });
  const peer = tkey(storage, `${name}/peer`, [peerSqModule()]);
  await peer.initialize({ withShare: deviceShare!, neverInitializeNewKey: true });
  await peer.reconstructKey();
  await peerStep(peer);
  return { deviceShare: deviceShare!, storage, peer };
}

async function sqChanged() {
  const { deviceShare, storage, peer } = await sqAccount('sq-changed', (p) => peerChangeSecurityQuestionAndAnswer(p, 'green', 'favourite colour now?'));
  return {
    id: 'security-questions/peer-changed-answer',
    kind: 'sq-answer',
    peerOperation: "our hardened question (answer 'blue'), then @tkey/security-questions 12 changeSecurityQuestionAndAnswer('green', …): keccak nonce, same sqPublicShare; our securityQuestions:kdf record stays behind",
    ...(await dump(storage, peer, deviceShare)),
    expect: { answers: ['green'], wrongAnswers: ['blue'], hardened: false },
  };
}

async function sqRecreated() {
  const { deviceShare, storage, peer } = await sqAccount('sq-recreated', async (p) => {
    const sqIndex = BigInt('0x' + (p.getMetadata().getGeneralStoreDomain('securityQuestions') as { shareIndex: string }).shareIndex);
    await p.deleteShare(sqIndex); // the peer's middleware drops its domain; ours (the kdf record) it does not know
    await peerGenerateNewShareWithSecurityQuestions(p, 'blue', 'favourite colour?', NOW);
  });
  return {
    id: 'security-questions/peer-recreated-question',
    kind: 'sq-answer',
    peerOperation: "our hardened question (answer 'blue'), then the peer deletes the question's share and creates a new keccak question with the same answer 'blue'; our securityQuestions:kdf record stays behind",
    ...(await dump(storage, peer, deviceShare)),
    expect: { answers: ['blue'], wrongAnswers: ['green'], hardened: false },
  };
}

async function sqPeerRefresh() {
  const { deviceShare, storage, peer } = await sqAccount('sq-refresh', async (p) => {
    await p.generateNewShare(); // the peer's middleware re-derives the nonce for the new share: h, hence our binding, stays
  });
  return {
    id: 'security-questions/peer-refresh-keeps-hardened',
    kind: 'sq-answer',
    peerOperation: "our hardened question (answer 'blue'), then the peer's generateNewShare (its middleware moves the question to the new share: new sqPublicShare and nonce, same h)",
    ...(await dump(storage, peer, deviceShare)),
    expect: { answers: ['blue'], wrongAnswers: ['green'], hardened: true },
  };
}

export async function generatePeerQuirks(): Promise<unknown> {
  return {
    suite: 'peer-quirks',
    version: 1,
    description:
      'Accounts as the published @tkey/core 15 / @tkey/security-questions 12 leave them after the writes our interop fixes are about (peer code paths replayed by test/helpers/peer-tkey.ts): a tKeyStore item left in plaintext by _deleteTKeyStoreItem, a hardened security question the peer changed or recreated (stale securityQuestions:kdf record), and one the peer refreshed.',
    generator: { script: PEER_QUIRKS_SCRIPT, seed: PEER_QUIRKS_SEED, fixedTimeMs: NOW, scrypt: FAST },
    vectors: [await tkeyStorePlaintext(), await sqChanged(), await sqRecreated(), await sqPeerRefresh()],
  };
}

export const serialize = (doc: unknown): string => JSON.stringify(doc, null, 1) + '\n';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = serialize(await generatePeerQuirks());
  if (process.argv.includes('--check')) {
    const same = readFileSync(PEER_QUIRKS_PATH, 'utf8') === text;
    console.log(same ? 'peer-quirks: up to date' : 'peer-quirks: DRIFT (regenerate)');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(PEER_QUIRKS_PATH, text);
  console.log(`wrote ${PEER_QUIRKS_PATH.split('/').slice(-2).join('/')}`);
}
