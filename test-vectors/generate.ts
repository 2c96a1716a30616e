/**
 * Vector generator: `tsx test-vectors/generate.ts [--check]`. Deterministic from one seed (the
 * ChaCha20 DRBG `seededRng`, forked per suite); writes `test-vectors/<suite>/*.json`, or with
 * `--check` only compares and exits 1 on drift. Peer-derived vectors are taken from the committed
 * copy of the tKey v1 sample (`interop/tkey-v1-sample.json`). Expected values are computed
 * independently of the function under test where one exists (f(at) by Horner, G·f(x) for public
 * shares, the peer's own output for peer vectors). Format: test-vectors/README.md.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { ecdhX, ecdsaSignDigest, getPublicKey, mulG, N, parseSignature, pointFromBytes, pointFromHex, pointToHex, pointToJSON, randomScalar, scalarToBytes, signatureToDer, type Point } from '../src/curve.js';
import { metadataDigest, signAuthMetadata, verifyAuthMetadata } from '../src/metadata/auth-metadata.js';
import { Metadata } from '../src/metadata/metadata.js';
import { stableStringify } from '../src/metadata/stable-stringify.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../src/ecies.js';
import { isTkeyTssError } from '../src/errors.js';
import { bytesToMnemonic, mnemonicToBytes } from '../src/mnemonic.js';
import { seededRng, type SeededRng } from '../src/rng.js';
import { commit, evaluate, lagrangeCoefficients, polyIdFromCommitments, polyIdListEntry, randomPolynomial } from '../src/shamir/index.js';
import { isObject } from './suites/util.js';
import { genBus } from './generate-bus.js';
import { genMetadataApi } from './gen/metadata-api.js';

export const GENERATOR_SCRIPT = 'test-vectors/generate.ts';
export const SEED = 'tkey-tss/conformance/v1';
export const VECTORS_DIR = dirname(fileURLToPath(import.meta.url));
export const SAMPLE_PATH = join(VECTORS_DIR, 'interop', 'tkey-v1-sample.json');
/** Suite folders this generator owns (every `*.json` in them is written by it). */
export const GENERATED_SUITES = ['ecies', 'shamir', 'polyid', 'mnemonic', 'metadata', 'bus', 'metadata-api'] as const;

type Vector = Record<string, unknown> & { id: string };
interface Doc {
  suite: string;
  version: 1;
  description: string;
  generator: { script: string; seed: string; source?: string };
  vectors: Vector[];
}

const hex64 = (n: bigint): string => n.toString(16).padStart(64, '0');
const SHORT_X = 1n << 248n;

function doc(suite: string, description: string, seedLabel: string, vectors: Vector[], source?: string): Doc {
  return { suite, version: 1, description, generator: { script: GENERATOR_SCRIPT, seed: `${SEED}/${seedLabel}`, ...(source ? { source } : {}) }, vectors };
}

function flipHexByte(hex: string, byteIndex: number): string {
  const b = hexToBytes(hex);
  b[byteIndex] = b[byteIndex]! ^ 0x01;
  return bytesToHex(b);
}

// ---------------------------------------------------------------- ecies

function genEcies(rng: SeededRng): Doc[] {
  const sk = randomScalar(rng);
  const skBytes = scalarToBytes(sk);
  const skHex = bytesToHex(skBytes);
  const pub = getPublicKey(skBytes, false);
  const pubHex = bytesToHex(pub);
  const xOf = (m: EncryptedMessage): bigint => ecdhX(sk, pointFromHex(m.ephemPublicKey));
  const decrypt: Vector[] = [];
  const add = (id: string, plaintext: Uint8Array, padX: boolean, wantShort: boolean | undefined): EncryptedMessage => {
    // draw encryptions until the ECDH x has the wanted length (x < 2^248 happens with p ≈ 1/256)
    for (let tries = 0; ; tries++) {
      if (tries > 100_000) throw new Error(`ecies generator: no ${wantShort ? 'short' : 'full'} x found`);
      const m = eciesEncryptJSON(pub, plaintext, { rng, padX });
      const shortX = xOf(m) < SHORT_X;
      if (wantShort !== undefined && shortX !== wantShort) continue;
      decrypt.push({ id, op: 'decrypt', privateKey: skHex, publicKey: pubHex, px: padX ? 'padded' : 'unpadded', shortX, plaintext: bytesToHex(plaintext), ciphertext: m });
      return m;
    }
  };
  const base = add('full-x-padded-32', rng.bytes(32), true, false);
  for (const len of [0, 1, 15, 16, 17, 100]) add(`full-x-padded-${len}`, rng.bytes(len), true, false);
  add('full-x-unpadded-32', rng.bytes(32), false, false);
  add('full-x-utf8-json', utf8ToBytes('{"share":"1","shareIndex":"2"}'), true, false);
  add('short-x-padded-32', rng.bytes(32), true, true);
  add('short-x-unpadded-32', rng.bytes(32), false, true);
  add('short-x-unpadded-48', rng.bytes(48), false, true);
  add('short-x-padded-5', rng.bytes(5), true, true);

  const wrong = bytesToHex(scalarToBytes(randomScalar(rng)));
  const other = eciesEncryptJSON(pub, rng.bytes(32), { rng });
  // an ephemeral key that is not on the curve: bump the last byte of y until decoding fails
  let offCurve = base.ephemPublicKey;
  for (let i = 1; ; i++) {
    const b = hexToBytes(base.ephemPublicKey);
    b[64] = (b[64]! + i) & 0xff;
    try {
      pointFromBytes(b);
    } catch (e) {
      if (isTkeyTssError(e, 'INVALID_POINT')) {
        offCurve = bytesToHex(b);
        break;
      }
      throw e;
    }
  }
  const neg = (id: string, error: string, note: string, ciphertext: EncryptedMessage, privateKey = skHex): Vector => ({ id, op: 'decrypt', note, privateKey, ciphertext, error });
  const invalid: Vector[] = [
    neg('tampered-mac', 'ECIES_MAC_MISMATCH', 'last bit of the mac flipped', { ...base, mac: flipHexByte(base.mac, 31) }),
    neg('tampered-mac-first-byte', 'ECIES_MAC_MISMATCH', 'first bit of the mac flipped', { ...base, mac: flipHexByte(base.mac, 0) }),
    neg('tampered-ciphertext', 'ECIES_MAC_MISMATCH', 'a bit of the first ciphertext block flipped', { ...base, ciphertext: flipHexByte(base.ciphertext, 3) }),
    neg('tampered-iv', 'ECIES_MAC_MISMATCH', 'a bit of the iv flipped', { ...base, iv: flipHexByte(base.iv, 7) }),
    neg('swapped-ephemeral-key', 'ECIES_MAC_MISMATCH', "another valid encryption's ephemeral key", { ...base, ephemPublicKey: other.ephemPublicKey }),
    neg('wrong-key', 'ECIES_MAC_MISMATCH', 'decrypted with a key that is not the recipient', base, wrong),
    neg('ephemeral-key-off-curve', 'INVALID_POINT', 'ephemPublicKey is not a curve point', { ...base, ephemPublicKey: offCurve }),
    neg('ciphertext-not-block-multiple', 'INVALID_LENGTH', 'ciphertext truncated by one byte', { ...base, ciphertext: base.ciphertext.slice(0, -2) }),
    neg('iv-15-bytes', 'INVALID_LENGTH', 'iv one byte short', { ...base, iv: base.iv.slice(0, 30) }),
    neg('mac-31-bytes', 'INVALID_LENGTH', 'mac one byte short', { ...base, mac: base.mac.slice(0, 62) }),
    neg('private-key-zero', 'INVALID_SCALAR', 'the private key is 0', base, '00'.repeat(32)),
    neg('private-key-order', 'INVALID_SCALAR', 'the private key is n', base, hex64(N)),
  ];
  return [
    doc('ecies', 'eccrypto-compatible ECIES: decrypt known ciphertexts (Px padded and unpadded, full and short x)', 'ecies', decrypt),
    doc('ecies', 'eccrypto-compatible ECIES: ciphertexts that must be refused, with the expected error code', 'ecies', invalid),
  ];
}

/** Ciphertexts written by the peer (eccrypto 5.0.4 inside @tkey/core 15.1.0) in the v1 sample. */
function genEciesPeer(sample: Record<string, unknown>): Doc {
  const key = sample.metadataKey as string;
  const keyBytes = hexToBytes(key.padStart(64, '0'));
  const pubHex = bytesToHex(getPublicKey(keyBytes, false));
  const mj = sample.metadataJSON as Record<string, unknown>;
  const gs = mj.generalStore as Record<string, Record<string, unknown>>;
  const ts = mj.tkeyStore as Record<string, EncryptedMessage[]>;
  const k = BigInt('0x' + key);
  const mk = (id: string, note: string, m: EncryptedMessage, plaintext: Uint8Array): Vector => {
    const shortX = ecdhX(k, pointFromHex(m.ephemPublicKey)) < SHORT_X;
    // eccrypto 5 strips leading zero bytes of Px; with a full-length x the two encodings coincide
    return { id, op: 'decrypt', note, privateKey: bytesToHex(keyBytes), publicKey: pubHex, px: 'unpadded', shortX, plaintext: bytesToHex(plaintext), ciphertext: m };
  };
  const seedMsg = (gs.ed25519Seed as Record<string, unknown>).message as EncryptedMessage;
  const sqMsg = ts.securityQuestions![0]!;
  // the ed25519 seed's plaintext is the seed itself (sample field ed25519Seed); the tkeyStore item's
  // plaintext is not in the sample, so its vector carries our decryption and is cross-checked by content
  const sqPlain = eciesDecryptJSON(keyBytes, sqMsg);
  const sq = JSON.parse(new TextDecoder().decode(sqPlain)) as Record<string, unknown>;
  const answer = (sample.securityQuestion as Record<string, unknown>).answer;
  if (sq.id !== 'answer' || sq.answer !== answer) throw new Error('ecies peer generator: tkeyStore item is not the stored answer');
  return doc(
    'ecies',
    'ECIES ciphertexts written by the peer (@tkey/core 15.1.0, eccrypto 5.0.4), from the tKey v1 sample, decrypted with the metadata key',
    'ecies-peer',
    [
      mk('peer-ed25519-seed', 'metadataJSON.generalStore.ed25519Seed.message; plaintext = sample.ed25519Seed', seedMsg, hexToBytes(sample.ed25519Seed as string)),
      mk('peer-tkeystore-security-answer', 'metadataJSON.tkeyStore.securityQuestions[0]; plaintext = stableStringify({answer, id:"answer"})', sqMsg, sqPlain),
    ],
    'interop/tkey-v1-sample.json',
  );
}

// ---------------------------------------------------------------- shamir

function genShamir(rng: SeededRng): Doc {
  const v: Vector[] = [];
  const sh = (x: bigint, y: bigint) => ({ x: hex64(x), y: hex64(y) });
  const cases: { name: string; degree: number; xs: bigint[] }[] = [
    { name: '2-of-2-small', degree: 1, xs: [1n, 2n] },
    { name: '2-of-3-service-device', degree: 1, xs: [1n, 2n, 3n] },
    { name: '2-of-n-random-indexes', degree: 1, xs: [1n, randomScalar(rng), randomScalar(rng)] },
    { name: '3-of-5', degree: 2, xs: [1n, 2n, 3n, 4n, 5n] },
    { name: '5-of-7-random', degree: 4, xs: Array.from({ length: 7 }, () => randomScalar(rng)) },
  ];
  for (const c of cases) {
    const f = randomPolynomial(rng, c.degree);
    const t = c.degree + 1;
    const shares = c.xs.map((x) => ({ x, y: evaluate(f, x) }));
    const subset = shares.slice(shares.length - t);
    const at = randomScalar(rng);
    v.push({ id: `${c.name}/interpolate-at-0`, op: 'interpolate', shares: subset.map((s) => sh(s.x, s.y)), at: hex64(0n), expected: hex64(f[0]!) });
    v.push({ id: `${c.name}/interpolate-at-x`, op: 'interpolate', shares: subset.map((s) => sh(s.x, s.y)), at: hex64(at), expected: hex64(evaluate(f, at)) });
    if (shares.length > t)
      v.push({ id: `${c.name}/interpolate-all-shares`, op: 'interpolate', shares: shares.map((s) => sh(s.x, s.y)), at: hex64(0n), expected: hex64(f[0]!) });
    for (const [label, point] of [
      ['0', 0n],
      ['x', at],
    ] as const) {
      const xs = subset.map((s) => s.x);
      const ls = lagrangeCoefficients(xs, point);
      // independent cross-check: Σ λᵢ·f(xᵢ) = f(point)
      const sum = ls.reduce((acc, l, i) => (acc + l * subset[i]!.y) % N, 0n);
      if (sum !== evaluate(f, point)) throw new Error('shamir generator: Lagrange cross-check failed');
      v.push({ id: `${c.name}/lagrange-at-${label}`, op: 'lagrange', xs: xs.map(hex64), at: hex64(point), expected: ls.map(hex64) });
    }
    const C = commit(f);
    const cHex = C.map((p) => pointToHex(p));
    const s0 = shares[0]!;
    v.push({ id: `${c.name}/public-share`, op: 'publicShare', commitments: cHex, x: hex64(s0.x), expected: pointToHex(mulG(s0.y)) });
    v.push({ id: `${c.name}/feldman-valid`, op: 'feldman', commitments: cHex, share: sh(s0.x, s0.y), valid: true });
    v.push({ id: `${c.name}/feldman-value-plus-one`, op: 'feldman', commitments: cHex, share: sh(s0.x, (s0.y + 1n) % N), valid: false });
    const s1 = shares[1]!;
    v.push({ id: `${c.name}/feldman-wrong-index`, op: 'feldman', commitments: cHex, share: sh(s1.x, s0.y), valid: false });
    v.push({ id: `${c.name}/feldman-commitment-missing`, op: 'feldman', commitments: cHex.slice(0, -1), share: sh(s0.x, s0.y), valid: false });
  }
  const f = randomPolynomial(rng, 1);
  const s = [1n, 2n].map((x) => sh(x, evaluate(f, x)));
  const C = commit(f).map((p) => pointToHex(p));
  v.push({ id: 'invalid/interpolate-duplicate-index', op: 'interpolate', shares: [s[0], s[0]], at: hex64(0n), error: 'DUPLICATE_INDEX' });
  v.push({ id: 'invalid/interpolate-duplicate-index-mod-n', op: 'interpolate', shares: [s[0], { x: hex64(1n + N), y: s[1]!.y }], at: hex64(0n), error: 'DUPLICATE_INDEX' });
  v.push({ id: 'invalid/interpolate-zero-index', op: 'interpolate', shares: [{ x: hex64(0n), y: s[0]!.y }, s[1]], at: hex64(0n), error: 'ZERO_INDEX' });
  v.push({ id: 'invalid/interpolate-no-shares', op: 'interpolate', shares: [], at: hex64(0n), error: 'NOT_ENOUGH_SHARES' });
  v.push({ id: 'invalid/lagrange-duplicate-index', op: 'lagrange', xs: [hex64(5n), hex64(7n), hex64(5n)], at: hex64(0n), error: 'DUPLICATE_INDEX' });
  v.push({ id: 'invalid/public-share-no-commitments', op: 'publicShare', commitments: [], x: hex64(1n), error: 'INVALID_ARGUMENT' });
  const badPoint = '02' + 'ff'.repeat(32); // x ≥ p: not a field element
  v.push({ id: 'invalid/feldman-commitment-off-curve', op: 'feldman', commitments: [C[0], badPoint], share: s[0], error: 'INVALID_POINT' });
  return doc('shamir', 'Shamir over the secp256k1 order: interpolation at 0 and at x, Lagrange coefficients, Feldman public shares and verification', 'shamir', v);
}

// ---------------------------------------------------------------- polyid

function polyVector(id: string, commitments: Point[], indices: bigint[], note?: string): Vector {
  const polyID = polyIdFromCommitments(commitments);
  return {
    id,
    op: 'polyID',
    ...(note ? { note } : {}),
    commitments: commitments.map(pointToJSON),
    indices: indices.map((i) => i.toString(16)),
    polyID,
    polyIDListEntry: polyIdListEntry(polyID, indices),
    pubKeyX: hex64(commitments[0]!.toAffine().x),
  };
}

function genPolyid(rng: SeededRng): Doc {
  const v: Vector[] = [];
  // an index whose unpadded hex has fewer than 64 digits, and a commitment with a short x or y
  let shortIndex = randomScalar(rng);
  while (shortIndex.toString(16).length === 64) shortIndex = randomScalar(rng);
  let f = randomPolynomial(rng, 1);
  while (commit(f).every((p) => p.toAffine().x.toString(16).length === 64 && p.toAffine().y.toString(16).length === 64)) f = randomPolynomial(rng, 1);
  v.push(polyVector('2-of-3-short-coordinates', commit(f), [shortIndex, 1n, randomScalar(rng)], 'a commitment coordinate and an index with fewer than 64 hex digits (unpadded in JSON and in the entry)'));
  v.push(polyVector('2-of-2', commit(randomPolynomial(rng, 1)), [randomScalar(rng), 1n]));
  v.push(polyVector('numeric-not-lexicographic-order', commit(randomPolynomial(rng, 1)), [0x10n, 2n, 1n, 0xan], 'indexes 1, 2, a, 10 sort numerically; a string sort would put 10 before 2'));
  v.push(polyVector('3-of-4', commit(randomPolynomial(rng, 2)), [4n, 3n, 2n, 1n]));
  const good = polyIdFromCommitments(commit(randomPolynomial(rng, 1)));
  v.push({ id: 'invalid/polyid-off-curve-chunk', op: 'parsePolyID', polyID: good.split('|')[0] + '|02' + 'ff'.repeat(32), error: 'INVALID_POINT' });
  v.push({ id: 'invalid/polyid-not-hex', op: 'parsePolyID', polyID: good.replace(/^02|^03/, 'zz'), error: 'INVALID_HEX' });
  v.push({ id: 'invalid/polyid-empty', op: 'parsePolyID', polyID: '', error: 'INVALID_ARGUMENT' });
  v.push({ id: 'invalid/polyid-truncated-chunk', op: 'parsePolyID', polyID: good.slice(0, -2), error: 'INVALID_LENGTH' });
  v.push({ id: 'invalid/entry-without-separator', op: 'parseEntry', polyIDListEntry: `${good}|1|2`, error: 'INVALID_JSON' });
  v.push({ id: 'invalid/entry-index-not-hex', op: 'parseEntry', polyIDListEntry: `${good}|0x0|1|xyz`, error: 'INVALID_HEX' });
  return doc('polyid', 'Polynomial IDs and polyIDList entries from Feldman commitments, as tKey writes them', 'polyid', v);
}

/** The sample's four polynomials and the peer's own polyIDList. */
function genPolyidPeer(sample: Record<string, unknown>): Doc {
  const polys = sample.polynomials as { polyID: string; shareIndexes: string[]; commitments: { x: string; y: string }[] }[];
  const list = (sample.metadataJSON as { polyIDList: string[] }).polyIDList;
  if (list.length !== polys.length) throw new Error('polyid peer generator: polyIDList and polynomials differ in length');
  const v: Vector[] = polys.map((p, i) => ({
    id: `peer-polynomial-${i}`,
    op: 'polyID',
    note: `sample.polynomials[${i}]; entry = sample.metadataJSON.polyIDList[${i}]`,
    commitments: p.commitments,
    indices: p.shareIndexes,
    polyID: p.polyID,
    polyIDListEntry: list[i]!,
    pubKeyX: (sample.metadataPub as { x: string }).x.padStart(64, '0'),
  }));
  return doc('polyid', 'Polynomial IDs and polyIDList entries written by the peer (@tkey/core 15.1.0), from the tKey v1 sample', 'polyid-peer', v, 'interop/tkey-v1-sample.json');
}

// ---------------------------------------------------------------- mnemonic

function genMnemonic(rng: SeededRng, sample: Record<string, unknown>): Doc[] {
  const v: Vector[] = [];
  const rt = (id: string, bytes: Uint8Array, note?: string): string => {
    const mnemonic = bytesToMnemonic(bytes);
    v.push({ id, op: 'roundTrip', ...(note ? { note } : {}), bytes: bytesToHex(bytes), mnemonic });
    return mnemonic;
  };
  rt('zero', new Uint8Array(32), 'all-zero entropy');
  rt('all-ff', new Uint8Array(32).fill(0xff));
  rt('leading-zero-bytes', Uint8Array.from([0, 0, ...rng.bytes(30)]), 'a share value below 2^240 still encodes as 32 bytes');
  rt('one', scalarToBytes(1n));
  rt('order-minus-one', scalarToBytes(N - 1n));
  const words = [rt('random-1', rng.bytes(32)), rt('random-2', rng.bytes(32)), rt('random-3', rng.bytes(32))];
  const w = words[0]!.split(' ');
  const bytes0 = v.find((x) => x.id === 'random-1')!.bytes as string;
  v.push({ id: 'normalised-case-and-whitespace', op: 'toBytes', note: 'upper case, tabs, newlines and repeated spaces are normalised', mnemonic: `  ${w.slice(0, 12).join('   ').toUpperCase()}\n${w.slice(12).join('\t')} `, bytes: bytes0 });
  const neg: Vector[] = [];
  // a checksum-breaking replacement of the last word that is still in the word list
  const last = w[23]!;
  let bad = '';
  for (const cand of ['abandon', 'ability', 'able', 'about', 'above']) {
    if (cand === last) continue;
    const m = [...w.slice(0, 23), cand].join(' ');
    try {
      // a replacement passes only if its checksum bits happen to match; keep the first that fails
      mnemonicToBytes(m);
    } catch (e) {
      if (isTkeyTssError(e, 'INVALID_MNEMONIC')) {
        bad = m;
        break;
      }
      throw e;
    }
  }
  if (!bad) throw new Error('mnemonic generator: no checksum-breaking word found');
  neg.push({ id: 'bad-checksum', op: 'toBytes', note: 'last word replaced by another list word', mnemonic: bad, error: 'INVALID_MNEMONIC' });
  neg.push({ id: 'unknown-word', op: 'toBytes', note: 'a word that is not in the English list', mnemonic: [...w.slice(0, 5), 'tkeytss', ...w.slice(6)].join(' '), error: 'INVALID_MNEMONIC' });
  neg.push({ id: '23-words', op: 'toBytes', mnemonic: w.slice(0, 23).join(' '), error: 'INVALID_MNEMONIC' });
  neg.push({ id: '12-words-valid-bip39', op: 'toBytes', note: 'a valid 12-word BIP39 phrase (128-bit) is not a share', mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about', error: 'INVALID_MNEMONIC' });
  neg.push({ id: 'empty', op: 'toBytes', mnemonic: '', error: 'INVALID_MNEMONIC' });
  neg.push({ id: 'bytes-31', op: 'toMnemonic', bytes: bytesToHex(rng.bytes(31)), error: 'INVALID_LENGTH' });
  neg.push({ id: 'bytes-33', op: 'toMnemonic', bytes: bytesToHex(rng.bytes(33)), error: 'INVALID_LENGTH' });
  neg.push({ id: 'bytes-16', op: 'toMnemonic', bytes: bytesToHex(rng.bytes(16)), error: 'INVALID_LENGTH' });
  const shares = sample.shares as { index: string; value: string; role: string; mnemonic: string }[];
  const peer: Vector[] = shares.map((s) => ({ id: `peer-share-${s.role}`, op: 'roundTrip', note: `sample.shares[index ${s.index}] (outputShare(…, "mnemonic"))`, bytes: s.value.padStart(64, '0'), mnemonic: s.mnemonic }));
  return [
    doc('mnemonic', '32-byte share value ⇄ 24-word BIP39 English mnemonic', 'mnemonic', v),
    doc('mnemonic', 'mnemonics and byte strings that must be refused', 'mnemonic', neg),
    doc('mnemonic', 'share mnemonics written by the peer (@tkey/share-serialization 15.1.0), from the tKey v1 sample', 'mnemonic-peer', peer, 'interop/tkey-v1-sample.json'),
  ];
}

// ---------------------------------------------------------------- metadata

/** The error code `fn` throws (generation-time assertion that a negative vector is what it claims). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isTkeyTssError(e)) return e.code;
    throw e;
  }
  throw new Error('generator: expected an error, the operation succeeded');
}

function genMetadata(rng: SeededRng, sample: Record<string, unknown>): Doc[] {
  const canonical = (m: unknown): string => stableStringify(m);
  const rt: Vector[] = [];
  const rtAdd = (id: string, metadata: unknown, note: string): void => {
    rt.push({ id, op: 'roundTrip', note, metadata, canonical: canonical(metadata) });
  };
  const peerFinal = sample.metadataJSON as Record<string, unknown>;
  const storage = sample.storage as { decrypted: Record<string, unknown> }[];
  const withEncShares = storage.find((r) => {
    const d = r.decrypted.data as { scopedStore?: { encryptedShares?: unknown } } | undefined;
    return d?.scopedStore?.encryptedShares !== undefined;
  });
  if (!withEncShares) throw new Error('metadata generator: no sample record with encryptedShares');
  rtAdd('peer-final-metadata', peerFinal, 'sample.metadataJSON (@tkey/core 15.1.0): security questions, descriptions, ed25519 seed, tkeyStore');
  rtAdd('peer-record-with-encrypted-shares', withEncShares.decrypted.data, 'a stored metadata of the sample whose scopedStore holds catch-up encryptedShares');
  const legacy = Object.fromEntries(Object.entries(peerFinal).filter(([k]) => !['tssKeyTypes', 'tssNonces', 'tssPolyCommits', 'factorPubs', 'factorEncs'].includes(k)));
  rtAdd('legacy-without-tss-fields', legacy, 'tkey ≤ v8 wrote none of the five tss* fields: they must stay absent');
  rtAdd('unknown-field-preserved', { ...peerFinal, zFutureField: { b: [1, 'x', null], a: true } }, 'an unknown top-level field is written back unchanged');

  // a generated account: new key, 2-of-3, with TSS fields whose points have short coordinates
  const km = randomScalar(rng);
  const m = Metadata.create(mulG(km));
  const f = randomPolynomial(rng, 1, km);
  const dev = randomScalar(rng);
  m.addPolynomial(commit(f), [1n, dev, randomScalar(rng)]);
  m.addShareDescription(dev.toString(16), JSON.stringify({ module: 'webStorage', userAgent: 'conformance', dateAdded: 1700000000000 }));
  m.nonce = 3;
  let shortPt = mulG(randomScalar(rng));
  while (shortPt.toAffine().y.toString(16).length === 64) shortPt = mulG(randomScalar(rng));
  const tssPub = mulG(randomScalar(rng));
  m.tssKeyTypes = { default: 'secp256k1' };
  m.tssNonces = { default: 1 };
  m.tssPolyCommits = { default: [tssPub, shortPt] };
  m.factorPubs = { default: [shortPt] };
  const generated = m.toJSON();
  rtAdd('generated-2-of-3-with-tss-fields', generated, 'Metadata.create + addPolynomial; tssPolyCommits/factorPubs contain a point whose y has fewer than 64 hex digits (written unpadded)');

  const negRt = (id: string, note: string, metadata: unknown): void => {
    rt.push({ id, op: 'roundTrip', note, metadata, error: errorOf(() => Metadata.fromJSON(metadata)) });
  };
  const otherPoly = polyIdFromCommitments(commit(randomPolynomial(rng, 1)));
  negRt('invalid/pubkey-not-a-point', 'pubKey x ≥ p', { ...generated, pubKey: '02' + 'ff'.repeat(32) });
  negRt('invalid/polyidlist-entry-without-separator', 'an entry without "|0x0|"', { ...generated, polyIDList: [generated.polyIDList[0]!.replace('|0x0|', '|')] });
  negRt('invalid/polynomial-of-another-key', 'a polynomial whose constant commitment is not pubKey', { ...generated, polyIDList: [`${otherPoly}|0x0|1|2`] });
  negRt('invalid/duplicate-polynomial', 'the same polynomial listed twice', { ...generated, polyIDList: [generated.polyIDList[0]!, generated.polyIDList[0]!] });
  negRt('invalid/nonce-negative', 'nonce −1', { ...generated, nonce: -1 });
  negRt('invalid/polyidlist-not-array', 'polyIDList is a string', { ...generated, polyIDList: generated.polyIDList[0] });
  for (const v of rt) if (v.error !== undefined && !['INVALID_POINT', 'INVALID_JSON'].includes(v.error as string)) throw new Error(`metadata generator: ${v.id} fails with ${String(v.error)}`);

  // AuthMetadata
  const auth: Vector[] = [];
  const pubHex = pointToHex(mulG(km));
  const signed = signAuthMetadata(Metadata.fromJSON(generated), km);
  const peerRecord = storage.filter((r) => typeof r.decrypted.sig === 'string').pop()!.decrypted as { data: unknown; sig: string };
  const peerPub = (sample.metadataPub as { compressed: string }).compressed;
  auth.push({ id: 'peer-signed', op: 'verify', note: 'the last AuthMetadata record of the tKey v1 sample', authMetadata: peerRecord, pubKey: peerPub });
  auth.push({ id: 'generated-signed', op: 'verify', authMetadata: signed, pubKey: pubHex });
  const { r, s } = parseSignature(hexToBytes(signed.sig), 'der');
  const highS = s > N / 2n ? s : N - s;
  auth.push({ id: 'generated-high-s', op: 'verify', note: 'the same signature with s replaced by the high one (elliptic does not normalise; must be accepted)', authMetadata: { data: signed.data, sig: bytesToHex(signatureToDer(r, highS)) }, pubKey: pubHex });
  const bad = (id: string, note: string, a: unknown): void => {
    auth.push({ id, op: 'verify', note, authMetadata: a, error: errorOf(() => verifyAuthMetadata(a)) });
  };
  bad('invalid/data-changed', 'data.nonce incremented after signing', { data: { ...signed.data, nonce: signed.data.nonce + 1 }, sig: signed.sig });
  bad('invalid/other-signer', 'a valid DER signature of the same digest by another key', { data: signed.data, sig: bytesToHex(ecdsaSignDigest(metadataDigest(signed.data), randomScalar(rng), { format: 'der', lowS: false })) });
  bad('invalid/pubkey-swapped', "data.pubKey replaced by another key's: the signature does not verify under it (checked before the document is interpreted)", { data: { ...signed.data, pubKey: pointToHex(mulG(randomScalar(rng))) }, sig: signed.sig });
  bad('invalid/sig-truncated', 'last DER byte dropped', { data: signed.data, sig: signed.sig.slice(0, -2) });
  bad('invalid/sig-compact', 'r‖s (64 bytes) instead of DER', { data: signed.data, sig: bytesToHex(concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32))) });
  bad('invalid/sig-not-hex', 'sig is not hex', { data: signed.data, sig: 'zz' + signed.sig.slice(2) });
  bad('invalid/sig-empty', 'sig is ""', { data: signed.data, sig: '' });
  bad('invalid/sig-missing', 'no sig field', { data: signed.data });
  for (const v of auth) if (v.error !== undefined && v.error !== 'METADATA_SIGNATURE_INVALID') throw new Error(`metadata generator: ${v.id} fails with ${String(v.error)}`);
  auth.push({ id: 'sign-generated', op: 'sign', note: 'RFC 6979, no low-S normalisation: deterministic', metadataKey: hex64(km), authMetadata: signed });
  auth.push({ id: 'sign-peer', op: 'sign', note: 'reproduces the peer (elliptic) signature of the last AuthMetadata record of the sample', metadataKey: (sample.metadataKey as string).padStart(64, '0'), authMetadata: peerRecord });
  return [
    doc('metadata', 'tKey v1 Metadata JSON: fromJSON → toJSON is byte-identical under stableStringify; malformed metadata is refused', 'metadata', rt),
    doc('metadata', 'AuthMetadata {data, sig}: verification (valid, high-S, invalid with METADATA_SIGNATURE_INVALID) and deterministic signing', 'metadata', auth),
  ];
}

// ---------------------------------------------------------------- files

export function loadSample(path = SAMPLE_PATH): Record<string, unknown> {
  const s = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!isObject(s)) throw new Error(`${path}: not a JSON object`);
  return s;
}

/** Serialisation of every vector file: 2-space JSON, trailing newline. */
export function serialize(d: unknown): string {
  return JSON.stringify(d, null, 2) + '\n';
}

/** Every generated file: path relative to test-vectors/ → contents. Pure and deterministic. */
export async function generateVectorFiles(): Promise<Map<string, string>> {
  const root = seededRng(SEED);
  const sample = loadSample();
  const files = new Map<string, string>();
  const put = (path: string, d: Doc): void => {
    files.set(path, serialize(d));
  };
  const [eciesDecrypt, eciesInvalid] = genEcies(root.fork('ecies'));
  put('ecies/decrypt.json', eciesDecrypt!);
  put('ecies/invalid.json', eciesInvalid!);
  put('ecies/peer-tkey-v1.json', genEciesPeer(sample));
  put('shamir/shamir.json', genShamir(root.fork('shamir')));
  put('polyid/polyid.json', genPolyid(root.fork('polyid')));
  put('polyid/peer-tkey-v1.json', genPolyidPeer(sample));
  const [mn, mnInvalid, mnPeer] = genMnemonic(root.fork('mnemonic'), sample);
  put('mnemonic/mnemonic.json', mn!);
  put('mnemonic/invalid.json', mnInvalid!);
  put('mnemonic/peer-tkey-v1.json', mnPeer!);
  const [mdRoundTrip, mdAuth] = genMetadata(root.fork('metadata'), sample);
  put('metadata/metadata-json.json', mdRoundTrip!);
  put('metadata/auth-metadata.json', mdAuth!);
  files.set('bus/channel.json', serialize(genBus(root.fork('bus'), { script: GENERATOR_SCRIPT, seed: `${SEED}/bus` })));
  files.set('metadata-api/requests.json', serialize(genMetadataApi(root.fork('metadata-api'), { script: GENERATOR_SCRIPT, seed: `${SEED}/metadata-api` })));
  return files;
}

/** Compare generated files with the tree: changed, missing, and stale files in generated suite folders. */
export function diffAgainstTree(files: Map<string, string>, dir = VECTORS_DIR): string[] {
  const problems: string[] = [];
  for (const [rel, text] of files) {
    const p = join(dir, rel);
    if (!existsSync(p)) problems.push(`missing: ${rel}`);
    else if (readFileSync(p, 'utf8') !== text) problems.push(`differs: ${rel}`);
  }
  const owned = new Set<string>([...files.keys()].map((rel) => rel.split('/')[0]!));
  for (const folder of owned) {
    const d = join(dir, folder);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.json') && !files.has(`${folder}/${f}`)) problems.push(`not generated (stale?): ${folder}/${f}`);
  }
  return problems;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generateVectorFiles();
  if (check) {
    const problems = diffAgainstTree(files);
    for (const p of problems) console.log(p);
    console.log(problems.length === 0 ? `${files.size} vector files up to date` : `${problems.length} differences`);
    process.exitCode = problems.length === 0 ? 0 : 1;
    return;
  }
  for (const [rel, text] of files) {
    const p = join(VECTORS_DIR, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    console.log(`wrote ${rel}`);
  }
  for (const p of diffAgainstTree(files)) console.log(p);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
