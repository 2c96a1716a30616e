import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { mulG, N, pointToBytes, pointToHex, scalarToBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { FactorKey, factorPubPoint } from '../src/tss/factor-key.js';
import {
  getTssSecurityQuestion, hardenedAnswerFactorKey, newAnswerKdf, recoverSecurityAnswerFactor, securityAnswerFactorKey, setTssSecurityQuestion,
  tssSecurityQuestionDomain, tssSecurityQuestionKdfDomain,
} from '../src/tss/security-answer-factor.js';
import { samplePath, tssFixture } from './helpers/tss-fixtures.js';

const sample = JSON.parse(readFileSync(samplePath(), 'utf8')) as { postboxKey: string; clientId: string; factorKeys: Record<string, string> };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `non-library error: ${String(e)}`;
  }
  return 'no error';
}
async function codeAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `non-library error: ${String(e)}`;
  }
  return 'no error';
}

describe('FactorKey sources', () => {
  it('random device keys: deterministic under a seed, distinct, public key = G·key', () => {
    const a = FactorKey.random(seededRng('tss-fk/1'));
    const b = FactorKey.random(seededRng('tss-fk/1'));
    const c = FactorKey.random(seededRng('tss-fk/2'));
    expect(bytesToHex(a.exportBytes())).toBe(bytesToHex(b.exportBytes()));
    expect(bytesToHex(a.exportBytes())).not.toBe(bytesToHex(c.exportBytes()));
    expect(bytesToHex(a.pub())).toBe(pointToHex(mulG(BigInt('0x' + bytesToHex(a.exportBytes())))));
    expect(a.pub(false).length).toBe(65);
  });

  it('dApp-provided keys are validated scalars', () => {
    expect(bytesToHex(FactorKey.fromBytes(scalarToBytes(5n)).pub())).toBe(pointToHex(mulG(5n)));
    expect(code(() => FactorKey.fromBytes(new Uint8Array(32)))).toBe('INVALID_SCALAR');
    expect(code(() => FactorKey.fromBytes(hexToBytes(N.toString(16))))).toBe('INVALID_SCALAR');
    expect(code(() => FactorKey.fromBytes(new Uint8Array(31).fill(1)))).toBe('INVALID_LENGTH');
    expect(code(() => FactorKey.fromBytes('00' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
  });

  it('24-word mnemonic round trip (the core kit keyToMnemonic: key bytes as BIP39 entropy)', () => {
    const k = FactorKey.random(seededRng('tss-fk/mn'));
    const words = k.toMnemonic();
    expect(words.split(' ')).toHaveLength(24);
    const back = FactorKey.fromMnemonic(`  ${words.toUpperCase()}  `);
    expect(bytesToHex(back.exportBytes())).toBe(bytesToHex(k.exportBytes()));
  });

  it('bad mnemonics are refused with INVALID_MNEMONIC', () => {
    const words = FactorKey.random(seededRng('tss-fk/mn2')).toMnemonic().split(' ');
    const swapped = [...words];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    const badChecksum = swapped[0] === swapped[1] ? [...words.slice(0, 23), words[23] === 'abandon' ? 'zoo' : 'abandon'] : swapped;
    expect(code(() => FactorKey.fromMnemonic(badChecksum.join(' ')))).toBe('INVALID_MNEMONIC');
    expect(code(() => FactorKey.fromMnemonic(words.slice(0, 23).join(' ')))).toBe('INVALID_MNEMONIC');
    expect(code(() => FactorKey.fromMnemonic([...words.slice(0, 23), 'notaword'].join(' ')))).toBe('INVALID_MNEMONIC');
    expect(code(() => FactorKey.fromMnemonic(''))).toBe('INVALID_MNEMONIC');
  });

  it('hashed factor = keccak256(utf8(postboxKeyHex64 + "_" + clientId)): the sample factor A', () => {
    const k = FactorKey.hashed(hexToBytes(sample.postboxKey), sample.clientId);
    expect(bytesToHex(k.exportBytes())).toBe(sample.factorKeys.A);
    expect(bytesToHex(k.exportBytes())).toBe(bytesToHex(keccak_256(utf8ToBytes(`${sample.postboxKey}_${sample.clientId}`))));
    expect(code(() => FactorKey.hashed(new Uint8Array(31), 'x'))).toBe('INVALID_LENGTH');
  });

  it('secrets are redacted in toJSON, toString and inspect; destroy() zeroes and disables', () => {
    const k = FactorKey.random(seededRng('tss-fk/redact'));
    const hex = bytesToHex(k.exportBytes());
    for (const s of [JSON.stringify(k), String(k), inspect(k), inspect({ nested: k })]) {
      expect(s).not.toContain(hex);
      expect(s).toContain('redacted');
    }
    expect(JSON.stringify(k)).toContain(k.pubHex);
    k.destroy();
    expect(code(() => k.exportBytes())).toBe('INVALID_ARGUMENT');
    expect(code(() => k.toMnemonic())).toBe('INVALID_ARGUMENT');
  });

  it('factorPubPoint validates SEC1 input', () => {
    expect(code(() => factorPubPoint(new Uint8Array(33)))).toBe('INVALID_POINT');
    expect(factorPubPoint(pointToBytes(mulG(7n), false)).equals(mulG(7n))).toBe(true);
  });
});

describe('security-answer factors', () => {
  const f = tssFixture('tss-fk/sq');
  const metadataPub = mulG(f.metadataKey);
  const pubHex = pointToHex(metadataPub, true);

  it('core-kit mode: keccak256(utf8(answer + compressedMetadataPubHex + tssTag)), computed independently', () => {
    const k = securityAnswerFactorKey('ultramarine blue', pointToBytes(metadataPub), 'default');
    expect(bytesToHex(k.exportBytes())).toBe(bytesToHex(keccak_256(utf8ToBytes('ultramarine blue' + pubHex + 'default'))));
    // the tag and the metadata key are bound in
    expect(bytesToHex(securityAnswerFactorKey('ultramarine blue', metadataPub, 'other').exportBytes())).not.toBe(bytesToHex(k.exportBytes()));
    expect(code(() => securityAnswerFactorKey('', metadataPub, 'default'))).toBe('INVALID_ARGUMENT');
    expect(code(() => securityAnswerFactorKey('x', metadataPub, ''))).toBe('INVALID_ARGUMENT');
  });

  it('hardened mode: salted scrypt, deterministic for fixed parameters, salt-dependent, bounded', async () => {
    const kdf = newAnswerKdf(seededRng('tss-fk/kdf'), { N: 2 ** 10, r: 8, p: 1 });
    expect(kdf.salt).toHaveLength(32);
    const a = await hardenedAnswerFactorKey('ultramarine blue', metadataPub, 'default', kdf);
    const b = await hardenedAnswerFactorKey('ultramarine blue', metadataPub, 'default', { ...kdf });
    const other = await hardenedAnswerFactorKey('ultramarine blue', metadataPub, 'default', newAnswerKdf(seededRng('tss-fk/kdf2'), { N: 2 ** 10 }));
    const core = securityAnswerFactorKey('ultramarine blue', metadataPub, 'default');
    expect(bytesToHex(a.exportBytes())).toBe(bytesToHex(b.exportBytes()));
    expect(bytesToHex(a.exportBytes())).not.toBe(bytesToHex(other.exportBytes()));
    expect(bytesToHex(a.exportBytes())).not.toBe(bytesToHex(core.exportBytes()));
    expect(await codeAsync(() => hardenedAnswerFactorKey('x', metadataPub, 'default', { ...kdf, N: 2 ** 4 }))).toBe('SECURITY_QUESTIONS_KDF_INVALID');
    expect(await codeAsync(() => hardenedAnswerFactorKey('x', metadataPub, 'default', { ...kdf, salt: '00' }))).toBe('SECURITY_QUESTIONS_KDF_INVALID');
  });

  it('recorded question: core-kit store shape, answer recovery, WRONG_ANSWER', async () => {
    const m = f.metadata();
    const key = securityAnswerFactorKey('ultramarine blue', m.pubKey, 'default');
    setTssSecurityQuestion(m, 'default', { tssIndex: 3, factorPub: key.pub(), question: 'colour?' });
    expect(m.getGeneralStoreDomain(tssSecurityQuestionDomain('default'))).toEqual({ shareIndex: '3', factorPublicKey: key.pubHex, question: 'colour?' });
    expect(m.getGeneralStoreDomain(tssSecurityQuestionKdfDomain('default'))).toBeUndefined();
    const got = await recoverSecurityAnswerFactor(m, 'default', 'ultramarine blue');
    expect(bytesToHex(got.exportBytes())).toBe(bytesToHex(key.exportBytes()));
    expect(await codeAsync(() => recoverSecurityAnswerFactor(m, 'default', 'navy'))).toBe('WRONG_ANSWER');
    expect(await codeAsync(() => recoverSecurityAnswerFactor(m, 'other', 'navy'))).toBe('SECURITY_QUESTIONS_MISSING');
  });

  it('hardened question: KDF bound to its factor; a stale KDF record is ignored', async () => {
    const m = f.metadata();
    const kdf = newAnswerKdf(seededRng('tss-fk/kdf3'), { N: 2 ** 10 });
    const key = await hardenedAnswerFactorKey('ultramarine blue', m.pubKey, 'default', kdf);
    setTssSecurityQuestion(m, 'default', { tssIndex: 3, factorPub: key.pubPoint, question: 'colour?', kdf });
    expect(getTssSecurityQuestion(m, 'default')?.kdf).toEqual(kdf);
    expect(bytesToHex((await recoverSecurityAnswerFactor(m, 'default', 'ultramarine blue')).exportBytes())).toBe(bytesToHex(key.exportBytes()));
    expect(await codeAsync(() => recoverSecurityAnswerFactor(m, 'default', 'navy'))).toBe('WRONG_ANSWER');
    // the peer rewrites its own domain for a new (core-kit) answer and leaves ours: ours no longer applies
    const peerKey = securityAnswerFactorKey('teal', m.pubKey, 'default');
    m.setGeneralStoreDomain(tssSecurityQuestionDomain('default'), { shareIndex: '3', factorPublicKey: peerKey.pubHex, question: 'colour?' });
    expect(getTssSecurityQuestion(m, 'default')?.kdf).toBeUndefined();
    expect(bytesToHex((await recoverSecurityAnswerFactor(m, 'default', 'teal')).exportBytes())).toBe(bytesToHex(peerKey.exportBytes()));
  });
});

describe('core-kit device factor entry', () => {
  it('key = metadata pub x as 64 hex; value = JSON.stringify({factorKey: hex64}); round trip', async () => {
    const { deviceFactorEntryKey, encodeDeviceFactor, decodeDeviceFactor } = await import('../src/tss/device-factor-store.js');
    const k = FactorKey.random(seededRng('tss-fk/device'));
    const v = encodeDeviceFactor(k);
    expect(v).toBe(`{"factorKey":"${bytesToHex(k.exportBytes())}"}`);
    expect(bytesToHex(decodeDeviceFactor(v).exportBytes())).toBe(bytesToHex(k.exportBytes()));
    expect(deviceFactorEntryKey(mulG(1n))).toBe(mulG(1n).toAffine().x.toString(16).padStart(64, '0'));
    expect(code(() => decodeDeviceFactor('{"factorKey":"xyz"}'))).toBe('INVALID_JSON');
    expect(code(() => decodeDeviceFactor('{"factorKey":"00"}'))).toBe('INVALID_SCALAR');
  });
});
