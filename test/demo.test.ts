/**
 * Issue 6 item 4: the end-to-end demo (`npm start -- --json`) run as a child process in a temp
 * TKEY_DATA_DIR. Its stdout must be exactly one JSON object; every signature in it must verify
 * under `publicKey` (noble; node:crypto for the SHA-256 message), be over the hash of the message
 * it names, and recover `address`. TKEY_DEMO_TEST_PRIMES=1 (this test only) swaps the real safe
 * primes for the pregenerated public test primes to keep the run short.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { pointFromBytes } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { ethAddress, hashPersonalMessage, recoverAddress, verifyDigest } from '../src/signature/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'tkey-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function runDemo(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/client/demo/main.ts'), '--json'],
      { cwd: root, env: { ...process.env, TKEY_DATA_DIR: dir, TKEY_DEMO_TEST_PRIMES: '1' }, timeout: 170_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface DemoOutput {
  publicKey: string;
  address: string;
  signatures: { message: string; kind: string; messageHash: string; r: string; s: string; v: number; serviceFree: boolean }[];
  phases: { name: string; ms: number }[];
  server: { url: string; restarts: number };
}

describe('npm start -- --json', () => {
  it('runs the whole flow against the server process (HTTP metadata, WebSocket service, login, a server restart); every printed signature verifies and recovers the address', async () => {
    const dir = join(dataDir, 'run');
    const { code, stdout, stderr } = await runDemo(dir);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines, 'exactly one line (one JSON object) on stdout').toHaveLength(1);
    const out = JSON.parse(lines[0]!) as DemoOutput;
    expect(Object.keys(out).sort()).toEqual(['address', 'phases', 'publicKey', 'server', 'signatures']);
    expect(out.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.server.restarts).toBe(1);
    const pub = hexToBytes(out.publicKey);
    expect(pub).toHaveLength(33); // compressed
    expect(ethAddress(pub)).toBe(out.address);

    expect(out.signatures.length).toBe(5);
    // exactly one made without the service (device + recovery, the server process stopped), the last one
    expect(out.signatures.map((s) => s.serviceFree)).toEqual([false, false, false, false, true]);
    for (const sig of out.signatures) {
      const digest = hexToBytes(sig.messageHash.replace(/^0x/, ''));
      const r = BigInt(sig.r);
      const s = BigInt(sig.s);
      // the digest is the hash of the message it names
      const expected = sig.kind === 'personalMessage' ? hashPersonalMessage(sig.message) : sha256(utf8ToBytes(sig.message));
      expect(bytesToHex(digest), sig.message).toBe(bytesToHex(expected));
      expect(verifyDigest(digest, r, s, pub), `noble: ${sig.message}`).toBe(true);
      expect(recoverAddress(digest, r, s, sig.v), `recovers: ${sig.message}`).toBe(out.address);
      expect(verifyDigest(sha256(digest), r, s, pub)).toBe(false); // not a signature on anything else
      if (sig.kind === 'message') {
        const P = pointFromBytes(pub).toAffine();
        const b64 = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex').toString('base64url');
        const key = createPublicKey({ key: { kty: 'EC', crv: 'secp256k1', x: b64(P.x), y: b64(P.y) }, format: 'jwk' });
        const rs = Buffer.from(sig.r.slice(2) + sig.s.slice(2), 'hex');
        expect(nodeVerify('sha256', utf8ToBytes(sig.message), { key, dsaEncoding: 'ieee-p1363' }, rs), 'node:crypto').toBe(true);
      }
    }
    // signatures before and after the recovery, under the same key
    expect(out.signatures.some((s) => s.message.includes('after recovery and a server restart'))).toBe(true);

    const names = out.phases.map((p) => p.name);
    for (const want of ['prepare primes', 'log in', 'create 2-of-3', 'pooled presignature', 'add security-answers', 'lose the device', 'recover with the mnemonic', 'remove the lost device', 'restart the server process', 'sign again', 'old device share useless', 'user-only aux', 'stop the server process', 'sign without the service'])
      expect(names.some((n) => n.includes(want)), want).toBe(true);
    for (const p of out.phases) expect(Number.isSafeInteger(p.ms) && p.ms >= 0).toBe(true);

    // the embedded store: a fresh sub-directory of TKEY_DATA_DIR for this run
    expect(readdirSync(dir).filter((d) => d.startsWith('tss-demo-'))).toHaveLength(1);
  }, 180_000);
});
