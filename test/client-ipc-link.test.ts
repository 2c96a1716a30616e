/**
 * The demo's IPC link (`src/client/demo/ipc-link.ts`) in one process: two endpoints joined by a
 * structured-clone queue (what `process.send` does), the service behind `serveIpc`, the device on
 * `IpcServiceConnection` + `IpcTransport`. Create + sign work over it; the service's typed errors
 * come back with their codes; a service that stops talking is named (`SESSION_STALLED`).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import { IpcServiceConnection, IpcTransport, serveIpc, type IpcEndpoint, type IpcFrame } from '../src/client/demo/ipc-link.js';
import { MemoryServiceShareStore, ServiceParty } from '../src/client/service-party.js';
import { seededRng } from '../src/rng.js';
import { ethAddress, recoverAddress } from '../src/signature/index.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { deviceAux, expectCode, SERVICE_KEY, serviceAux } from './helpers/account.js';
import { NOW, POSTBOX } from './helpers/tkey.js';
import { nobleVerify } from './helpers/verify-signature.js';

/** Two endpoints; frames are structured-cloned and delivered asynchronously, as over Node IPC. `drop` filters what the device receives. */
function pair(drop: (f: IpcFrame) => boolean = () => false): { device: IpcEndpoint; service: IpcEndpoint } {
  const subs = { device: new Set<(f: IpcFrame) => void>(), service: new Set<(f: IpcFrame) => void>() };
  const end = (self: 'device' | 'service', peer: 'device' | 'service'): IpcEndpoint => ({
    send: (frame) => {
      const copy = structuredClone(frame);
      if (peer === 'device' && drop(copy)) return;
      setImmediate(() => {
        for (const l of subs[peer]) l(copy);
      });
    },
    on: (l) => {
      subs[self].add(l);
      return () => void subs[self].delete(l);
    },
  });
  return { device: end('device', 'service'), service: end('service', 'device') };
}

function setup(drop?: (f: IpcFrame) => boolean) {
  const storage = new MemoryStorage();
  const party = new ServiceParty({ identityKey: SERVICE_KEY, storage, shares: new MemoryServiceShareStore(), rng: seededRng('ipc/service'), aux: serviceAux() });
  const link = pair(drop);
  serveIpc(party, link.service);
  const service = new IpcServiceConnection(link.device, party.identityPub);
  const transport = new IpcTransport(link.device);
  return { storage, transport, opts: { storage, postboxKey: POSTBOX, service, transport, rng: seededRng('ipc/device'), now: NOW } };
}

describe('demo IPC link', () => {
  it('create + sign over the link; typed service errors keep their codes', async () => {
    const { opts } = setup();
    const { account } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
    const Y = account.publicKey;
    const sig = await account.sign({ personalMessage: 'over the IPC link' });
    expect(nobleVerify(sig.digest, sig.signature, Y)).toBe(true);
    expect(recoverAddress(sig.digest, BigInt('0x' + bytesToHex(sig.r)), BigInt('0x' + bytesToHex(sig.s)), sig.v)).toBe(ethAddress(Y));
    await account.presign(1);
    expect((await account.sign({ personalMessage: 'pooled, over the link' })).presigned).toBe(true);
    // the service refuses a second keygen for the account: ACCOUNT_EXISTS crosses the link
    const ref = { metadataPub: account.metadataPublicKey, tssTag: account.tssTag };
    await expectCode(opts.service.keygenParticipant(ref, { sid: new Uint8Array(32).fill(1), parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2, 3] }], threshold: 2 }), 'ACCOUNT_EXISTS');
    await expectCode(opts.service.signParticipant(ref, { sid: new Uint8Array(32).fill(2), index: 2, base: { tssNonce: 0, commitments: [] } as never, presignSid: new Uint8Array(32).fill(3), digest: new Uint8Array(32) }), 'NOT_FOUND');
  });

  it('a service that stops sending is named: SESSION_STALLED', async () => {
    let cut = false;
    const { opts, transport } = setup((f) => cut && f.t === 'msg');
    const { account } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
    cut = true;
    transport.timeoutMs = 1000;
    await expectCode(account.sign({ personalMessage: 'nobody answers' }), 'SESSION_STALLED');
  });
});
