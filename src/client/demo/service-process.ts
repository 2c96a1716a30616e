/**
 * The demo's co-signing service, in its own OS process (forked by `main.ts`). It prepares its
 * long-lived Paillier key (real safe primes) at start-up, opens the same embedded metadata store
 * (read access for checkpoints), keeps its shares in memory, and serves the device over
 *   - `ws`  (default): the bus — a WebSocket server on 127.0.0.1 (`listenLinks`), the secure
 *           channel bound to its bus identity key, `serveService` answering the RPC;
 *   - `ipc`: the demo's Node IPC link (`ipc-link.ts`).
 * The fork's IPC channel always carries the start-up `ready` frame (bus URL and keys) and `exit`.
 * Arguments: the metadata directory, the link kind. Its keys are random per run.
 * @module
 */
import { FileStorage } from '../../storage/file-store.js';
import { cryptoRng } from '../../rng.js';
import { Identity } from '../../bus/secure-channel.js';
import { listenLinks } from '../../bus/ws-node.js';
import { serveService } from '../service-rpc.js';
import { MemoryServiceShareStore, ServiceParty } from '../service-party.js';
import { processEndpoint, serveIpc } from './ipc-link.js';
import { demoAuxInput } from './primes.js';

async function main(): Promise<void> {
  const dir = process.argv[2];
  const kind = process.argv[3] ?? 'ws';
  if (!dir || !process.send || (kind !== 'ws' && kind !== 'ipc')) throw new Error('service-process: run by the demo (fork with an IPC channel, the metadata directory and ws|ipc)');
  const control = processEndpoint(process);
  const t0 = performance.now();
  const aux = await demoAuxInput(0);
  const primesMs = Math.round(performance.now() - t0);
  const service = new ServiceParty({ identityKey: cryptoRng.bytes(32), storage: new FileStorage({ dir }), shares: new MemoryServiceShareStore(), rng: cryptoRng, aux });
  let close: () => Promise<void> = async () => undefined;
  if (kind === 'ipc') {
    serveIpc(service, control);
    control.send({ t: 'ready', identityPub: service.identityPub, primesMs });
  } else {
    const busIdentity = new Identity(cryptoRng.bytes(32));
    const server = await listenLinks({ identityKey: busIdentity });
    const stop = serveService(service, server.links, { onError: (e, info) => console.error(`service: ${info.method} session failed:`, (e as Error).message) });
    close = async () => {
      stop();
      await server.close();
    };
    control.send({ t: 'ready', identityPub: service.identityPub, primesMs, url: server.url, busPub: busIdentity.publicKey });
  }
  const exit = () => void close().finally(() => process.exit(0));
  control.on((f) => {
    if (f.t === 'exit') exit();
  });
  process.on('disconnect', exit);
}

main().catch((e) => {
  console.error('service process:', e);
  process.exit(1);
});
