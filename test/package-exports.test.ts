/**
 * The package as npm ships it: every export names a `types` and a `default` file of the same
 * module under `dist/` (which `files` ships), compiled from a source that exists; the main entry
 * `"."` exists; and source maps either ship with their sources or not at all (a map whose sources
 * are not in the tarball points debuggers at nothing): with `sourceMap`, the sources are inlined
 * (`inlineSources`) or the source folders are in `files`; `declarationMap` needs the sources shipped.
 */
import { existsSync, readFileSync } from 'node:fs';
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
