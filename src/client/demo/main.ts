/**
 * `npm start`: the tKey v2 end-to-end demo over the network. The server — `tkey-tss serve`, the
 * metadata service and the co-signing service in ONE process (`server-process.ts`) — runs as its
 * own OS process on the embedded store in the demo's data directory (`$TKEY_DATA_DIR`, default
 * `./.tkey-data`, a fresh sub-directory per run), with the development issuer on and a KEK
 * generated into that directory. The device (this process) logs in through the issuer, reads and
 * writes the metadata over HTTP (`HttpMetadataStorage`, every write signed by its owner key) and
 * runs its sessions with the service over WebSocket (`connectService`: the bus, secure channel,
 * login bound to the device key):
 *
 *   prepare primes (server ∥ device) → log in → create 2-of-3 → sign ×3 (one pooled) → add a
 *   security-answers factor → lose the device → recover with the mnemonic on a new device →
 *   remove the lost factor → restart the server process → sign again → same key, the old
 *   factor refused and its old share off the commitments → the new device gets its own device
 *   factor (index 5) and user-only aux {3, 5} → STOP the server process → device + recovery sign
 *   without the service (censorship resistance: two of the user's own shares, the key never
 *   assembled; the metadata from the device's cache, `offline-storage.ts`).
 *
 * One progress line per phase with its milliseconds; `--json` prints exactly one JSON object
 * `{publicKey, address, signatures: [{message, kind, messageHash, r, s, v, serviceFree}], phases:
 * [{name, ms}], server: {url, restarts}}` (`serviceFree`: made without the service, which was stopped) on stdout and nothing else. Every signature is verified here (noble +
 * address recovery; node:crypto for the SHA-256 one) — any failure exits non-zero.
 * @module
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, utf8ToBytes } from '../../bytes.js';
import { pointFromBytes } from '../../curve.js';
import { isTkeyTssError } from '../../errors.js';
import { ThresholdKey } from '../../metadata/threshold-key.js';
import { cryptoRng } from '../../rng.js';
import { verifyShare } from '../../shamir/index.js';
import { ethAddress, recoverAddress, verifyDigest } from '../../signature/index.js';
import { HttpMetadataStorage } from '../../storage/http-storage.js';
import { FactorKey } from '../../tss/factor-key.js';
import { getTssShare, readTss } from '../../tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../../tss/tss-tag.js';
import { TssAccount } from '../account.js';
import type { ClientOptions } from '../core.js';
import { connectService, type ServiceClient } from '../service-client.js';
import type { Signature } from '../signing.js';
import { demoAuxInput, TEST_PRIMES } from './primes.js';
import { DemoServer } from './server-process.js';
import { OfflineCacheStorage } from './offline-storage.js';
import { createNodePartyHost } from '../../../workers/node.js';
import { WorkerPartyTransport } from '../../../workers/transport.js';

const JSON_MODE = process.argv.includes('--json');
const log = (s = ''): void => {
  if (!JSON_MODE) console.log(s);
};
const short = (hex: string): string => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

class DemoCheckFailed extends Error {}
function check(ok: boolean, what: string): void {
  if (!ok) throw new DemoCheckFailed(`check failed: ${what}`);
  log(`      ✓ ${what}`);
}

const phases: { name: string; ms: number }[] = [];
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  const ms = Math.round(performance.now() - t0);
  phases.push({ name, ms });
  log(`[${String(phases.length).padStart(2)}] ${name.padEnd(44, ' ')} ${String(ms).padStart(6)} ms`);
  return out;
}

interface SignatureEntry {
  message: string;
  kind: string;
  messageHash: string;
  r: string;
  s: string;
  v: number;
  serviceFree: boolean;
}
const signatures: SignatureEntry[] = [];

/** Verify a signature the account returned, independently of the library's own checks; record it. */
function record(message: string, sig: Signature, publicKey: Uint8Array, address: string, sha256Message?: Uint8Array, serviceFree = false): void {
  const r = BigInt('0x' + bytesToHex(sig.r));
  const s = BigInt('0x' + bytesToHex(sig.s));
  check(bytesToHex(sig.publicKey) === bytesToHex(publicKey), `signed under the account key (${short(bytesToHex(publicKey))})`);
  check(verifyDigest(sig.digest, r, s, publicKey), `noble verifies (r, s) on ${short(bytesToHex(sig.digest))}`);
  check(recoverAddress(sig.digest, r, s, sig.v) === address, `the address recovers from (r, s, v = ${sig.v})`);
  if (sha256Message) {
    const P = pointFromBytes(publicKey).toAffine();
    const b64 = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex').toString('base64url');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64(P.x), y: b64(P.y) }, format: 'jwk' });
    check(nodeVerify('sha256', sha256Message, { key, dsaEncoding: 'ieee-p1363' }, sig.signature), 'node:crypto (OpenSSL) verifies the SHA-256 message');
  }
  signatures.push({ message, kind: sig.kind, messageHash: '0x' + bytesToHex(sig.digest), r: '0x' + bytesToHex(sig.r), s: '0x' + bytesToHex(sig.s), v: sig.v, serviceFree });
}

async function main(): Promise<void> {
  const base = resolve(process.env.TKEY_DATA_DIR ?? './.tkey-data');
  const runDir = join(base, `tss-demo-${new Date().toISOString().replace(/[:.]/g, '-')}-${bytesToHex(cryptoRng.bytes(3))}`);
  // the demo test's public test primes for the service (never for a real key), else generated by the server at its first start
  const primesFile = TEST_PRIMES ? fileURLToPath(new URL('../../../test-vectors/primes/safe-primes-1024.json', import.meta.url)) : undefined;
  const server = new DemoServer({ dir: join(runDir, 'server'), ...(primesFile ? { primesFile } : {}) });
  log('tkey-tss: tKey v2 end-to-end demo over the network (the server in its own process, the device here)');
  log(`data directory: ${runDir}`);
  if (TEST_PRIMES) log('TKEY_DEMO_TEST_PRIMES=1: PUBLIC TEST PRIMES — for the demo test only, never for a real key');
  log('');

  let exitCode = 1;
  const clients: ServiceClient[] = [];
  try {
    // 1. the server process (its Paillier key is made at its first start) ∥ the device's two Paillier keys
    const { auxDevice, auxRecovered, auxNewDevice } = await phase('prepare primes (server start ∥ device, 4 Paillier keys)', async () => {
      const [, auxDevice, auxRecovered, auxNewDevice] = await Promise.all([server.start(), demoAuxInput(1), demoAuxInput(2), demoAuxInput(3)]);
      return { auxDevice, auxRecovered, auxNewDevice };
    });
    log(`      server pid ${server.pid}: ${server.url} (metadata over HTTP, co-signing service over WebSocket ${server.url.replace(/^http/, 'ws')}/v1/bus)`);
    log(`      web wallet (development mode): ${server.url}/wallet/ while this runs, or \`npm run demo:web\` for one that stays up`);

    const sub = `demo-user-${bytesToHex(cryptoRng.bytes(4))}`; // the user's login subject at the (development) OpenID issuer
    const storage = new HttpMetadataStorage({ url: server.url });
    const login = (): Promise<ServiceClient> =>
      connectService(server.url, { getIdToken: ({ nonce }) => server.idToken(sub, nonce) }).then((c) => {
        clients.push(c);
        return c;
      });
    const svc = await phase('log in (development issuer → service session bound to the device key)', login);
    log(`      subject ${svc.subject.sub} at ${svc.subject.iss}`);
    const postboxKey = cryptoRng.bytes(32); // stands in for the OAuth login's postbox key
    const opts: ClientOptions = { storage, postboxKey, service: svc, transport: svc.partyTransport, rng: cryptoRng };

    // 2. create
    const { account, deviceFactor, recoveryFactor } = await phase('create 2-of-3 account (keygen + aux)', () => TssAccount.create({ ...opts, aux: auxDevice }));
    const publicKey = account.publicKey;
    const address = ethAddress(publicKey);
    log(`      public key ${bytesToHex(publicKey)}`);
    log(`      address    ${address}`);
    log(`      factors    ${account.listFactors().map((f) => `${f.tssIndex}:${f.descriptions[0]?.module ?? f.type}`).join(', ')}  (1: the service)`);
    const mnemonic = recoveryFactor.toMnemonic();
    log(`      recovery mnemonic: ${mnemonic.split(' ').slice(0, 3).join(' ')} … (24 words)`);

    // 3. sign ×3, one with a pooled presignature
    const m1 = 'hello from tkey-tss (EIP-191)';
    const s1 = await phase('sign (EIP-191 personal message)', () => account.sign({ personalMessage: m1 }));
    record(m1, s1, publicKey, address);
    const m2 = 'a plain message, SHA-256';
    const s2 = await phase('sign (SHA-256 message)', () => account.sign({ message: utf8ToBytes(m2), hash: 'sha256' }));
    record(m2, s2, publicKey, address, utf8ToBytes(m2));
    await phase('presign ×1 into the pool', () => account.presign(1));
    const m3 = 'signed with a pooled presignature';
    const s3 = await phase('sign (EIP-191, pooled presignature)', () => account.sign({ personalMessage: m3 }));
    check(s3.presigned, 'the pooled presignature was used (one online round)');
    record(m3, s3, publicKey, address);

    // 4. add a security-answers factor (a new index: refresh); the factor record is signed by its key
    const answer = 'the blue whale of 1997';
    await phase('add security-answers factor (index 4, refresh)', async () => {
      const { factorKey } = await account.securityAnswerFactor(answer);
      return account.addFactor({ factor: factorKey, tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'Your first pet?' } });
    });
    check(bytesToHex(account.publicKey) === bytesToHex(publicKey), 'public key unchanged');
    // kept ONLY to show below that it becomes useless: the share the device's factor unlocks now
    const tkRead = async () => {
      const tk = new ThresholdKey({ storage, postboxKey, rng: cryptoRng });
      await tk.initialize({ neverInitializeNewKey: true });
      return tk.getMetadata();
    };
    const oldDeviceShare = getTssShare(await tkRead(), DEFAULT_TSS_TAG, deviceFactor);

    // 5. lose the device: its shares wiped, its connection gone
    await phase('lose the device (log out, shares wiped, disconnected)', async () => {
      account.logout();
      svc.close();
    });

    // 6. a new device: log in again (same user, a new device key), recover with the mnemonic, aux for the recovery share
    const { acc2, svc2 } = await phase('recover with the mnemonic on a new device (login + aux)', async () => {
      const svc2 = await login();
      const a = await TssAccount.login({ ...opts, service: svc2, transport: svc2.partyTransport }, FactorKey.fromMnemonic(mnemonic));
      await a.setupAux(auxRecovered);
      return { acc2: a, svc2 };
    });
    const opts2: ClientOptions = { ...opts, service: svc2, transport: svc2.partyTransport };
    check(bytesToHex(acc2.publicKey) === bytesToHex(publicKey), `recovered: same public key, signing with share ${acc2.signingIndices.join(', ')}`);
    const fromAnswer = await TssAccount.securityAnswerFactorKey(opts2, answer);
    check(acc2.listFactors().some((f) => bytesToHex(f.factorPub) === bytesToHex(fromAnswer.pub())), 'the security answer re-derives a registered factor');

    // 7. remove the lost device (refresh: its share becomes useless)
    await phase('remove the lost device factor (refresh)', () => acc2.deleteFactor(deviceFactor.pub()));
    log(`      factors    ${acc2.listFactors().map((f) => `${f.tssIndex}:${f.descriptions[0]?.module ?? f.type}`).join(', ')}  (epoch ${acc2.tssNonce})`);

    // 8. restart the server process: every share, key and binding is durable (sealed under the KEK)
    await phase('restart the server process (SIGTERM, start on the same data)', async () => {
      const before = server.pid;
      await server.restart();
      check(server.pid !== before, `a new server process (pid ${before} → ${server.pid})`);
    });

    // 9. sign again (the connection re-dials and resumes its service session)
    const m4 = 'signed after recovery and a server restart, without the lost device';
    const s4 = await phase('sign again (EIP-191, after the restart)', () => acc2.sign({ personalMessage: m4 }));
    record(m4, s4, publicKey, address);

    // 10. the key is unchanged and the old device share is useless
    await phase('check: same key, old device share useless', async () => {
      check(bytesToHex(acc2.publicKey) === bytesToHex(publicKey), 'public key unchanged after recovery, removal and restart');
      let refused = '';
      try {
        await TssAccount.login(opts2, deviceFactor);
      } catch (e) {
        refused = isTkeyTssError(e) ? e.code : String(e);
      }
      check(refused === 'SHARE_DELETED' || refused === 'FACTOR_UNKNOWN', `the lost device factor is refused (${refused || 'accepted!'})`);
      const now = readTss(await tkRead(), DEFAULT_TSS_TAG);
      check(!verifyShare(now.commitments, { x: BigInt(oldDeviceShare.index), y: oldDeviceShare.value }), `its old share (index ${oldDeviceShare.index}) is off the current commitments (epoch ${now.tssNonce})`);
    });

    // 11. the new device gets its own device factor (a new index: refresh) and, once, user-only aux
    //     for {recovery 3, device 5} sealed to their factors; it reads the metadata through its cache
    const cache = new OfflineCacheStorage(storage);
    const newDeviceFactor = FactorKey.random(cryptoRng);
    const acc3 = await phase('new device factor (index 5) + user-only aux {3, 5}', async () => {
      // each of the device's two parties works in its own worker thread (user-only aux, presign, sign)
      const [, hosts] = await Promise.all([
        acc2.addFactor({ factor: newDeviceFactor, tssIndex: 5, module: 'deviceShare' }),
        Promise.all([createNodePartyHost({ unrefWhenIdle: true }), createNodePartyHost({ unrefWhenIdle: true })]),
      ]);
      const a = await TssAccount.login({ ...opts2, storage: cache, localTransport: new WorkerPartyTransport(hosts) }, newDeviceFactor);
      await a.unlockFactor(FactorKey.fromMnemonic(mnemonic));
      await a.setupUserAux([auxRecovered, auxNewDevice], { indices: [3, 5] });
      return a;
    });
    check(bytesToHex(acc3.publicKey) === bytesToHex(publicKey) && acc3.heldIndices.join() === '3,5', 'the new device holds shares 3 (recovery) and 5 (device) of the same key');

    // 12. stop the server process; device + recovery sign without the service
    await phase('stop the server process (metadata + co-signing service)', async () => {
      await server.stop();
      cache.offline = true;
      check(await fetch(server.url).then(() => false, () => true), `the server is down (${server.url} refuses connections)`);
    });
    const m5 = 'signed by device + recovery without the service (server stopped)';
    const s5 = await phase('sign without the service (device + recovery, server stopped)', () => acc3.sign({ personalMessage: m5 }, { signers: [3, 5] }));
    record(m5, s5, publicKey, address, undefined, true);

    const total = phases.reduce((a, p) => a + p.ms, 0);
    log('');
    log(`done: ${signatures.length} signatures (${signatures.filter((x) => x.serviceFree).length} without the service), all verified; total ${total} ms; server ${server.url}, restarted ${server.restarts}×`);
    if (JSON_MODE) process.stdout.write(JSON.stringify({ publicKey: bytesToHex(publicKey), address, signatures, phases, server: { url: server.url, restarts: server.restarts } }) + '\n');
    exitCode = 0;
  } finally {
    for (const c of clients) c.close();
    await server.stop().catch(() => undefined);
    process.exitCode = exitCode;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof DemoCheckFailed ? e.message : e);
  process.exitCode = 1;
});
