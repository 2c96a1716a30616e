/**
 * Docs that run as written. Every ```ts / ```typescript block of the root README and of every area
 * README is type-checked with the TypeScript compiler API — ONE program for all blocks — against the
 * package's own export map: `tkey-tss` and `tkey-tss/<subpath>` resolve through `paths` built from
 * package.json `exports` (each `types` target `./dist/<x>.d.ts` → the source `<x>.ts`), so an import
 * of a subpath the package does not export fails. Blocks whose first line is `// runnable` are also
 * run (tsx, each in its own process, bounded in time) with the public TEST primes plugged into
 * `setPrimeGeneratorHook` (never generate safe primes in tests). Shell blocks are not run, but every
 * `npm run <name>` / `npm start` / `npm test` they name must be a package.json script.
 *
 * Conventions (documented in the root README, "Code blocks in the READMEs"):
 *   // given: const storage: MetadataStorage; const rng: Rng
 * a line of the block declaring free variables (becomes `declare const …;` on the same line; the
 * types must be imported by the block itself); `// runnable` first line: self-contained, executed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  exports: Record<string, string | { types?: string; default?: string }>;
};
const RUN_TIMEOUT_MS = 120_000;

interface Block {
  readme: string; // repo-relative path
  line: number; // 1-based line of the opening fence
  lang: string;
  body: string[];
}

/** Every README.md of the repository (root and areas), outside node_modules, dist and dot dirs. */
function readmes(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'dist') continue;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else if (e.name === 'README.md') out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

/** The fenced blocks of one markdown file. */
function fencedBlocks(readme: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let open: Block | null = null;
  lines.forEach((l, i) => {
    const m = /^(\s*)```\s*([\w-]*)/.exec(l);
    if (!m) {
      open?.body.push(l);
      return;
    }
    if (open) {
      blocks.push(open);
      open = null;
    } else open = { readme, line: i + 1, lang: (m[2] ?? '').toLowerCase(), body: [] };
  });
  if (open) throw new Error(`${readme}:${(open as Block).line}: unclosed code fence`);
  return blocks;
}

const isTs = (b: Block): boolean => b.lang === 'ts' || b.lang === 'typescript';
const isShell = (b: Block): boolean => ['sh', 'bash', 'shell', 'console'].includes(b.lang);
const isRunnable = (b: Block): boolean => b.body[0]?.trim() === '// runnable';

/** `// given: const a: A; function f(x: X): Y` → `declare const a: A; declare function f(x: X): Y;` (same line). */
function preludeLine(line: string): string | null {
  const m = /^\s*\/\/\s*given:\s*(.*)$/.exec(line);
  if (!m) return null;
  const decls: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of m[1]!) {
    if ('([{<'.includes(ch)) depth++;
    if (')]}>'.includes(ch)) depth--;
    if (ch === ';' && depth === 0) {
      decls.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  decls.push(cur.trim());
  return decls
    .filter((d) => d.length > 0)
    .map((d) => `declare ${d};`)
    .join(' ');
}

/** The block as a module: prelude lines declared in place (line numbers kept), `export {}` appended. */
function blockSource(b: Block): string {
  return b.body.map((l) => preludeLine(l) ?? l).join('\n') + '\nexport {};\n';
}

/** `tkey-tss[/subpath]` → the source file behind its `types` entry (`./dist/x.d.ts` → `x.ts`). */
function exportPaths(): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [key, target] of Object.entries(PKG.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const types = target.types;
    if (!types) throw new Error(`package.json exports["${key}"] has no "types"`);
    const m = /^\.\/dist\/(.+)\.d\.ts$/.exec(types);
    if (!m) throw new Error(`package.json exports["${key}"].types is not under ./dist: ${types}`);
    const src = join(ROOT, `${m[1]}.ts`);
    if (!existsSync(src)) throw new Error(`package.json exports["${key}"]: no source ${m[1]}.ts`);
    paths[key === '.' ? PKG.name : `${PKG.name}/${key.slice(2)}`] = src;
  }
  return paths;
}

function blockId(b: Block): string {
  return `${b.readme}:${b.line}`;
}

function virtualName(b: Block): string {
  return join(ROOT, '.docs-blocks', `${b.readme.replace(/[/.]/g, '_')}-L${b.line}.mts`);
}

const ALL = readmes().flatMap((r) => fencedBlocks(r, readFileSync(join(ROOT, r), 'utf8')));
const TS_BLOCKS = ALL.filter(isTs);

/** A deliberately broken block checked in the same program (the report format is part of the contract). */
const SELFTEST = 'SELFTEST.md';
const SELFTEST_BLOCK: Block = {
  readme: SELFTEST,
  line: 10,
  lang: 'ts',
  body: ["import { fail } from 'tkey-tss/src/errors.js';", '// given: const x: number', 'const y: string = x;', 'undeclared;'],
};

let typecheckResult: string[] | undefined;
/** Type-check every TypeScript block (and the self-test block) in ONE program; one line per diagnostic. */
function typecheck(): string[] {
  if (typecheckResult) return typecheckResult;
  const paths = exportPaths();
  const cfg = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile.bind(ts.sys));
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    noUnusedLocals: false, // an example may name a value it does not use again
    baseUrl: ROOT,
    paths: Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, [v]])),
  };
  const sources = new Map([...TS_BLOCKS, SELFTEST_BLOCK].map((b) => [virtualName(b), { block: b, text: blockSource(b) }]));
  const host = ts.createCompilerHost(options, true);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => sources.has(f) || fileExists(f);
  host.readFile = (f) => sources.get(f)?.text ?? readFile(f);
  host.getSourceFile = (f, lang, onError, create) => {
    const v = sources.get(f);
    return v ? ts.createSourceFile(f, v.text, lang, true) : getSourceFile(f, lang, onError, create);
  };
  const program = ts.createProgram({ rootNames: [...sources.keys()], options, host });
  const problems: string[] = [];
  for (const [file, { block }] of sources) {
    const sf = program.getSourceFile(file)!;
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diags) {
      const { line } = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : { line: -1 };
      const at = line >= 0 ? `${block.readme}:${block.line + 1 + line}` : blockId(block);
      const code = line >= 0 ? ` | ${(block.body[line] ?? '').trim().slice(0, 120)}` : '';
      problems.push(`${at} (block at line ${block.line}): TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}${code}`);
    }
  }
  typecheckResult = problems;
  return problems;
}

describe('docs: the README code blocks', () => {
  it('finds the READMEs and their TypeScript blocks', () => {
    const files = new Set(ALL.map((b) => b.readme));
    expect(readmes()).toContain('README.md');
    expect(readmes()).toContain('src/client/README.md');
    expect(TS_BLOCKS.length).toBeGreaterThan(20);
    expect(files.size).toBeGreaterThan(8);
  });

  it('every TypeScript block type-checks against the package export map (one program)', () => {
    const problems = typecheck().filter((p) => !p.startsWith(SELFTEST));
    expect(problems, `README TypeScript blocks that do not type-check:\n${problems.join('\n')}`).toEqual([]);
  }, 120_000);

  it('a broken block is reported with its README, line, the compiler message and the line (same program)', () => {
    const problems = typecheck().filter((p) => p.startsWith(SELFTEST));
    expect(problems).toEqual([
      expect.stringMatching(/^SELFTEST\.md:11 \(block at line 10\): TS2307 Cannot find module 'tkey-tss\/src\/errors\.js'.* \| import \{ fail \} from 'tkey-tss\/src\/errors\.js';/),
      expect.stringMatching(/^SELFTEST\.md:13 \(block at line 10\): TS2322 Type 'number' is not assignable to type 'string'\. \| const y: string = x;/),
      expect.stringMatching(/^SELFTEST\.md:14 \(block at line 10\): TS2304 Cannot find name 'undeclared'\./),
    ]);
  }, 120_000);

  it('a block without a language is not TypeScript in disguise', () => {
    const problems = ALL.filter((b) => b.lang === '' && b.body.some((l) => /^\s*(import\s.+from\s|await\s|const\s+\w+\s*=)/.test(l))).map((b) => `${blockId(b)}: looks like TypeScript; tag it \`\`\`ts`);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('every `npm run X` / `npm start` / `npm test` in a shell block names a package.json script', () => {
    const problems: string[] = [];
    for (const b of ALL.filter(isShell)) {
      b.body.forEach((l, i) => {
        const code = l.replace(/#.*$/, '');
        for (const m of code.matchAll(/\bnpm\s+(?:--?[\w-]+\s+)*(run(?:-script)?\s+([\w:.-]+)|start|test)\b/g)) {
          const name = m[2] ?? m[1]!;
          if (!(name in PKG.scripts)) problems.push(`${b.readme}:${b.line + 1 + i}: npm script "${name}" does not exist | ${l.trim()}`);
        }
      });
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  describe('runnable blocks run', () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'tkey-docs-'));
      symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
      const paths = Object.fromEntries(Object.entries(exportPaths()).map(([k, v]) => [k, [v]]));
      writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', baseUrl: ROOT, paths } }));
      writeFileSync(join(tmp, 'package.json'), '{"type": "module"}');
      // The TEST primes (public, pregenerated) behind the prime hook: a block's `prepareAuxInput()`
      // then costs milliseconds instead of safe-prime generation. Same module instance as the block's.
      const primes = pathToFileURL(join(ROOT, 'src/bigint/primes.ts')).href;
      const testPrimes = pathToFileURL(join(ROOT, 'test/helpers/test-primes.ts')).href;
      writeFileSync(
        join(tmp, 'test-primes-hook.mts'),
        `import { setPrimeGeneratorHook } from ${JSON.stringify(primes)};\n` +
          `import { testSafePrimes } from ${JSON.stringify(testPrimes)};\n` +
          `const queue = testSafePrimes(1024);\n` +
          `setPrimeGeneratorHook(async (bits, kind) => {\n` +
          `  if (bits !== 1024 || kind !== 'safe') throw new Error('docs test: only 1024-bit safe test primes are available, asked ' + bits + ' ' + kind);\n` +
          `  const p = queue.shift(); if (p === undefined) throw new Error('docs test: out of test primes'); return p;\n` +
          `});\n`,
      );
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    const runnable = TS_BLOCKS.filter(isRunnable);
    it('there are runnable blocks (the root README embed example among them)', () => {
      expect(runnable.some((b) => b.readme === 'README.md')).toBe(true);
    });

    for (const b of runnable) {
      it(`${blockId(b)} runs`, async () => {
        const file = join(tmp, `${b.readme.replace(/[/.]/g, '_')}-L${b.line}.mts`);
        writeFileSync(file, blockSource(b));
        const r = await runTsx(tmp, file);
        expect(r.code, `${blockId(b)} (runnable block) exited ${r.code}${r.timedOut ? ' (timed out)' : ''}:\n${r.stderr}\n${r.stdout}`).toBe(0);
      }, RUN_TIMEOUT_MS + 10_000);
    }
  });
});

function runTsx(cwd: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, ['--tsconfig', join(cwd, 'tsconfig.json'), '--import', './test-primes-hook.mts', relative(cwd, file)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
