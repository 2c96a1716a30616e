import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../test-vectors/runner.js';
import { SUITES } from '../test-vectors/suites/index.js';
import { tkeyTssSampleSuite } from '../test-vectors/suites/tkey-tss-sample.js';
import type { CheckResult } from '../test-vectors/suites/types.js';
import { samplePath } from './helpers/tss-fixtures.js';

const raw = readFileSync(samplePath(), 'utf8');
const fresh = (): Record<string, any> => JSON.parse(raw) as Record<string, any>;
const run = (doc: unknown): Promise<CheckResult[]> => tkeyTssSampleSuite.run(doc, 'sample');
const failed = (rs: CheckResult[]): string[] => rs.filter((r) => !r.ok).map((r) => r.id.replace('tkey-tss-sample/', ''));

describe('tkey-tss-sample conformance suite', () => {
  it('the committed copy is the published ground truth (sha256 recorded in test-vectors/README.md)', () => {
    const sha = createHash('sha256').update(raw).digest('hex');
    expect(sha).toBe('e58d38595bb02d035c916e7ad2ca6dd612489eefa44bed7c0373676163f6cc8e');
    expect(readFileSync(new URL('../test-vectors/README.md', import.meta.url), 'utf8')).toContain(sha);
  });

  it('every check passes on the sample, and the runner picks the suite by generator.script', async () => {
    const rs = await run(fresh());
    expect(failed(rs)).toEqual([]);
    expect(rs.length).toBeGreaterThanOrEqual(120);
    const ids = rs.map((r) => r.id);
    for (const want of ['events[2]/factorEncs/C/decrypts', 'events[3]/factorEncs/B/every-server-subset', 'accountIndex1/nonce', 'login/postbox+factor-C', 'storage[3]/deleted-factor-refused'])
      expect(ids).toContain(`tkey-tss-sample/${want}`);
    expect(SUITES.filter((s) => s.recognize?.(fresh())).map((s) => s.name)).toEqual(['tkey-tss-sample']);
    const report = await runConformance([samplePath().pathname]);
    expect(report.exitCode).toBe(0);
    expect(report.lines[report.lines.length - 1]).toBe(`${rs.length} passed, 0 failed`);
  });

  it('a changed share is caught by the decrypt, Feldman and interpolation checks', async () => {
    const d = fresh();
    const pf = d.events[3].perFactor[0];
    pf.tssShare = (BigInt('0x' + pf.tssShare) + 1n).toString(16);
    const f = failed(await run(d));
    expect(f).toEqual(expect.arrayContaining(['events[3]/factorEncs/B/decrypts', 'events[3]/factorEncs/B/on-commitments', 'events[3]/factorEncs/B/service-and-user-interpolate']));
  });

  it('a tampered serverEnc fails the every-subset check; a wrong commitment fails the share checks', async () => {
    const d = fresh();
    const key = Object.keys(d.events[3].factorEncs)[0]!;
    const se = d.events[3].factorEncs[key].serverEncs[2];
    se.mac = (se.mac[0] === '0' ? '1' : '0') + se.mac.slice(1);
    const d2 = fresh();
    d2.events[1].tssPolyCommits[1] = d2.events[2].tssPolyCommits[1];
    const f = failed(await run(d));
    expect(f.some((x) => x.startsWith('events[3]/factorEncs/') && x.endsWith('/every-server-subset'))).toBe(true);
    const f2 = failed(await run(d2));
    expect(f2).toEqual(expect.arrayContaining(['events[1]/factorEncs/A/decrypts', 'events[1]/server-share', 'events[1]/tss-nonce']));
  });

  it('a wrong salt, nonce or account key fails the account-index checks', async () => {
    const d = fresh();
    d.accountSalt = d.accountSalt.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'));
    expect(failed(await run(d))).toEqual(expect.arrayContaining(['accountSalt', 'accountIndex1/nonce', 'accountIndex1/public-key', 'accountIndex1/B-share']));
  });

  it('a changed final metadata fails the state, round-trip-derived and stored-record checks', async () => {
    const d = fresh();
    d.metadataJSON.tssNonces.default = 3;
    const f = failed(await run(d));
    expect(f).toEqual(expect.arrayContaining(['metadataJSON/tss-state', 'storage[0]/auth-metadata', 'storage[1]/auth-metadata']));
  });

  it('a changed stored value or a mislabelled factor key is caught', async () => {
    const d = fresh();
    d.storage[4].storedValue = d.storage[5].storedValue;
    const f = failed(await run(d));
    expect(f).toEqual(expect.arrayContaining(['storage[4]/decrypts-with-owner-key']));
    const d2 = fresh();
    d2.factorKeys.A = d2.factorKeys.B;
    expect(failed(await run(d2))).toEqual(expect.arrayContaining(['factorKeys/A/public-key', 'factorKeys/hashed-factor']));
  });

  it('a malformed file is a runner failure, not a crash', async () => {
    const d = fresh();
    delete d.events;
    await expect(run(d)).rejects.toThrow(/events/);
  });
});
