/**
 * Issue 11 items 1, 2, 5: the co-signing service inside the server process, end to end over the
 * real server on loopback — `connectService` (fetches /v1/service, bus WebSocket at /v1/bus on the
 * same port, login through the development issuer) — `TssAccount.create` + sign + presignature pool
 * + addFactor (a refresh), every signature verified with noble and OpenSSL; a dropped connection
 * resumes without a new ID token; a graceful shutdown lets the session under way finish; the
 * development issuer shows in /healthz and in every log line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, bytesToNumberBE, utf8ToBytes } from '../src/bytes.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { TssAccount } from '../src/client/account.js';
import { connectService, type ServiceClient } from '../src/client/service-client.js';
import { seededRng } from '../src/rng.js';
import { DEV_ISSUER_ISS } from '../src/server/auth/dev-issuer.js';
import { FileStorage } from '../src/storage/file-store.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import type { Signature } from '../src/client/signing.js';
import { deviceAux } from './helpers/account.js';
import { verifyDigest } from './helpers/openssl-verify.js';
import { post } from './helpers/server.js';
import { serviceServer, testIssuer, type ServiceServer } from './helpers/service-server.js';
import { POSTBOX } from './helpers/tkey.js';
import { nobleVerify, recovers } from './helpers/verify-signature.js';

const DEVICE = new Uint8Array(32).fill(0x31);

function verified(sig: Signature, pub: Uint8Array): void {
  expect(nobleVerify(sig.digest, sig.signature, pub)).toBe(true);
  expect(recovers(sig.digest, sig.r, sig.s, sig.v, pub)).toBe(true);
  expect(verifyDigest(sig.digest, bytesToNumberBE(sig.r), bytesToNumberBE(sig.s), pub)).toBe(true);
  const bad = sig.signature.slice();
  bad[40]! ^= 1;
  expect(nobleVerify(sig.digest, bad, pub)).toBe(false);
}

/** getIdToken through the server's development issuer, counting the tokens asked for. */
function devTokens(url: string, sub: string): { getIdToken: (c: { nonce: string }) => Promise<string>; count: () => number } {
  let n = 0;
  return {
    getIdToken: async ({ nonce }) => {
      n++;
      const r = await post(url, '/dev/issuer/token', { sub, nonce });
      expect(r.status).toBe(200);
      return r.body.id_token as string;
    },
    count: () => n,
  };
}

describe('co-signing service over the server (loopback, development issuer)', () => {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  let srv: ServiceServer;
  let svc: ServiceClient | undefined;
  afterAll(async () => {
    svc?.close();
    await srv?.close();
  });

  it('create, sign, presignature pool, addFactor (refresh) over connectService; a dropped connection resumes without a new token', async () => {
    srv = await serviceServer({ mode: 'development', devIssuer: true }, { logStream });
    const info = await (await fetch(`${srv.url}/v1/service`)).json();
    expect(info).toMatchObject({ busPub: bytesToHex(srv.busPub), identityPub: bytesToHex(srv.party.identityPub), devIssuer: true });
    const health = await (await fetch(`${srv.url}/healthz`)).json();
    expect(health.devIssuer).toMatch(/development only/);

    const tokens = devTokens(srv.url, 'alice');
    const phases: string[] = [];
    let dropInSession = false;
    let droppedInSession = false;
    svc = await connectService(srv.url, {
      getIdToken: tokens.getIdToken,
      identityKey: DEVICE,
      sessions: {
        onProgress: (_p, e) => {
          if (e.phase === 'end') phases.push(e.protocol);
          if (dropInSession && e.protocol.startsWith('presign') && e.phase === 'end' && e.round === 2) {
            dropInSession = false;
            droppedInSession = true;
            svc!.drop(); // mid-session: the bus resends over the next connection, the session completes
          }
        },
      },
    });
    expect(svc.subject).toEqual({ iss: DEV_ISSUER_ISS, sub: 'alice' });
    expect(bytesToHex(svc.identityPub)).toBe(bytesToHex(srv.party.identityPub));
    expect(tokens.count()).toBe(1);

    const storage = new FileStorage({ dir: join(srv.dir, 'metadata') });
    const opts = { storage, postboxKey: POSTBOX, service: svc, transport: svc.partyTransport, rng: seededRng('server-service/device') };
    const { account, deviceFactor } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
    const pub = account.publicKey;
    const accountKey = (await srv.shares.accounts())[0]!;
    expect((await srv.shares.get(accountKey))!.owner).toEqual({ iss: DEV_ISSUER_ISS, sub: 'alice' }); // bound at keygen

    const s1 = await account.sign({ message: utf8ToBytes('first, presigned on the spot') });
    expect(s1.presigned).toBe(false);
    verified(s1, pub);

    svc.drop(); // the connection drops: the next call re-dials, re-handshakes, resumes
    dropInSession = true;
    await account.presign(2);
    expect(droppedInSession).toBe(true);
    expect(await srv.party.presignatureCount({ metadataPub: (await srv.shares.get(accountKey))!.metadataPub, tssTag: DEFAULT_TSS_TAG })).toBe(2);
    const s2 = await account.sign({ personalMessage: 'second, from the pool' });
    expect(s2.presigned).toBe(true);
    verified(s2, pub);
    // another device copies a share (a batch: the nonce moves, the epoch stays): the service refuses the
    // stale nonce over the wire (details.reason survives), the device reloads and signs with the same half
    const other = await TssAccount.login({ ...opts, rng: seededRng('server-service/other') }, deviceFactor);
    expect((await other.addFactor({ factor: FactorKey.random(seededRng('server-service/copy')).pub(), tssIndex: other.heldIndices[0]!, module: 'seedPhrase' })).refreshed).toBe(false);
    const s2b = await account.sign({ personalMessage: 'after a batch elsewhere' });
    expect(s2b.presigned).toBe(true);
    verified(s2b, pub);

    svc.drop();
    const { factorKey } = await account.securityAnswerFactor('blue whale');
    const r = await account.addFactor({ factor: factorKey.pub(), tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'favourite animal?' } });
    expect(r.refreshed).toBe(true);
    const s3 = await account.sign({ personalMessage: 'third, after the refresh' });
    verified(s3, pub);
    expect(bytesToHex(account.publicKey)).toBe(bytesToHex(pub));

    expect(tokens.count()).toBe(1); // every reconnection resumed the service session
    for (const p of ['keygen', 'aux', 'presign', 'refresh']) expect(phases.some((x) => x.startsWith(p))).toBe(true);
    expect(phases.some((x) => x.startsWith('sign')), 'a sign is one request (signOnline), never a bus session').toBe(false);
    // the development issuer is announced in EVERY log line, and no line carries a token or session
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(JSON.parse(l).devIssuer).toMatch(/development only/);
      expect(l).not.toMatch(/eyJ|s1\./);
    }
  }, 180_000);

  it('graceful shutdown: the session under way finishes, then the links close; new calls fail over (SERVER_UNAVAILABLE)', async () => {
    const dev = devTokens(srv.url, 'bob');
    let closing: Promise<void> | undefined;
    const bob = await connectService(srv.url, {
      getIdToken: dev.getIdToken,
      connectMs: 5000,
      callMs: 5000,
      sessions: { onProgress: (_p, e) => void (e.protocol.startsWith('keygen') && e.phase === 'end' && (closing ??= srv.app.close())) },
    });
    const storage = new FileStorage({ dir: join(srv.dir, 'metadata') });
    const { account } = await TssAccount.create({ storage, postboxKey: new Uint8Array(32).fill(8), service: bob, transport: bob.partyTransport, rng: seededRng('server-service/bob') });
    expect(closing).toBeDefined(); // the server began closing in round 1 of the keygen, and the keygen still completed
    expect(account.publicKey).toHaveLength(33);
    await closing;
    const owners = await Promise.all((await srv.shares.accounts()).map(async (k) => (await srv.shares.get(k))!.owner?.sub));
    expect(owners).toContain('bob');
    // the server is gone: the next call cannot reach any server
    await expect(bob.finalize({ metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG })).rejects.toMatchObject({ code: expect.stringMatching(/^(BUS_TIMEOUT|BUS_CLOSED|SERVER_UNAVAILABLE)$/) });
    bob.close();
  }, 120_000);
});

describe('two nodes of one service: failover with backoff, the session resumes on the other node', () => {
  it('skips a dead URL, creates and signs via node A; A shuts down; the next sign runs via node B without a new ID token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svc-failover-'));
    const iss = await testIssuer();
    const a = await serviceServer({ oidcIssuers: [iss.config()] }, { dir });
    const b = await serviceServer({ oidcIssuers: [iss.config()] }, { dir, node: a });
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r())); // nothing listens there any more
    let tokens = 0;
    const svc = await connectService([deadUrl, a.url, b.url], {
      identityKey: DEVICE,
      getIdToken: async ({ nonce }) => {
        tokens++;
        return iss.token({ sub: 'carol', claims: { nonce } });
      },
      backoff: { baseMs: 50, maxMs: 400 },
    });
    try {
      expect(svc.url).toBe(a.url);
      const storage = new FileStorage({ dir: join(dir, 'metadata') });
      const { account } = await TssAccount.create({ storage, postboxKey: new Uint8Array(32).fill(12), service: svc, transport: svc.partyTransport, rng: seededRng('failover/device'), aux: deviceAux(2) });
      verified(await account.sign({ personalMessage: 'via node A' }), account.publicKey);
      await a.close(); // node A goes away (graceful): the link re-dials A (refused), then B
      const s = await account.sign({ personalMessage: 'via node B' });
      verified(s, account.publicKey);
      expect(svc.url).toBe(b.url);
      expect(tokens).toBe(1); // B verified the session A issued (same service identity key)
    } finally {
      svc.close();
      await a.close();
      await b.close();
      await iss.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('no server reachable: SERVER_UNAVAILABLE within connectMs', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r()));
    const t0 = Date.now();
    await expect(connectService([deadUrl, deadUrl], { getIdToken: async () => 'x', connectMs: 1500, backoff: { baseMs: 50, maxMs: 200 } })).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
