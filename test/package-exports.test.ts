/**
 * The package as npm ships it: every export names a `types` and a `default` file of the same
 * module under `dist/` (which `files` ships), compiled from a source that exists; the main entry
 * `"."` exists; and source maps either ship with their sources or not at all (a map whose sources
 * are not in the tarball points debuggers at nothing): with `sourceMap`, the sources are inlined
 * (`inlineSources`) or the source folders are in `files`; `declarationMap` needs the sources shipped.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  files: string[];
  exports: Record<string, string | { types: string; default: string }>;
};
const cfg = ts.parseJsonConfigFileContent(ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile.bind(ts.sys)).config, ts.sys, ROOT);
const shipped = (path: string): boolean => pkg.files.some((f) => path === f || path.startsWith(f.replace(/\/$/, '') + '/'));

describe('package exports', () => {
  it('has a "." entry with types (the client API)', () => {
    const main = pkg.exports['.'];
    expect(typeof main).toBe('object');
    expect((main as { types: string }).types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
    expect((main as { default: string }).default).toMatch(/^\.\/dist\/.+\.js$/);
  });

  it('every export: types and default are the same module under a shipped dist/, from an existing source', () => {
    const problems: string[] = [];
    for (const [key, t] of Object.entries(pkg.exports)) {
      if (typeof t === 'string') {
        if (key !== './package.json') problems.push(`${key}: a bare string target`);
        continue;
      }
      const types = /^\.\/(dist\/(.+))\.d\.ts$/.exec(t.types);
      const js = /^\.\/(dist\/(.+))\.js$/.exec(t.default);
      if (!types || !js) {
        problems.push(`${key}: types/default not under ./dist (${t.types}, ${t.default})`);
        continue;
      }
      if (types[2] !== js[2]) problems.push(`${key}: types ${t.types} and default ${t.default} differ`);
      if (!shipped(types[1]!)) problems.push(`${key}: ${t.types} is not in "files"`);
      if (!existsSync(join(ROOT, `${types[2]}.ts`))) problems.push(`${key}: no source ${types[2]}.ts`);
      if (Object.keys(t)[0] !== 'types') problems.push(`${key}: "types" must come first`);
    }
    expect(problems).toEqual([]);
  });

  it('source maps ship with their sources or not at all', () => {
    const o = cfg.options;
    const sourcesShipped = ['src', 'protocols', 'workers'].every((d) => shipped(d));
    if (o.sourceMap) expect(o.inlineSources === true || sourcesShipped, 'sourceMap without inlineSources and without the sources in "files"').toBe(true);
    if (o.declarationMap) expect(sourcesShipped, 'declarationMap without the sources in "files"').toBe(true);
    if (o.sourceMap) {
      // what tsc writes for one module: the map carries the source text itself
      const src = readFileSync(join(ROOT, 'src/bytes.ts'), 'utf8');
      const out = ts.transpileModule(src, { compilerOptions: o, fileName: join(ROOT, 'src/bytes.ts') });
      const map = JSON.parse(out.sourceMapText!) as { sourcesContent?: string[] };
      expect(sourcesShipped || map.sourcesContent?.[0] === src).toBe(true);
    }
  });
});

describe('the "." entry as an installed package sees it (declarations, nodenext and bundler)', () => {
  it('a consumer type-checks `import … from "tkey-tss"` against the emitted .d.ts under both resolutions', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tkey-tss-types-'));
    try {
      const pkgDir = join(tmp, 'node_modules', 'tkey-tss');
      mkdirSync(pkgDir, { recursive: true });
      writeFileSync(join(pkgDir, 'package.json'), readFileSync(join(ROOT, 'package.json')));
      // declarations of what "." reaches, laid out as tsc's outDir (dist/<path>.d.ts)
      const main = (pkg.exports['.'] as { types: string }).types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
      const emitOpts: ts.CompilerOptions = { ...cfg.options, declaration: true, emitDeclarationOnly: true, sourceMap: false, noEmit: false, outDir: join(pkgDir, 'dist'), rootDir: ROOT };
      const emitted = ts.createProgram([join(ROOT, main)], emitOpts).emit();
      expect(emitted.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))).toEqual([]);
      symlinkSync(join(ROOT, 'node_modules', '@types'), join(tmp, 'node_modules', '@types'), 'dir');
      for (const dep of ['@noble', '@scure', 'msgpackr', 'comlink']) {
        if (existsSync(join(ROOT, 'node_modules', dep))) symlinkSync(join(ROOT, 'node_modules', dep), join(tmp, 'node_modules', dep), 'dir');
      }
      const app = join(tmp, 'app.mts');
      writeFileSync(
        app,
        "import { TssAccount, FactorKey, MemoryStorage, ServiceParty, SimulatorTransport, prepareAuxInput, cryptoRng, isTkeyTssError, type ClientOptions, type Signature } from 'tkey-tss';\n" +
          'export async function make(o: ClientOptions): Promise<Signature> {\n' +
          '  const a = await TssAccount.login(o, FactorKey.random(cryptoRng));\n' +
          '  return a.sign({ personalMessage: "hi" });\n' +
          '}\n' +
          'export const parts = [MemoryStorage, ServiceParty, SimulatorTransport, prepareAuxInput, isTkeyTssError];\n' +
          '// @ts-expect-error an unexported path does not resolve\n' +
          "export * as internal from 'tkey-tss/src/client/index.js';\n",
      );
      for (const mode of [
        { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
        { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
      ]) {
        const p = ts.createProgram([app], { ...mode, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
        const diags = ts.getPreEmitDiagnostics(p).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
        expect(diags, `moduleResolution ${ts.ModuleResolutionKind[mode.moduleResolution]}`).toEqual([]);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
