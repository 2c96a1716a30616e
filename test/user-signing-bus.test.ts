/**
 * Issue 14 item 2 over the bus: at t = 3 the device acts for two indices next to the service, whose
 * participants run behind the bus RPC (`serveService` / `connectService`, `BusPartyTransport`): the
 * aux group {1, 2, 3} and a 3-party presign + sign, the `signers` request field crossing the RPC.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { connectLink, LinkServer, memoryPair } from '../src/bus/index.js';
import { TssAccount } from '../src/client/account.js';
import { BusPartyTransport } from '../src/client/bus-transport.js';
import { connectService, serveService } from '../src/client/service-rpc.js';
import { seededRng } from '../src/rng.js';
import { signingDigest } from '../src/signature/index.js';
import { accountEnv, deviceAux, POSTBOX } from './helpers/account.js';
import { verifyDigest as opensslDigest } from './helpers/openssl-verify.js';

describe('t = 3 with the service over the bus RPC', () => {
  it('the device acts for indices 2 and 3 beside the remote service: aux {1, 2, 3}, presign and sign; OpenSSL verifies', async () => {
    const env = accountEnv('user-bus');
    const server = new LinkServer({ identityKey: new Uint8Array(32).fill(0x11) });
    const linkA = new Promise((res) => server.onLink(res));
    const pair = memoryPair();
    server.accept(pair.a);
    const linkB = connectLink(pair.b, { identityKey: new Uint8Array(32).fill(0x22), serverPub: server.self.publicKey });
    await linkA;
    const started: string[] = [];
    const stop = serveService(env.service, server, { stallMs: 60_000, onProgress: (_p, e) => e.phase === 'start' && e.round === 1 && started.push(e.protocol) });
    const conn = await connectService(linkB);
    const opts = { storage: env.storage, postboxKey: POSTBOX, service: conn, transport: new BusPartyTransport({ stallMs: 60_000 }), rng: seededRng('user-bus/device') };
    try {
      const { account, recoveryFactor } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
      await account.unlockFactor(recoveryFactor);
      const { factorKey: sa } = await account.securityAnswerFactor('first pet');
      await account.addFactor({ factor: sa, tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'first pet?' } });
      expect((await account.changeThreshold(3)).threshold).toBe(3);
      expect(await account.setupUserAux([deviceAux(2), deviceAux(3)], { indices: [2, 3], withService: true })).toBe('1,2,3');
      const sig = await account.sign({ personalMessage: 'three parties over the bus' }, { signers: [1, 2, 3] });
      const { digest } = signingDigest({ personalMessage: 'three parties over the bus' });
      expect(opensslDigest(digest, BigInt('0x' + bytesToHex(sig.r)), BigInt('0x' + bytesToHex(sig.s)), account.publicKey)).toBe(true);
      expect(started.slice(-2)).toEqual(['aux', 'presign']); // the 3-party sign is one request (signOnline), no session
    } finally {
      stop();
    }
  }, 600_000);
});
