/**
 * The conformance runner's engine (the CLI is `conformance.ts`): collect vector files, hand each
 * to its suite, count one result per check, and format the report.
 *
 * Which JSON files are vector files (test-vectors/README.md, "Running"):
 * - a file named on the command line always is;
 * - a file reached by walking a directory is one if it sits in a *suite folder* (its parent folder
 *   is named after a registered suite, or `interop`), or has a top-level `suite` or `vectors`
 *   field, or a suite's `recognize` accepts it;
 * - any other JSON file met while walking (e.g. pregenerated primes under `test-vectors/primes/`)
 *   is not a vector file: it is listed in the report as `not a vector file: <path>`, never counted
 *   and never silently dropped.
 * A vector file that no suite takes, that does not parse, whose suite throws or reports no check at
 * all is a failure of the pseudo-suite `runner`.
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { SUITES } from './suites/index.js';
import type { CheckResult, Suite } from './suites/types.js';
import { describeError, isObject } from './suites/util.js';

/** Folders whose JSON files must all be vector files besides the suite folders. */
export const EXTRA_VECTOR_FOLDERS: readonly string[] = ['interop'];
/** Name under which the runner reports its own failures (unreadable or unaccepted files…). */
export const RUNNER_SUITE = 'runner';

export interface FileReport {
  path: string;
  suite: string;
  checks: CheckResult[];
}

export interface RunReport {
  files: FileReport[];
  /** JSON files met while walking that are not vector files (listed, not counted). */
  notVectorFiles: string[];
  passed: number;
  failed: number;
  /** The printed report, one entry per line; the last one is `N passed, N failed`. */
  lines: string[];
  exitCode: number;
}

export interface RunOptions {
  suites?: readonly Suite[];
  /** List every check, not only the failed ones. */
  verbose?: boolean;
  /** Paths in the report are relative to this directory (default: process.cwd()). */
  cwd?: string;
}

interface Candidate {
  path: string;
  explicit: boolean;
}

function walk(dir: string, out: Candidate[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith('.json')) out.push({ path: p, explicit: false });
  }
}

/** The counts line, exactly as the report ends. */
export function countsLine(passed: number, failed: number): string {
  return `${passed} passed, ${failed} failed`;
}

export async function runConformance(targets: readonly string[], opts: RunOptions = {}): Promise<RunReport> {
  const suites = opts.suites ?? SUITES;
  const cwd = opts.cwd ?? process.cwd();
  const show = (p: string): string => relative(cwd, p) || p;
  const byName = new Map(suites.map((s) => [s.name, s] as const));
  const vectorFolders = new Set([...suites.map((s) => s.name), ...EXTRA_VECTOR_FOLDERS]);

  const files: FileReport[] = [];
  const notVectorFiles: string[] = [];
  const runnerFail = (path: string, detail: string): void => {
    files.push({ path, suite: RUNNER_SUITE, checks: [{ id: `${RUNNER_SUITE}/${basename(path)}`, ok: false, detail }] });
  };

  const candidates: Candidate[] = [];
  for (const t of targets) {
    const p = resolve(cwd, t);
    let st;
    try {
      st = statSync(p);
    } catch {
      runnerFail(p, 'no such file or directory');
      continue;
    }
    if (st.isDirectory()) walk(p, candidates);
    else candidates.push({ path: p, explicit: true });
  }

  for (const { path, explicit } of candidates) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      runnerFail(path, `not readable JSON: ${describeError(e)}`);
      continue;
    }
    const folder = basename(dirname(path));
    const inVectorFolder = vectorFolders.has(folder);
    const declared = isObject(doc) && typeof doc.suite === 'string' ? doc.suite : undefined;
    let suite: Suite | undefined;
    if (declared !== undefined) {
      suite = byName.get(declared);
      if (!suite) {
        runnerFail(path, `unknown suite ${JSON.stringify(declared)} (known: ${[...byName.keys()].join(', ')})`);
        continue;
      }
      if (inVectorFolder && folder !== declared && byName.has(folder)) {
        runnerFail(path, `file in folder ${folder}/ declares suite ${JSON.stringify(declared)}`);
        continue;
      }
    } else {
      const takers = suites.filter((s) => {
        try {
          return s.recognize?.(doc) === true;
        } catch {
          return false;
        }
      });
      if (takers.length > 1) {
        runnerFail(path, `ambiguous: recognised by ${takers.map((s) => s.name).join(' and ')}`);
        continue;
      }
      suite = takers[0];
      if (!suite) {
        const looksLikeVectors = isObject(doc) && 'vectors' in doc;
        if (explicit || inVectorFolder || looksLikeVectors) runnerFail(path, 'no suite accepts this file (no known "suite" field and no suite recognises it)');
        else notVectorFiles.push(path);
        continue;
      }
    }
    let checks: CheckResult[];
    try {
      checks = await suite.run(doc, path);
    } catch (e) {
      files.push({ path, suite: suite.name, checks: [{ id: `${suite.name}/${basename(path)}`, ok: false, detail: `suite threw ${describeError(e)}` }] });
      continue;
    }
    if (!Array.isArray(checks) || checks.length === 0) {
      files.push({ path, suite: suite.name, checks: [{ id: `${suite.name}/${basename(path)}`, ok: false, detail: 'the suite reported no check for this file' }] });
      continue;
    }
    files.push({ path, suite: suite.name, checks });
  }

  // report
  const lines: string[] = [];
  const tally = new Map<string, { passed: number; failed: number }>();
  let passed = 0;
  let failed = 0;
  for (const f of files) {
    const t = tally.get(f.suite) ?? { passed: 0, failed: 0 };
    tally.set(f.suite, t);
    for (const c of f.checks) {
      if (c.ok) {
        t.passed++;
        passed++;
        if (opts.verbose) lines.push(`  ok   ${c.id}${c.detail ? `: ${c.detail}` : ''}`);
      } else {
        t.failed++;
        failed++;
        lines.push(`FAIL ${show(f.path)} ${c.id}${c.detail ? `: ${c.detail}` : ''}`);
      }
    }
  }
  for (const p of notVectorFiles) lines.push(`not a vector file: ${show(p)}`);
  const order = [...suites.map((s) => s.name), RUNNER_SUITE];
  for (const name of order) {
    const t = tally.get(name);
    if (t) lines.push(`${name}: ${countsLine(t.passed, t.failed)}`);
  }
  lines.push(countsLine(passed, failed));
  return { files, notVectorFiles, passed, failed, lines, exitCode: failed > 0 || passed === 0 ? 1 : 0 };
}
