/**
 * `npm start`: the tKey v2 end-to-end demo. The co-signing service runs in its own OS process
 * (`service-process.ts`, forked; linked over Node IPC with the canonical codec — `ipc-link.ts`),
 * the device in this one; the metadata lives in the embedded file store under `$TKEY_DATA_DIR`
 * (default `./.tkey-data`), a fresh sub-directory per run.
 *
 *   prepare primes (service ∥ device) → create 2-of-3 → sign → add a security-answers factor →
 *   lose the device → recover with the mnemonic → remove the lost device → sign again →
 *   same public key, the old device factor refused and its old share off the commitments.
 *
 * One progress line per phase with its milliseconds; `--json` prints exactly one JSON object
 * `{publicKey, address, signatures: [{message, messageHash, r, s, v}], phases: [{name, ms}]}` on
 * stdout and nothing else. Every signature is verified here (noble + address recovery; node:crypto
 * for the SHA-256 one) — any failure exits non-zero.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
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
import { FileStorage } from '../../storage/file-store.js';
import { FactorKey } from '../../tss/factor-key.js';
import { getTssShare, readTss } from '../../tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../../tss/tss-tag.js';
import { TssAccount } from '../account.js';
import type { ClientOptions } from '../core.js';
import type { Signature } from '../signing.js';
import { IpcServiceConnection, IpcTransport, processEndpoint, type IpcFrame } from './ipc-link.js';
import { Identity } from '../../bus/secure-channel.js';
import { connectLinkNode } from '../../bus/ws-node.js';
import { BusPartyTransport } from '../bus-transport.js';
import { connectService } from '../service-rpc.js';
import type { ServiceConnection } from '../service-api.js';
import type { PartyTransport } from '../transport.js';
import { demoAuxInput, TEST_PRIMES } from './primes.js';

const JSON_MODE = process.argv.includes('--json');
/** `--link ws` (default: the bus over WebSocket on loopback) or `--link ipc` (the demo's Node IPC link). */
const LINK = ((): 'ws' | 'ipc' => {
  const i = process.argv.indexOf('--link');
  const v = i >= 0 ? process.argv[i + 1] : (process.env.TKEY_DEMO_LINK ?? 'ws');
  if (v !== 'ws' && v !== 'ipc') throw new Error(`--link: expected ws or ipc, got ${String(v)}`);
  return v;
})();
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
}
const signatures: SignatureEntry[] = [];

/** Verify a signature the account returned, independently of the library's own checks; record it. */
function record(message: string, sig: Signature, publicKey: Uint8Array, address: string, sha256Message?: Uint8Array): void {
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
  signatures.push({ message, kind: sig.kind, messageHash: '0x' + bytesToHex(sig.digest), r: '0x' + bytesToHex(sig.r), s: '0x' + bytesToHex(sig.s), v: sig.v });
}

type Ready = { identityPub: Uint8Array; primesMs: number; url?: string; busPub?: Uint8Array };
function startService(metadataDir: string): { child: ChildProcess; ready: Promise<Ready> } {
  const entry = fileURLToPath(new URL('./service-process.ts', import.meta.url));
  const child = fork(entry, [metadataDir, LINK], {
    serialization: 'advanced',
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', JSON_MODE ? 'ignore' : 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
  const ready = new Promise<Ready>((res, rej) => {
    child.once('error', rej);
    child.once('exit', (code) => rej(new Error(`the service process exited (${code}) before it was ready`)));
    const onMsg = (m: unknown) => {
      const f = m as IpcFrame;
      if (f.t === 'ready') {
        child.off('message', onMsg);
        res({ identityPub: new Uint8Array(f.identityPub), primesMs: f.primesMs, ...(f.url ? { url: f.url } : {}), ...(f.busPub ? { busPub: new Uint8Array(f.busPub) } : {}) });
      }
    };
    child.on('message', onMsg);
  });
  return { child, ready };
}

async function main(): Promise<void> {
  const base = resolve(process.env.TKEY_DATA_DIR ?? './.tkey-data');
  const runDir = join(base, `tss-demo-${new Date().toISOString().replace(/[:.]/g, '-')}-${bytesToHex(cryptoRng.bytes(3))}`);
  const metadataDir = join(runDir, 'metadata');
  const storage = new FileStorage({ dir: metadataDir });
  log(`tkey-tss: tKey v2 end-to-end demo (service in its own process, device here; link: ${LINK === 'ws' ? 'the bus over WebSocket' : 'Node IPC'})`);
  log(`data directory: ${runDir}`);
  if (TEST_PRIMES) log('TKEY_DEMO_TEST_PRIMES=1: PUBLIC TEST PRIMES — for the demo test only, never for a real key');
  log('');

  const svc = startService(metadataDir);
  let exitCode = 1;
  let closeBus: () => void = () => undefined;
  try {
    // 1. real safe primes, service (its process) and device (here, two keys: this device and the recovered one) at once
    const { ready, auxDevice, auxRecovered } = await phase('prepare primes (service ∥ device, 3 Paillier keys)', async () => {
      const [ready, auxDevice, auxRecovered] = await Promise.all([svc.ready, demoAuxInput(1), demoAuxInput(2)]);
      return { ready, auxDevice, auxRecovered };
    });
    log(`      service process pid ${svc.child.pid}: its Paillier key took ${ready.primesMs} ms`);
    const { service, transport } = await phase(LINK === 'ws' ? 'connect to the service (bus: WebSocket + secure channel)' : 'connect to the service (Node IPC link)', async () => {
      if (LINK === 'ipc') {
        const link = processEndpoint(svc.child);
        return { service: new IpcServiceConnection(link, ready.identityPub) as ServiceConnection, transport: new IpcTransport(link) as PartyTransport };
      }
      const { link } = connectLinkNode(ready.url!, { identityKey: new Identity(cryptoRng.bytes(32)), serverPub: ready.busPub! });
      closeBus = () => link.close();
      const conn = await connectService(link);
      if (bytesToHex(conn.identityPub) !== bytesToHex(ready.identityPub)) throw new DemoCheckFailed('the bus service is not the forked service');
      return { service: conn, transport: new BusPartyTransport() as PartyTransport };
    });
    log(`      ${LINK === 'ws' ? `${ready.url}, service bus key ${short(bytesToHex(ready.busPub!))}` : 'process.send with canonical-codec bytes'}`);
    const postboxKey = cryptoRng.bytes(32); // stands in for the OAuth login's postbox key
    const opts: ClientOptions = { storage, postboxKey, service, transport, rng: cryptoRng };

    // 2. create
    const { account, deviceFactor, recoveryFactor } = await phase('create 2-of-3 account (keygen + aux)', () => TssAccount.create({ ...opts, aux: auxDevice }));
    const publicKey = account.publicKey;
    const address = ethAddress(publicKey);
    log(`      public key ${bytesToHex(publicKey)}`);
    log(`      address    ${address}`);
    log(`      factors    ${account.listFactors().map((f) => `${f.tssIndex}:${f.descriptions[0]?.module ?? f.type}`).join(', ')}  (1: the service)`);
    const mnemonic = recoveryFactor.toMnemonic();
    log(`      recovery mnemonic: ${mnemonic.split(' ').slice(0, 3).join(' ')} … (24 words)`);

    // 3. sign
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

    // 4. add a security-answers factor (a new index: refresh)
    const answer = 'the blue whale of 1997';
    await phase('add security-answers factor (index 4, refresh)', async () => {
      const { factorKey } = await account.securityAnswerFactor(answer);
      return account.addFactor({ factor: factorKey.pub(), tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'Your first pet?' } });
    });
    check(bytesToHex(account.publicKey) === bytesToHex(publicKey), 'public key unchanged');
    // kept ONLY to show below that it becomes useless: the share the device's factor unlocks now
    const tkRead = async () => {
      const tk = new ThresholdKey({ storage, postboxKey, rng: cryptoRng });
      await tk.initialize({ neverInitializeNewKey: true });
      return tk.getMetadata();
    };
    const oldDeviceShare = getTssShare(await tkRead(), DEFAULT_TSS_TAG, deviceFactor);

    // 5. lose the device
    await phase('lose the device (log out, shares wiped)', async () => account.logout());

    // 6. recover with the mnemonic (+ the service), aux for the recovery share
    const acc2 = await phase('recover with the mnemonic (login + aux)', async () => {
      const a = await TssAccount.login(opts, FactorKey.fromMnemonic(mnemonic));
      await a.setupAux(auxRecovered);
      return a;
    });
    check(bytesToHex(acc2.publicKey) === bytesToHex(publicKey), `recovered: same public key, signing with share ${acc2.signingIndices.join(', ')}`);
    const fromAnswer = await TssAccount.securityAnswerFactorKey(opts, answer);
    check(acc2.listFactors().some((f) => bytesToHex(f.factorPub) === bytesToHex(fromAnswer.pub())), 'the security answer re-derives a registered factor');

    // 7. remove the lost device (refresh: its share becomes useless)
    await phase('remove the lost device factor (refresh)', () => acc2.deleteFactor(deviceFactor.pub()));
    log(`      factors    ${acc2.listFactors().map((f) => `${f.tssIndex}:${f.descriptions[0]?.module ?? f.type}`).join(', ')}  (epoch ${acc2.tssNonce})`);

    // 8. sign again
    const m4 = 'signed after recovery, without the lost device';
    const s4 = await phase('sign again (EIP-191)', () => acc2.sign({ personalMessage: m4 }));
    record(m4, s4, publicKey, address);

    // 9. the key is unchanged and the old device share is useless
    await phase('check: same key, old device share useless', async () => {
      check(bytesToHex(acc2.publicKey) === bytesToHex(publicKey), 'public key unchanged after recovery and removal');
      let refused = '';
      try {
        await TssAccount.login(opts, deviceFactor);
      } catch (e) {
        refused = isTkeyTssError(e) ? e.code : String(e);
      }
      check(refused === 'SHARE_DELETED' || refused === 'FACTOR_UNKNOWN', `the lost device factor is refused (${refused || 'accepted!'})`);
      const now = readTss(await tkRead(), DEFAULT_TSS_TAG);
      check(!verifyShare(now.commitments, { x: BigInt(oldDeviceShare.index), y: oldDeviceShare.value }), `its old share (index ${oldDeviceShare.index}) is off the current commitments (epoch ${now.tssNonce})`);
    });

    const total = phases.reduce((a, p) => a + p.ms, 0);
    log('');
    log(`done: ${signatures.length} signatures, all verified; total ${total} ms`);
    if (JSON_MODE) process.stdout.write(JSON.stringify({ publicKey: bytesToHex(publicKey), address, signatures, phases }) + '\n');
    exitCode = 0;
  } finally {
    closeBus();
    if (svc.child.connected) {
      svc.child.send({ t: 'exit' } satisfies IpcFrame);
      svc.child.disconnect();
    }
    process.exitCode = exitCode;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof DemoCheckFailed ? e.message : e);
  process.exitCode = 1;
});
