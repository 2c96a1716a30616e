import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { ecdsaSignDigest, getPublicKey, invN, modN, mulG, N, pointToBytes, pointX, randomScalar, scalarToBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { keccak256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import {
  ethAddress,
  fromCompact65,
  fromDer,
  HALF_N,
  hashPersonalMessage,
  hashTransaction,
  isLowS,
  normalizeLowS,
  recoverAddress,
  recoverPublicKey,
  recoveryIdFromPublicKey,
  signatureFromR,
  toChecksumAddress,
  toCompact65,
  toDer,
  toEthSignature,
  verifyDigest,
} from '../src/signature/index.js';
import { verifyDigest as opensslVerifyDigest } from './helpers/openssl-verify.js';

const rng = seededRng('test/signature-ecdsa');
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `not a library error: ${String(e)}`;
  }
  return undefined;
};

function nobleSign(digest: Uint8Array, x: bigint): { r: bigint; s: bigint; recovery: number } {
  const rec = ecdsaSignDigest(digest, x, { format: 'recovered' }); // v ‖ r ‖ s
  return { recovery: rec[0]!, r: BigInt('0x' + bytesToHex(rec.subarray(1, 33))), s: BigInt('0x' + bytesToHex(rec.subarray(33))) };
}

describe('Ethereum addresses', () => {
  it('private key 1 → 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf (compressed and uncompressed keys)', () => {
    const sk = scalarToBytes(1n);
    expect(ethAddress(getPublicKey(sk, true))).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
    expect(ethAddress(getPublicKey(sk, false))).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
  });
  it('EIP-55 checksums of the spec examples', () => {
    for (const a of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb'])
      expect(toChecksumAddress(a.toLowerCase())).toBe(a);
    expect(code(() => toChecksumAddress('0x1234'))).toBe('INVALID_ARGUMENT');
  });
});

describe('recovery', () => {
  it('EIP-155 example: signing hash of the spec transaction, (r, s, v=37) recovers the signer', () => {
    const unsigned = hexToBytes('ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080');
    const digest = hashTransaction(unsigned);
    expect(bytesToHex(digest)).toBe('daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
    const r = 18515461264373351373200002665853028612451056578545711640558177340181847433846n;
    const s = 46948507304638947509940763649030358759909902576025900602547168820602576006531n;
    const v = 37 - 35 - 2 * 1; // chainId 1
    const signer = ethAddress(getPublicKey(hexToBytes('46'.repeat(32))));
    expect(signer).toBe('0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F');
    expect(recoverAddress(digest, r, s, v)).toBe(signer);
    expect(recoverAddress(digest, r, s, v + 27)).toBe(signer);
    expect(recoverAddress(digest, r, s, 1 - v)).not.toBe(signer);
    // noble's RFC 6979 signature of the same hash is the spec's
    const mine = nobleSign(digest, 0x46n * (((1n << 256n) - 1n) / 0xffn));
    expect(mine).toEqual({ r, s, recovery: v });
  });
  it('recovers the address of noble signatures over personal messages; recovery id from the key', () => {
    for (let i = 0; i < 8; i++) {
      const x = randomScalar(rng);
      const pub = getPublicKey(scalarToBytes(x));
      const digest = hashPersonalMessage(`message ${i}`);
      const sig = nobleSign(digest, x);
      expect(recoveryIdFromPublicKey(digest, sig.r, sig.s, pub)).toBe(sig.recovery);
      expect(recoverAddress(digest, sig.r, sig.s, sig.recovery)).toBe(ethAddress(pub));
      expect(bytesToHex(recoverPublicKey(digest, sig.r, sig.s, sig.recovery))).toBe(bytesToHex(pub));
      expect(verifyDigest(digest, sig.r, sig.s, pub)).toBe(true);
      expect(opensslVerifyDigest(digest, sig.r, sig.s, pub)).toBe(true);
    }
  });
  it('recoveryIdFromPublicKey refuses a signature of another key', () => {
    const digest = keccak256(utf8ToBytes('x'));
    const sig = nobleSign(digest, 7n);
    expect(code(() => recoveryIdFromPublicKey(digest, sig.r, sig.s, getPublicKey(scalarToBytes(8n))))).toBe('INVALID_SIGNATURE');
  });
  it('signatureFromR: r = R.x, low-s, and the parity flip when s is negated (both branches)', () => {
    const x = randomScalar(rng);
    const pub = getPublicKey(scalarToBytes(x));
    let high = 0;
    let low = 0;
    for (let i = 0; i < 40 && (high < 3 || low < 3); i++) {
      const digest = keccak256(numberToBytesBE(BigInt(i), 8));
      const z = BigInt('0x' + bytesToHex(digest));
      const k = randomScalar(rng);
      const R = mulG(k);
      const r = modN(pointX(R));
      const s = modN(invN(k) * (z + r * x));
      if (s > HALF_N) high++;
      else low++;
      const sig = signatureFromR(pointToBytes(R), s);
      expect(sig.r).toBe(r);
      expect(isLowS(sig.s)).toBe(true);
      expect(sig.s).toBe(s > HALF_N ? N - s : s);
      expect(bytesToHex(recoverPublicKey(digest, sig.r, sig.s, sig.recovery))).toBe(bytesToHex(pub));
      expect(verifyDigest(digest, sig.r, sig.s, pub, { lowS: true })).toBe(true);
    }
    expect(high).toBeGreaterThan(0);
    expect(low).toBeGreaterThan(0);
  });
});

describe('low-s', () => {
  it('normalizeLowS negates a high s and flips the recovery parity; a low s is unchanged', () => {
    const x = randomScalar(rng);
    const pub = getPublicKey(scalarToBytes(x));
    const digest = keccak256(utf8ToBytes('low-s'));
    const sig = nobleSign(digest, x);
    expect(isLowS(sig.s)).toBe(true);
    const high = { r: sig.r, s: N - sig.s, recovery: sig.recovery ^ 1 };
    expect(isLowS(high.s)).toBe(false);
    // the high-s form is a valid signature with its own recovery id
    expect(bytesToHex(recoverPublicKey(digest, high.r, high.s, high.recovery))).toBe(bytesToHex(pub));
    expect(verifyDigest(digest, high.r, high.s, pub)).toBe(true);
    expect(verifyDigest(digest, high.r, high.s, pub, { lowS: true })).toBe(false);
    expect(normalizeLowS(high)).toEqual(sig);
    expect(normalizeLowS(sig)).toEqual(sig);
    expect(normalizeLowS({ r: sig.r, s: N - sig.s })).toEqual({ r: sig.r, s: sig.s });
    expect(code(() => normalizeLowS({ r: sig.r, s: 0n }))).toBe('INVALID_SIGNATURE');
  });
});

describe('encodings', () => {
  it('DER round trip, including r/s that need a sign byte and short ones; the same bytes as noble DER', () => {
    const cases: Array<[bigint, bigint]> = [
      [1n, 1n],
      [N - 1n, HALF_N],
      [0x80n, 0x7fn],
      [1n << 255n, (1n << 248n) - 1n],
    ];
    for (let i = 0; i < 20; i++) cases.push([randomScalar(rng), randomScalar(rng)]);
    for (const [r, s] of cases) {
      const der = toDer(r, s);
      expect(fromDer(der)).toEqual({ r, s });
    }
    const x = randomScalar(rng);
    const digest = keccak256(utf8ToBytes('der'));
    const sig = nobleSign(digest, x);
    expect(bytesToHex(toDer(sig.r, sig.s))).toBe(bytesToHex(ecdsaSignDigest(digest, x, { format: 'der' })));
  });
  it('malformed DER is refused with INVALID_SIGNATURE', () => {
    const good = toDer(0x1234n, 0x80n); // s = 0x80 needs a 0x00 sign byte
    expect(bytesToHex(good)).toBe('3008020212340202' + '0080');
    const bad = [
      '', // empty
      bytesToHex(good).slice(0, -2), // truncated
      bytesToHex(good) + '00', // trailing byte
      '31' + bytesToHex(good).slice(2), // not a SEQUENCE
      '30090203' + '0012340202' + '0080', // r with an unnecessary leading zero
      '3007020212340201' + '80', // s negative (high bit without 0x00)
      '308108020212340202' + '0080', // non-minimal long-form length
      '3007020212340202' + '0080', // sequence length too short
      '300702010002020080', // r = 0
      '3026022100' + N.toString(16) + '020101', // r = n
    ];
    for (const h of bad) expect(code(() => fromDer(hexToBytes(h))), h).toBe('INVALID_SIGNATURE');
    expect(code(() => toDer(0n, 1n))).toBe('INVALID_SIGNATURE');
    expect(code(() => toDer(1n, N))).toBe('INVALID_SIGNATURE');
  });
  it('65-byte forms: r‖s‖v with v ∈ {0,1} by default, 27/28 for Ethereum; both parse back', () => {
    const r = randomScalar(rng);
    const s = randomScalar(rng);
    const c = toCompact65(r, s, 1);
    expect(c.length).toBe(65);
    expect(bytesToHex(c)).toBe(bytesToHex(concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32), Uint8Array.of(1))));
    expect(toEthSignature(r, s, 1)[64]).toBe(28);
    expect(toEthSignature(r, s, 0)[64]).toBe(27);
    expect(fromCompact65(c)).toEqual({ r, s, recovery: 1 });
    expect(fromCompact65(toEthSignature(r, s, 0))).toEqual({ r, s, recovery: 0 });
    expect(code(() => toCompact65(r, s, 2))).toBe('INVALID_SIGNATURE');
    const badV = Uint8Array.from(c);
    badV[64] = 29;
    expect(code(() => fromCompact65(badV))).toBe('INVALID_SIGNATURE');
    expect(code(() => fromCompact65(c.subarray(0, 64)))).toBe('INVALID_LENGTH');
    const zeroR = Uint8Array.from(c);
    zeroR.fill(0, 0, 32);
    expect(code(() => fromCompact65(zeroR))).toBe('INVALID_SIGNATURE');
  });
});
