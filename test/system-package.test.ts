/** The skip rule for tests that need a Debian package: visible skip on a developer's machine, failure in CI. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { haveSystemPackage } from './helpers/system-package.js';

describe('haveSystemPackage', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    vi.restoreAllMocks();
  });
  it('present: runs', () => {
    expect(haveSystemPackage('chromium', true, '/usr/bin/chromium')).toBe(true);
  });
  it('missing outside CI: one "skipped: install X" line, and the test skips', () => {
    delete process.env.CI;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(haveSystemPackage('chromium', false, '/usr/bin/chromium')).toBe(false);
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0]![0])).toMatch(/^skipped: install chromium/);
  });
  it('missing with CI=true: a failure, never a skip', () => {
    process.env.CI = 'true';
    expect(() => haveSystemPackage('postgresql', false, 'initdb')).toThrow(/CI=true/);
  });
});
