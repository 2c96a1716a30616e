/**
 * Issue 11 item 8, the load test (bounded): one co-signing server in its own process (embedded
 * store, durable sealed state, development issuer), DEVICES devices in this process — each its own
 * user, login, 2-of-2 account and WebSocket connection — fill their pools, then all sign
 * SIGNATURES_EACH pooled signatures concurrently. Zero errors allowed; every signature is checked
 * by OpenSSL (`openssl pkeyutl -verify` on the raw digest) against its account's key, and must
 * have used a pooled presignature.
 *
 * Size: 8 devices × 4 pooled signatures (32) by default, so `npm test` stays inside its time
 * budget on a 2-core machine (32 × 4 took 735 s at load 14 here: account creation and the
 * presignatures dominate, the signing phase itself 52 s). The size:
 * `TKEY_LOAD_DEVICES=32 TKEY_LOAD_SIGNATURES=20`.
 */
import { afterAll, expect, it } from 'vitest';
import { bytesToNumberBE, utf8ToBytes } from '../src/bytes.js';
import type { Signature } from '../src/client/signing.js';
import { verifyDigest } from './helpers/openssl-verify.js';
import { createDevices, presignAll, startServiceServer, type Device, type FleetServer } from './helpers/service-fleet.js';

const DEVICES = Number(process.env.TKEY_LOAD_DEVICES ?? 8);
const SIGNATURES_EACH = Number(process.env.TKEY_LOAD_SIGNATURES ?? 4);

let srv: FleetServer | undefined;
let devices: Device[] = [];
afterAll(() => {
  for (const d of devices) d.close();
  srv?.kill();
});

it(`${DEVICES} devices × ${SIGNATURES_EACH} pooled signatures against one server: zero errors, every signature verified by OpenSSL`, async () => {
  expect(Number.isInteger(SIGNATURES_EACH) && SIGNATURES_EACH >= 1).toBe(true);
  srv = await startServiceServer();
  devices = await createDevices(srv.url, DEVICES, 'load');
  await presignAll(devices, SIGNATURES_EACH);

  const errors: unknown[] = [];
  const signed: { d: Device; s: Signature }[] = [];
  const t0 = performance.now();
  await Promise.all(
    devices.map(async (d) => {
      for (let k = 0; k < SIGNATURES_EACH; k++) {
        try {
          signed.push({ d, s: await d.account.sign({ message: utf8ToBytes(`${d.sub} message ${k}`) }) });
        } catch (e) {
          errors.push(e);
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  console.log(`server-load: ${signed.length} pooled signatures by ${DEVICES} devices in ${ms.toFixed(0)} ms (${((signed.length * 1000) / ms).toFixed(0)}/s)`);

  expect(errors).toEqual([]);
  expect(signed).toHaveLength(DEVICES * SIGNATURES_EACH);
  for (const { d, s } of signed) {
    expect(s.presigned).toBe(true);
    expect(verifyDigest(s.digest, bytesToNumberBE(s.r), bytesToNumberBE(s.s), d.account.publicKey)).toBe(true);
  }
  // the verifier can say no: one signature checked under another account's key
  const [a, b] = signed.filter((x, i, all) => all.findIndex((y) => y.d === x.d) === i);
  expect(verifyDigest(a!.s.digest, bytesToNumberBE(a!.s.r), bytesToNumberBE(a!.s.s), b!.d.account.publicKey)).toBe(false);
  // every account's signatures are distinct (fresh presignatures: no nonce used twice)
  expect(new Set(signed.map(({ s }) => bytesToNumberBE(s.r))).size).toBe(signed.length);
}, 900_000);
