/**
 * Tests that need a Debian package the machine may lack (Chromium, PostgreSQL): on a developer's
 * fresh machine they report one clear "skipped: install X" line and skip; with `CI=true` (`.ci/run`
 * sets it and installs the packages) a missing package is a failure, never a skip.
 */

/** True when the test may run. False (after printing the skip line) when `pkg` is missing outside CI; throws in CI. */
export function haveSystemPackage(pkg: string, present: boolean, what: string): boolean {
  if (present) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is missing (CI=true: .ci/run must install the Debian package ${pkg}; a skip is a failure here)`);
  console.log(`skipped: install ${pkg} (${what} is missing; apt-get install ${pkg})`);
  return false;
}
