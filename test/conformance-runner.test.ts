import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '../test-vectors/runner.js';
import type { Suite } from '../test-vectors/suites/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VECTORS = join(ROOT, 'test-vectors');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const COUNTS = /^(\d+) passed, (\d+) failed$/;
const tmp = mkdtempSync(join(tmpdir(), 'conformance-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; lines: string[] } {
  const r = spawnSync(TSX, [join(VECTORS, 'conformance.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.trimEnd().split('\n') };
}

/** Flip the lowest bit of the hex digit at `at` of a string field. */
function flipHex(s: string, at: number): string {
  const d = parseInt(s[at]!, 16) ^ 1;
  return s.slice(0, at) + d.toString(16) + s.slice(at + 1);
}

function place(rel: string, content: unknown): string {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('conformance runner', () => {
  // the light suites here; `npm test` ends by replaying the whole tree (`tsx test-vectors/conformance.ts`),
  // so the protocol suites (minutes of CPU) are not replayed twice
  it('passes on the committed vectors; the report ends with the counts line, which sums the suite lines', async () => {
    const r = await runConformance(['ecies', 'shamir', 'polyid', 'mnemonic', 'metadata', 'interop/tkey-v1-sample.json'].map((d) => join(VECTORS, d)));
    expect(r.failed).toBe(0);
    expect(r.exitCode).toBe(0);
    const last = r.lines[r.lines.length - 1]!;
    const m = COUNTS.exec(last);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(r.passed);
    expect(Number(m![2])).toBe(0);
    const suiteLines = r.lines.filter((l) => /^[a-z0-9-]+: \d+ passed, \d+ failed$/.test(l));
    for (const s of ['ecies', 'shamir', 'polyid', 'mnemonic', 'metadata', 'tkey-v1-sample']) expect(suiteLines.some((l) => l.startsWith(`${s}: `))).toBe(true);
    const sum = suiteLines.reduce((acc, l) => acc + Number(/: (\d+) passed/.exec(l)![1]), 0);
    expect(sum).toBe(r.passed);
  });

  it('a vector with one flipped byte fails, and the CLI exits non-zero', () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'ecies', 'decrypt.json'), 'utf8'));
    doc.vectors[0].ciphertext.mac = flipHex(doc.vectors[0].ciphertext.mac, 10);
    const p = place('tampered/ecies/decrypt.json', JSON.stringify(doc, null, 2));
    const r = cli(p);
    expect(r.code).not.toBe(0);
    expect(r.lines.some((l) => l.startsWith('FAIL ') && l.includes(`ecies/${doc.vectors[0].id}`) && l.includes('ECIES_MAC_MISMATCH'))).toBe(true);
    expect(r.lines).toContain(`ecies: ${doc.vectors.length - 1} passed, 1 failed`);
    expect(r.lines[r.lines.length - 1]).toBe(`${doc.vectors.length - 1} passed, 1 failed`);
  });

  it('an expected-error vector whose operation succeeds fails', async () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'mnemonic', 'invalid.json'), 'utf8'));
    const good = JSON.parse(readFileSync(join(VECTORS, 'mnemonic', 'mnemonic.json'), 'utf8'));
    doc.vectors[0].mnemonic = good.vectors.find((v: { op: string }) => v.op === 'roundTrip').mnemonic;
    const r = await runConformance([place('neg/mnemonic/invalid.json', doc)]);
    expect(r.failed).toBe(1);
    expect(r.files[0]!.checks.find((c) => !c.ok)!.detail).toMatch(/succeeded/);
  });

  it('the tKey v1 sample with one flipped byte in a stored record fails that record and only it', async () => {
    const sample = JSON.parse(readFileSync(join(VECTORS, 'interop', 'tkey-v1-sample.json'), 'utf8'));
    const clean = await runConformance([join(VECTORS, 'interop', 'tkey-v1-sample.json')]);
    expect(clean.failed).toBe(0);
    const rec = sample.storage[2]; // the service-provider record
    rec.storedValue = rec.storedValue.slice(0, 40) + (rec.storedValue[40] === 'A' ? 'B' : 'A') + rec.storedValue.slice(41);
    const r = await runConformance([place('neg/interop/tkey-v1-sample.json', sample)]);
    expect(r.exitCode).toBe(1);
    expect(r.passed + r.failed).toBe(clean.passed);
    const failed = r.files.flatMap((f) => f.checks.filter((c) => !c.ok).map((c) => c.id));
    expect(failed).toContain('tkey-v1-sample/storage[2]/decrypts-with-owner-key');
    expect(failed).toContain('tkey-v1-sample/storage[2]/latest-write');
    expect(failed.every((id) => id.startsWith('tkey-v1-sample/storage[2]/') || id.startsWith('tkey-v1-sample/account/'))).toBe(true);
  });

  it('the tKey v1 sample with a wrong metadata key fails the interpolation and reconstruct checks', async () => {
    const sample = JSON.parse(readFileSync(join(VECTORS, 'interop', 'tkey-v1-sample.json'), 'utf8'));
    sample.metadataKey = flipHex(sample.metadataKey, 63);
    const r = await runConformance([place('neg2/interop/tkey-v1-sample.json', sample)]);
    const failed = new Set(r.files.flatMap((f) => f.checks.filter((c) => !c.ok).map((c) => c.id)));
    expect(failed.has('tkey-v1-sample/shares/interpolate-serviceProvider+device')).toBe(true);
    expect(failed.has('tkey-v1-sample/account/postbox+device-share')).toBe(true);
    expect(failed.has('tkey-v1-sample/metadataPub')).toBe(true);
  });

  it('an unknown suite is a failure and a non-zero exit', () => {
    const p = place('unknown/nosuch.json', { suite: 'no-such-suite', version: 1, description: 'x', generator: { script: 'x', seed: 'x' }, vectors: [{ id: 'a' }] });
    const r = cli(p);
    expect(r.code).not.toBe(0);
    expect(r.lines.some((l) => l.startsWith('FAIL ') && l.includes('unknown suite "no-such-suite"'))).toBe(true);
    expect(r.lines).toContain('runner: 0 passed, 1 failed');
    expect(r.lines[r.lines.length - 1]).toBe('0 passed, 1 failed');
  });

  it('files no suite takes: a failure inside suite folders, named on the command line, or shaped like vectors; listed otherwise', async () => {
    const dir = join(tmp, 'walk');
    cpSync(join(VECTORS, 'polyid', 'polyid.json'), join(dir, 'polyid', 'polyid.json'), { recursive: true });
    place('walk/ecies/notes.json', { hello: 1 }); // in a suite folder: must be a vector file
    place('walk/misc/vectors-like.json', { vectors: [] }); // shaped like a vector file
    place('walk/primes/p.json', { primes: ['0b'] }); // test data elsewhere: listed, not counted
    place('walk/broken/bad.json', '{not json'); // unreadable JSON is always a failure
    const r = await runConformance([dir], { cwd: tmp });
    expect(r.failed).toBe(3);
    expect(r.notVectorFiles.map((p) => p.slice(dir.length + 1))).toEqual(['primes/p.json']);
    expect(r.lines).toContain('not a vector file: walk/primes/p.json');
    const explicit = await runConformance([join(dir, 'primes', 'p.json')]);
    expect(explicit.failed).toBe(1);
    expect(explicit.exitCode).toBe(1);
  });

  it('a suite folder that disagrees with the suite field, a suite that throws or reports nothing: failures', async () => {
    const doc = JSON.parse(readFileSync(join(VECTORS, 'polyid', 'polyid.json'), 'utf8'));
    const r1 = await runConformance([place('mismatch/shamir/polyid.json', doc)]);
    expect(r1.failed).toBe(1);
    const thrower: Suite = { name: 'polyid', run: async () => { throw new Error('boom'); } };
    const silent: Suite = { name: 'polyid', run: async () => [] };
    const p = join(VECTORS, 'polyid', 'polyid.json');
    for (const s of [thrower, silent]) {
      const r = await runConformance([p], { suites: [s] });
      expect(r.failed).toBe(1);
      expect(r.exitCode).toBe(1);
    }
  });

  it('nothing checked is a non-zero exit; a missing path is a failure', async () => {
    mkdirSync(join(tmp, 'empty'), { recursive: true });
    const r = await runConformance([join(tmp, 'empty')]);
    expect(r.lines[r.lines.length - 1]).toBe('0 passed, 0 failed');
    expect(r.exitCode).toBe(1);
    const m = await runConformance([join(tmp, 'does-not-exist.json')]);
    expect(m.failed).toBe(1);
  });
});
