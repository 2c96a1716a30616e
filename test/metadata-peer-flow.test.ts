/**
 * Replays the flow that produced the v1 sample (initialize → generateNewShare → security-question
 * share → share description → deleteShare of the extra share) and checks that our storage ends up
 * with the same record structure as the peer's: same number of records, same owners, same
 * metadata nonces, polynomial counts, scopedStore / generalStore / tkeyStore shapes.
 */
import { describe, expect, it } from 'vitest';
import { hexToNumber } from '../src/bytes.js';
import { decodeRecord, recordAddressOf } from '../src/metadata/record.js';
import { SecurityQuestionsModule } from '../src/modules/security-questions.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { addressKey } from '../src/storage/types.js';
import { newTkey, POSTBOX } from './helpers/tkey.js';
import { loadSample } from './helpers/v1-sample.js';

const S = loadSample();

type Shape = string;
function shape(content: Record<string, unknown>, role: string): Shape {
  if ('sig' in content) {
    const d = content.data as Record<string, Record<string, unknown> & { nonce: number; polyIDList: string[] }>;
    const scoped = d.scopedStore.encryptedShares ? Object.keys(d.scopedStore.encryptedShares as object).length : 0;
    return `${role} auth nonce=${d.nonce} polys=${d.polyIDList.length} encShares=${scoped} gs=[${Object.keys(d.generalStore).sort()}] tks=[${Object.keys(d.tkeyStore).sort()}] tss=${'tssNonces' in d}`;
  }
  if ('message' in content) return `${role} ${content.message as string}`;
  return `${role} shareStore index=${(content.share as { shareIndex: string }).shareIndex === '1' ? '1' : 'x'}`;
}

function roleOf(index: string, roles: { device: string; deleted: string; sq: string }): string {
  return index === '1' ? 'sp' : index === roles.device ? 'device' : index === roles.sq ? 'sq' : index === roles.deleted ? 'extra' : '?';
}

describe('our storage after the sample flow has the peer structure', () => {
  it('13 records with the same shapes as the sample', async () => {
    // the sample's shapes
    const sroles = { device: S.roles.deviceIndex, deleted: S.roles.deletedIndex, sq: S.roles.securityQuestionIndex };
    const expected = S.storage
      .map((r) => {
        const m = /^share ([0-9a-f]+) @/.exec(r.owner) ?? /^deleted share ([0-9a-f]+)$/.exec(r.owner);
        return shape(r.decrypted, r.owner === 'postboxKey' ? 'postbox' : roleOf(m![1]!, sroles));
      })
      .sort();

    // our run
    const storage = new MemoryStorage();
    const sq = new SecurityQuestionsModule({ saveAnswers: true });
    const tk = newTkey(storage, 'peer-flow', { modules: [sq] });
    const keys = new Map<string, { key: bigint; role: string }>();
    const roles = { device: '', deleted: '', sq: '' };
    const collect = () => {
      for (const i of tk.getKeyDetails().shareIndexes) {
        const v = tk.outputShareStore(i).share.value;
        keys.set(addressKey(recordAddressOf(v)), { key: v, role: i });
      }
    };
    const { deviceShare } = await tk.initialize();
    roles.device = deviceShare!.index.toString(16);
    collect();
    const { newShareIndex } = await tk.generateNewShare();
    roles.deleted = newShareIndex.toString(16);
    collect();
    const r = await sq.generateNewShareWithSecurityQuestions(tk, S.securityQuestion.answer, S.securityQuestion.question);
    roles.sq = r.newShareIndex.toString(16);
    collect();
    await tk.addShareDescription(deviceShare!.index, JSON.stringify({ module: 'webStorage', userAgent: 'probe', dateAdded: 1700000000000 }));
    collect();
    await tk.deleteShare(newShareIndex);
    collect();
    keys.set(addressKey(recordAddressOf(POSTBOX)), { key: hexToNumber(Buffer.from(POSTBOX).toString('hex')), role: 'postbox' });

    const ours = storage
      .entries()
      .map(([addr, value]) => {
        const k = keys.get(addr);
        if (!k) throw new Error('record with unknown owner');
        const role = k.role === 'postbox' ? 'postbox' : roleOf(k.role, roles);
        return shape(decodeRecord(k.key, value) as Record<string, unknown>, role);
      })
      .sort();
    if (process.env.SHOW_SHAPES) console.log(ours.join("\n"));
    expect(ours).toEqual(expected);
    expect(tk.getMetadata().nonce).toBe(S.metadataJSON.nonce);
  });
});
