/**
 * A server process for the admin CLI test: the real app (`buildServer`, configured from the
 * environment by `loadConfig` as `tkey-tss serve` is — TKEY_ADMIN_TOKEN included) over an embedded
 * store in TKEY_DATA_DIR, with a co-signing service in the states of `ops-service.ts` (a locked
 * account, an orphaned keygen) as its admin target. Prints `{"msg":"ops world",…}` (the account
 * ids) and then the serve command's listening line; SIGTERM closes it.
 */
import { buildServer } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { EmbeddedStore } from '../../src/server/store/embedded.js';
import { opsServiceWorld } from './ops-service.js';

const cfg = loadConfig(process.env);
const w = await opsServiceWorld('ops-cli');
const store = await EmbeddedStore.open({ dir: cfg.dataDir });
const app = await buildServer({ store, config: cfg, admin: { party: w.party, shares: w.shares } });
await app.listen({ host: cfg.host, port: cfg.port });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
process.stdout.write(JSON.stringify({ msg: 'ops world', locked: w.idOf(w.locked), orphan: w.idOf(w.orphan) }) + '\n');
process.stdout.write(JSON.stringify({ level: 30, msg: 'tkey-tss metadata server listening', url: `http://${cfg.host}:${port}`, store: store.kind }) + '\n');
process.on('SIGTERM', () => {
  void app.close().then(() => store.close()).then(() => process.exit(0));
});
