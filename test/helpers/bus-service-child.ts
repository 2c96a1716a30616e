/**
 * Child process of the two-process bus test (test/bus-two-process.test.ts): the co-signing service
 * on its own, serving over WebSocket on 127.0.0.1 (a free port).
 *   bus-service-child.ts <storage dir> <max lifetime ms>
 * Prints one line `READY <port> <service identity pub hex>` on stdout, logs background session
 * errors on stderr, and exits by itself: when its stdin closes (the parent ended or closed it), when
 * the device's connection goes down after a session, or at the lifetime cap (exit code 3).
 */
import { bytesToHex } from '../../src/bytes.js';
import { listenLinks } from '../../src/bus/ws-node.js';
import { MemoryServiceShareStore, ServiceParty } from '../../src/client/service-party.js';
import { serveService } from '../../src/client/service-rpc.js';
import { seededRng } from '../../src/rng.js';
import { FileStorage } from '../../src/storage/file-store.js';
import { SERVICE_KEY, serviceAux } from './account.js';

const [dir, lifetime] = process.argv.slice(2);
const cap = setTimeout(() => {
  process.stderr.write('service child: lifetime cap reached\n');
  process.exit(3);
}, Number(lifetime ?? '120000'));

const party = new ServiceParty({ identityKey: SERVICE_KEY, storage: new FileStorage({ dir: dir! }), shares: new MemoryServiceShareStore(), rng: seededRng('two-process/service'), aux: serviceAux() });
const server = await listenLinks({ identityKey: SERVICE_KEY, host: '127.0.0.1', port: 0, onRefused: (e) => process.stderr.write(`refused: ${e.message}\n`) });
serveService(party, server.links, { onError: (e, info) => process.stderr.write(`session error (${info.method}): ${e instanceof Error ? e.message : String(e)}\n`) });

const stop = async (code: number): Promise<void> => {
  clearTimeout(cap);
  await server.close();
  process.exit(code);
};
server.links.onLink((link) => link.onDown(() => void stop(0)));
process.stdin.on('end', () => void stop(0));
process.stdin.on('close', () => void stop(0));
process.stdin.resume();
process.stdout.write(`READY ${server.port} ${bytesToHex(party.identityPub)}\n`);
