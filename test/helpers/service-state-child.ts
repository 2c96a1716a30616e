/**
 * Child process of test/service-state.test.ts: a "restarted server" in a new OS process. Opens the
 * embedded store in <dir> with the KEK from TKEY_SERVER_KEK, reads the sealed state, takes one
 * presignature half, and prints one JSON line
 * {accounts, identity (hex), halvesBefore, took (hex of its k), halvesAfter}.
 *   node --import tsx service-state-child.ts <dir> <account> <sid>
 */
import { bytesToHex } from '../../src/bytes.js';
import { EmbeddedStore } from '../../src/server/store/embedded.js';
import { loadKeyring } from '../../src/server/service-state/kek.js';
import { openServiceState } from '../../src/server/service-state/open.js';
import { loadConfig } from '../../src/server/config.js';

const [dir, account, sid] = process.argv.slice(2);
const store = await EmbeddedStore.open({ dir: dir! });
try {
  const state = await openServiceState(store, loadKeyring(loadConfig(process.env)));
  const halvesBefore = await state.presigs.count(account!);
  const half = await state.presigs.take(account!, sid!);
  process.stdout.write(
    JSON.stringify({
      accounts: await state.shares.accounts(),
      confirmedShare: bytesToHex((await state.shares.get(account!))!.confirmed!.share),
      identity: bytesToHex(state.identityKey),
      halvesBefore,
      took: half ? bytesToHex(half.exportData().k) : null,
      halvesAfter: await state.presigs.count(account!),
    }) + '\n',
  );
} finally {
  await store.close();
}
