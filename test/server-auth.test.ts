/**
 * Issue 11 items 1, 2: logins to the co-signing service. Real ID tokens signed with jose against a
 * real server on loopback (issuer keys in a JWKS file and served over HTTP): every bad token is
 * refused with AUTH_INVALID and its reason, a call without login with AUTH_REQUIRED, another
 * user's valid login on someone's account with FORBIDDEN, a service session presented by another
 * device key with AUTH_INVALID — and in every case the service's store is untouched (no session
 * ran). Per-account caps (RATE_LIMITED), the session tokens and the configuration rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { bytesToBase64Url, bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { Identity } from '../src/bus/secure-channel.js';
import { connectLinkNode } from '../src/bus/ws-node.js';
import { TssAccount } from '../src/client/account.js';
import { connectService, type ServiceClient } from '../src/client/service-client.js';
import { connectService as rpcConnect, loginNonce, type ServiceGrant } from '../src/client/service-rpc.js';
import type { AccountRef } from '../src/client/service-api.js';
import { fail } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { SessionTokens } from '../src/server/auth/session-token.js';
import { loadConfig } from '../src/server/config.js';
import { AccountCaps } from '../src/server/service/caps.js';
import { FileStorage } from '../src/storage/file-store.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { spawnServer } from './helpers/server.js';
import { serviceServer, testIssuer, type ServiceServer, type TestIssuer } from './helpers/service-server.js';
import { POSTBOX } from './helpers/tkey.js';

const ALICE_DEVICE = new Uint8Array(32).fill(0x11);
const BOB_DEVICE = new Uint8Array(32).fill(0x22);
const pubOf = (k: Uint8Array): Uint8Array => new Identity(k).publicKey;

/** The service's whole store, serialized (shares included: test only), to prove nothing changed. */
async function storeSnapshot(srv: ServiceServer): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const k of (await srv.shares.accounts()).sort()) out[k] = await srv.shares.get(k);
  return JSON.stringify(out, (_k, v) => (v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'bigint' ? v.toString(16) : v));
}

describe('co-signing service logins (real JWTs, real server)', () => {
  let iss: TestIssuer;
  let iss2: TestIssuer;
  let srv: ServiceServer;
  const open: ServiceClient[] = [];
  beforeAll(async () => {
    iss = await testIssuer('https://issuer.test.example', 'wallet-client');
    iss2 = await testIssuer('https://issuer2.test.example', 'wallet-client-2');
    srv = await serviceServer({ oidcIssuers: [iss.config(), { iss: iss2.iss, aud: iss2.aud, jwksUrl: iss2.jwksUrl, algs: ['RS256', 'EdDSA'] }], signRateAccount: 1 });
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await srv?.close();
    await iss?.close();
    await iss2?.close();
  });

  const login = async (token: string | (() => Promise<string>), identityKey = ALICE_DEVICE): Promise<ServiceClient> => {
    const c = await connectService(srv.url, { getIdToken: typeof token === 'string' ? async () => token : token, identityKey, connectMs: 10_000 });
    open.push(c);
    return c;
  };

  it('refuses every bad ID token with AUTH_INVALID and its reason; nothing runs, the store is untouched', async () => {
    const before = await storeSnapshot(srv);
    const now = Math.floor(Date.now() / 1000);
    const dev = pubOf(ALICE_DEVICE);
    const header = (h: object): string => bytesToBase64Url(utf8ToBytes(JSON.stringify(h)));
    const payload = { iss: iss.iss, aud: iss.aud, sub: 'alice', iat: now, exp: now + 600, nonce: loginNonce(dev), jti: 'none-1' };
    const hsKey = utf8ToBytes(JSON.stringify(iss.publicJwks.keys.find((k) => k.alg === 'RS256'))); // the issuer's PUBLIC key bytes as an HMAC secret
    const cases: [string, Promise<string> | string][] = [
      ['expired', iss.token({ sub: 'alice', devicePub: dev, iat: now - 900, exp: now - 120 })],
      ['not-yet-valid', iss.token({ sub: 'alice', devicePub: dev, nbf: now + 600 })],
      ['audience', iss.token({ sub: 'alice', devicePub: dev, aud: 'someone-else' })],
      ['issuer', iss.token({ sub: 'alice', devicePub: dev, iss: 'https://evil.example' })],
      ['algorithm', `${header({ alg: 'none', typ: 'JWT' })}.${header(payload)}.`],
      ['algorithm', new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: iss.keys.RS256.kid }).sign(hsKey)],
      ['algorithm', importJWK(iss.publicJwks.keys.find((k) => k.alg === 'RS256')!, 'RS256').then(async (k) => new SignJWT({ ...payload, jti: 'hs-pem' }).setProtectedHeader({ alg: 'HS256' }).sign(utf8ToBytes(await exportSPKI(k as CryptoKey))))], // the classic: HMAC keyed with the PEM
      ['algorithm', iss2.token({ sub: 'alice', devicePub: dev, iss: iss2.iss, aud: iss2.aud, alg: 'ES256' })], // ES256 not in issuer 2's list
      ['unknown-key', iss.token({ sub: 'alice', devicePub: dev, kid: 'no-such-kid' })],
      ['unknown-key', iss2.token({ sub: 'alice', devicePub: dev, iss: iss2.iss, aud: iss2.aud, alg: 'RS256', kid: 'no-such-kid' })], // over HTTP
      ['signature', generateKeyPair('ES256').then(({ privateKey }) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: iss.keys.ES256.kid }).sign(privateKey))], // the issuer's kid, another key
      ['nonce', iss.token({ sub: 'alice', devicePub: pubOf(BOB_DEVICE) })],
      ['issued-at', iss.token({ sub: 'alice', devicePub: dev, iat: now + 3600, exp: now + 7200 })],
      ['malformed', 'not-a-jwt'],
    ];
    for (const [reason, token] of cases) {
      const t = await token;
      await expect(login(t), reason).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason } });
    }
    // the same checks accept good tokens (so the refusals above are the checks at work)
    (await login(await iss.token({ sub: 'alice', devicePub: dev, alg: 'RS256' }))).close();
    (await login(await iss.token({ sub: 'alice', devicePub: dev, alg: 'EdDSA' }))).close();
    (await login(await iss2.token({ sub: 'alice', devicePub: dev, iss: iss2.iss, aud: iss2.aud, alg: 'EdDSA' }))).close();
    (await login(await iss.token({ sub: 'alice', devicePub: dev, iat: now + 30 }))).close(); // within the 60 s skew
    expect(await storeSnapshot(srv)).toBe(before);
  });

  it('one ID token logs in once: a replay (even on the same device) is AUTH_INVALID replayed', async () => {
    const t = await iss.token({ sub: 'alice', devicePub: pubOf(ALICE_DEVICE) });
    (await login(t)).close();
    await expect(login(t)).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'replayed' } });
  });

  it('no login: every method but identityPub is AUTH_REQUIRED, nothing runs', async () => {
    const before = await storeSnapshot(srv);
    const { link, transport } = connectLinkNode(srv.url.replace('http:', 'ws:') + '/v1/bus', { identityKey: BOB_DEVICE, serverPub: srv.busPub });
    try {
      const raw = await rpcConnect(link); // no authenticate
      expect(bytesToHex(raw.identityPub)).toBe(bytesToHex(srv.party.identityPub));
      const ref: AccountRef = { metadataPub: pubOf(new Uint8Array(32).fill(5)), tssTag: DEFAULT_TSS_TAG };
      await expect(raw.keygenParticipant(ref, { sid: new Uint8Array(32).fill(1), parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2, 3] }], threshold: 2 })).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
      await expect(raw.finalize(ref)).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
      await expect(raw.auxParticipant(ref, { sid: new Uint8Array(32).fill(2), index: 2 })).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
    } finally {
      transport.close();
      link.close();
    }
    expect(await storeSnapshot(srv)).toBe(before);
  });

  it('a service session presented by another device key is AUTH_INVALID; on its own device key it resumes', async () => {
    const wsUrl = srv.url.replace('http:', 'ws:') + '/v1/bus';
    const token = await iss.token({ sub: 'alice', devicePub: pubOf(ALICE_DEVICE) });
    const a = connectLinkNode(wsUrl, { identityKey: ALICE_DEVICE, serverPub: srv.busPub });
    const b = connectLinkNode(wsUrl, { identityKey: BOB_DEVICE, serverPub: srv.busPub });
    const a2 = connectLinkNode(wsUrl, { identityKey: ALICE_DEVICE, serverPub: srv.busPub });
    try {
      let grant: ServiceGrant | undefined;
      const ra = await rpcConnect(a.link, { authenticate: async (rpc) => void (grant = await rpc.login(token)) });
      await ra.authenticated();
      expect(grant!.subject).toEqual({ iss: iss.iss, sub: 'alice' });
      expect(grant!.session).not.toContain(token.split('.')[1]!); // the session never carries the ID token
      const before = await storeSnapshot(srv);
      const rb = await rpcConnect(b.link, { authenticate: async (rpc) => void (await rpc.resume(grant!.session)) });
      await expect(rb.authenticated()).rejects.toMatchObject({ code: 'AUTH_INVALID', details: { reason: 'other-device' } });
      await expect(rb.finalize({ metadataPub: pubOf(new Uint8Array(32).fill(5)), tssTag: DEFAULT_TSS_TAG })).rejects.toMatchObject({ code: 'AUTH_INVALID' });
      expect(await storeSnapshot(srv)).toBe(before);
      a.transport.close();
      a.link.close();
      const ra2 = await rpcConnect(a2.link, { authenticate: async (rpc) => void (await rpc.resume(grant!.session)) });
      await ra2.authenticated(); // the same device key on a new connection: resumes
    } finally {
      for (const x of [a, b, a2]) {
        x.transport.close();
        x.link.close();
      }
    }
  });

  it("another user's valid login on someone's account is FORBIDDEN for every method; no session runs, nothing is stored", async () => {
    const alice = await login(() => iss.token({ sub: 'alice', devicePub: pubOf(ALICE_DEVICE) }));
    const storage = new FileStorage({ dir: join(srv.dir, 'metadata') });
    const { account } = await TssAccount.create({ storage, postboxKey: POSTBOX, service: alice, transport: alice.partyTransport, rng: seededRng('server-auth/alice') });
    const ref: AccountRef = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
    const key = (await srv.shares.accounts()).find((k) => k.startsWith(bytesToHex(account.metadataPublicKey)))!;
    expect((await srv.shares.get(key))!.owner).toEqual({ iss: iss.iss, sub: 'alice' });

    // bob: a valid login of another subject (same issuer), and one of another issuer with alice's sub
    const bob = await login(() => iss.token({ sub: 'bob', devicePub: pubOf(BOB_DEVICE) }), BOB_DEVICE);
    const mallory = await login(() => iss2.token({ sub: 'alice', devicePub: pubOf(BOB_DEVICE), iss: iss2.iss, aud: iss2.aud, alg: 'RS256' }), BOB_DEVICE);
    const before = await storeSnapshot(srv);
    const sid = (i: number): Uint8Array => new Uint8Array(32).fill(0x70 + i);
    const base = { tssTag: DEFAULT_TSS_TAG, tssNonce: 0, commitments: [account.publicKey] };
    for (const other of [bob, mallory]) {
      const calls: [string, Promise<unknown>][] = [
        ['keygen', other.keygenParticipant(ref, { sid: sid(1), parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2, 3] }], threshold: 2 })],
        ['refresh', other.refreshParticipant(ref, { sid: sid(2), parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2, 3] }], threshold: 2, base, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [2] }] })],
        ['aux', other.auxParticipant(ref, { sid: sid(3), index: 2 })],
        ['presign', other.presignParticipant(ref, { sid: sid(4), index: 2, base, deviceN: 12345n })],
        ['sign', other.signParticipant(ref, { sid: sid(5), index: 2, base, presignSid: sid(6), digest: new Uint8Array(32).fill(1) })],
        ['signOnline', other.signOnline!(ref, { sid: sid(7), index: 2, base, presignSid: sid(6), digest: new Uint8Array(32).fill(1), partials: [{ id: 2, payload: { m: new Uint8Array(32), sigma: new Uint8Array(32), tag: new Uint8Array(32) } }] })],
        ['finalize', other.finalize(ref)],
      ];
      for (const [what, p] of calls) await expect(p, what).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await storeSnapshot(srv)).toBe(before);
    // alice herself is let through (finalize runs, and her sign requests reach the service)
    await expect(alice.finalize(ref)).resolves.toMatchObject({ durable: { tssNonce: 0 } });
  }, 120_000);

  it('per-account sign rate: over TKEY_SIGN_RATE_ACCOUNT the service answers RATE_LIMITED with retryAfterSeconds before anything runs', async () => {
    const alice = await login(() => iss.token({ sub: 'alice', devicePub: pubOf(ALICE_DEVICE) }));
    const key = (await srv.shares.accounts())[0]!;
    const rec = (await srv.shares.get(key))!;
    const ref: AccountRef = { metadataPub: rec.metadataPub, tssTag: rec.tssTag };
    const base = { tssTag: rec.tssTag, tssNonce: rec.confirmed!.tssNonce, commitments: rec.confirmed!.commitments };
    const req = (i: number) => ({ sid: new Uint8Array(32).fill(0x90 + i), index: 2, base, presignSid: new Uint8Array(32).fill(0xa0), digest: new Uint8Array(32).fill(1) });
    await expect(alice.signParticipant(ref, req(1))).rejects.toMatchObject({ code: 'NOT_FOUND' }); // admitted (1 per minute): the service has no such presignature
    await expect(alice.signParticipant(ref, req(2))).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'signs-per-minute', retryAfterSeconds: expect.any(Number) } });
    // the combined sign request counts against the same cap
    const partials = [{ id: 2, payload: { m: new Uint8Array(32), sigma: new Uint8Array(32), tag: new Uint8Array(32) } }];
    await expect(alice.signOnline!(ref, { ...req(3), partials })).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'signs-per-minute' } });
  });

  it("a sign refused as stale (stale-nonce) and resent once with the same sid part counts once against TKEY_SIGN_RATE_ACCOUNT", async () => {
    const CAROL_DEVICE = new Uint8Array(32).fill(0x33);
    const carol = await login(() => iss.token({ sub: 'carol', devicePub: pubOf(CAROL_DEVICE) }), CAROL_DEVICE);
    const storage = new FileStorage({ dir: join(srv.dir, 'metadata') });
    const { account } = await TssAccount.create({ storage, postboxKey: new Uint8Array(32).fill(0x34), service: carol, transport: carol.partyTransport, rng: seededRng('server-auth/carol') });
    const key = (await srv.shares.accounts()).find((k) => k.startsWith(bytesToHex(account.metadataPublicKey)))!;
    const rec = (await srv.shares.get(key))!;
    const ref: AccountRef = { metadataPub: rec.metadataPub, tssTag: rec.tssTag };
    const base = { tssTag: rec.tssTag, tssNonce: rec.confirmed!.tssNonce, commitments: rec.confirmed!.commitments };
    const nonce = (await storage.getNonce(bytesToHex(account.metadataPublicKey)))!;
    const partials = [{ id: 2, payload: { m: new Uint8Array(32), sigma: new Uint8Array(32), tag: new Uint8Array(32) } }];
    const req = (fill: number, n: number) => ({ sid: new Uint8Array(32).fill(fill), index: 2, base, presignSid: new Uint8Array(32).fill(0xa0), digest: new Uint8Array(32).fill(1), partials, nonce: n });
    // the device's state is of an older nonce: refused before anything is taken (this counts: 1 of 1 per minute)
    await expect(carol.signOnline!(ref, req(0xb1, nonce + 7))).rejects.toMatchObject({ code: 'SERVICE_STATE_MISMATCH', details: { reason: 'stale-nonce' } });
    // the device reloads and resends the same request: admitted without counting again (then: no such presignature)
    await expect(carol.signOnline!(ref, req(0xb1, nonce))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // the next sign is over the cap
    await expect(carol.signOnline!(ref, req(0xb2, nonce))).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'signs-per-minute' } });
  }, 120_000);
});

describe('service sessions (session-token.ts)', () => {
  const key = new Uint8Array(32).fill(9);
  const dev = pubOf(ALICE_DEVICE);
  it('verify on any node with the same identity key; refused: another device, expired, tampered, another service', () => {
    let now = 1_700_000_000_000;
    const a = new SessionTokens({ identityKey: key, ttlS: 900, clock: () => now });
    const b = new SessionTokens({ identityKey: key, ttlS: 900, clock: () => now }); // another node
    const g = a.issue({ iss: 'i', sub: 's' }, dev);
    expect(g.expiresAt).toBe(1_700_000_900);
    expect(b.verify(g.session, dev).subject).toEqual({ iss: 'i', sub: 's' });
    expect(() => b.verify(g.session, pubOf(BOB_DEVICE))).toThrow(expect.objectContaining({ code: 'AUTH_INVALID', details: { reason: 'other-device' } }));
    const tampered = g.session.replace(/\.([A-Za-z0-9_-])/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expect(() => b.verify(tampered, dev)).toThrow(expect.objectContaining({ code: 'AUTH_INVALID' }));
    expect(() => new SessionTokens({ identityKey: new Uint8Array(32).fill(8), ttlS: 900, clock: () => now }).verify(g.session, dev)).toThrow(expect.objectContaining({ details: { reason: 'signature' } }));
    expect(a.issue({ iss: 'i', sub: 's' }, dev, 1_700_000_100).expiresAt).toBe(1_700_000_100); // never beyond the ID token
    now += 900_000;
    expect(() => b.verify(g.session, dev)).toThrow(expect.objectContaining({ code: 'AUTH_INVALID', details: { reason: 'expired' } }));
    expect(JSON.stringify(a)).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('per-account caps (caps.ts)', () => {
  it('concurrent sessions and presignatures held', async () => {
    const caps = new AccountCaps({ maxAccountSessions: 2, maxAccountPresigs: 3, signRateAccount: 100 }, Date.now);
    const r1 = await caps.admit('acc', 'presignParticipant', async () => 1);
    const r2 = await caps.admit('acc', 'auxParticipant', async () => 0);
    await expect(caps.admit('acc', 'finalize', async () => 0)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'sessions' } });
    await caps.admit('other', 'finalize', async () => 0); // per account
    r2();
    r2(); // idempotent
    await expect(caps.admit('acc', 'presignParticipant', async () => 2)).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'presignatures' } }); // 2 held + 1 under way
    r1();
    const r3 = await caps.admit('acc', 'presignParticipant', async () => 2);
    r3();
  });
});

describe('per-account caps: the stale-nonce retry', () => {
  it('a sign refused as stale is resent once without counting; a free retry refused as stale again earns no other; per account and sid part', async () => {
    let now = 1_000_000;
    const caps = new AccountCaps({ maxAccountSessions: 8, maxAccountPresigs: 3, signRateAccount: 2 }, () => now);
    const stale = (() => {
      try {
        return fail('SERVICE_STATE_MISMATCH', 'stale', { reason: 'stale-nonce' });
      } catch (e) {
        return e;
      }
    })();
    const held = async () => 0;
    (await caps.admit('acc', 'signOnline', held, 'aa'))(stale); // counted: 1 of 2
    (await caps.admit('acc', 'signOnline', held, 'aa'))(); // its retry: free
    await expect(caps.admit('other', 'signOnline', held, 'aa')).resolves.toBeTypeOf('function'); // another account's own count
    (await caps.admit('acc', 'signOnline', held, 'bb'))(stale); // counted: 2 of 2
    (await caps.admit('acc', 'signOnline', held, 'bb'))(stale); // its retry: free, stale again — no further free one
    await expect(caps.admit('acc', 'signOnline', held, 'bb')).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'signs-per-minute' } });
    await expect(caps.admit('acc', 'signOnline', held, 'cc')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    // another error is no stale refusal; an old free retry expires with its minute
    now += 61_000;
    (await caps.admit('acc', 'signOnline', held, 'dd'))(new Error('other'));
    (await caps.admit('acc', 'signOnline', held, 'ee'))(stale); // 2 of 2 in the new window
    await expect(caps.admit('acc', 'signOnline', held, 'dd')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    now += 61_000;
    (await caps.admit('acc', 'signOnline', held, 'ff'))();
    (await caps.admit('acc', 'signOnline', held, 'gg'))();
    await expect(caps.admit('acc', 'signOnline', held, 'ee')).rejects.toMatchObject({ code: 'RATE_LIMITED' }); // its retry expired
  });
});

describe('configuration rows', () => {
  it('refuses the development issuer outside development mode, HS*/none algorithms, bad issuer lists', () => {
    expect(() => loadConfig({ TKEY_DEV_ISSUER: '1' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({ TKEY_DEV_ISSUER: '1', TKEY_MODE: 'production' })).toThrow(/TKEY_DEV_ISSUER/);
    expect(loadConfig({ TKEY_DEV_ISSUER: '1', TKEY_MODE: 'development' }).devIssuer).toBe(true);
    const one = (o: object) => JSON.stringify([{ iss: 'https://i', aud: 'a', jwksUrl: 'https://i/jwks', ...o }]);
    expect(() => loadConfig({ TKEY_OIDC_ISSUERS: one({ algs: ['HS256'] }) })).toThrow(/HS256/);
    expect(() => loadConfig({ TKEY_OIDC_ISSUERS: one({ algs: ['none'] }) })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({ TKEY_OIDC_ISSUERS: one({ jwksFile: '/x' }) })).toThrow(/exactly one/);
    expect(() => loadConfig({ TKEY_OIDC_ISSUERS: '@/nonexistent/issuers.json' })).toThrow(/cannot read/);
    expect(() => loadConfig({ TKEY_OIDC_ISSUERS: '{"iss":1}' })).toThrow(/JSON array/);
    expect(loadConfig({ TKEY_OIDC_ISSUERS: one({ algs: ['EdDSA'] }) }).oidcIssuers).toEqual([{ iss: 'https://i', aud: 'a', jwksUrl: 'https://i/jwks', algs: ['EdDSA'] }]);
    expect(loadConfig({}).sessionTtlS).toBe(900);
    expect(() => loadConfig({ TKEY_SESSION_TTL_S: '5' })).toThrow(/TKEY_SESSION_TTL_S/);
  });

  it('the server process refuses to start with the development issuer in production mode (exit 2, one line)', async () => {
    await expect(spawnServer({ TKEY_DEV_ISSUER: '1', TKEY_MODE: 'production' })).rejects.toThrow(/exited with 2[\s\S]*CONFIG_INVALID\] TKEY_DEV_ISSUER/);
  });
});

describe('service session expiry', () => {
  it('an expired session on a live connection: AUTH_REQUIRED, the client logs in again with a fresh token and retries once', async () => {
    let offsetMs = 0;
    const clock = (): number => Date.now() + offsetMs;
    const nowS = (): number => Math.floor(clock() / 1000);
    const iss = await testIssuer();
    const srv = await serviceServer({ oidcIssuers: [iss.config()], sessionTtlS: 900 }, { clock });
    let tokens = 0;
    const svc = await connectService(srv.url, {
      identityKey: ALICE_DEVICE,
      getIdToken: async ({ nonce }) => {
        tokens++;
        return iss.token({ sub: 'frank', claims: { nonce }, iat: nowS(), exp: nowS() + 3600 });
      },
    });
    try {
      const ref: AccountRef = { metadataPub: pubOf(new Uint8Array(32).fill(66)), tssTag: DEFAULT_TSS_TAG };
      await expect(svc.finalize(ref)).rejects.toMatchObject({ code: 'FORBIDDEN' }); // past the login, refused by authorization
      expect(tokens).toBe(1);
      offsetMs = 1000 * 1000; // the session (900 s) expired, the connection is still up
      await expect(svc.finalize(ref)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(tokens).toBe(2); // resume refused (expired) → a fresh ID token
    } finally {
      svc.close();
      await srv.close();
      await iss.close();
    }
  });
});

describe('the bus endpoint', () => {
  /** The HTTP status a WebSocket upgrade to `url` gets (101 when accepted). */
  const upgradeStatus = (url: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', (e) => (/Unexpected server response/.test(e.message) ? undefined : reject(e)));
    });

  it('upgrades only /v1/bus (else 404) and at most TKEY_RATE_LIMIT_IP per minute per client IP (else 429)', async () => {
    const iss = await testIssuer();
    const srv = await serviceServer({ oidcIssuers: [iss.config()], rateLimitIp: 2 });
    try {
      const ws = srv.url.replace('http:', 'ws:');
      expect(await upgradeStatus(`${ws}/v1/other`)).toBe(404);
      expect(await upgradeStatus(`${ws}/v1/bus`)).toBe(101);
      expect(await upgradeStatus(`${ws}/v1/bus`)).toBe(101);
      expect(await upgradeStatus(`${ws}/v1/bus`)).toBe(429);
    } finally {
      await srv.close();
      await iss.close();
    }
  });
});
