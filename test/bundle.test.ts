/**
 * The browser entries bundle as an app bundles them: a tiny app file imports the package by name
 * and esbuild bundles it with nothing but `platform: 'browser'`, `bundle`, `format: 'esm'` (no
 * `external`, no `sideEffects` overrides). The package is laid out in a temp dir exactly as npm
 * installs it: the repo's package.json (its `exports` and `sideEffects`) and `dist/` transpiled
 * from the sources (esbuild per file, the layout of `tsc`'s outDir), symlinked into the app's
 * node_modules. Asserts: the bundle builds, is not empty, holds the worker's message handler
 * (comlink's `expose` + the engine's `receive`), and has no `node:` import.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Platform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENGINE_MARKER = 'receive: expected an array of wire messages'; // PartyEngine.receive
const HANDLER_MARKER = /addEventListener\("message"/; // comlink's expose

describe('bundling the published entries', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tkey-tss-bundle-'));
    const pkg = join(tmp, 'pkg');
    const sources = ['src', 'protocols', 'workers'].flatMap((d) =>
      (readdirSync(join(ROOT, d), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => join(ROOT, d, f)),
    );
    await build({ entryPoints: sources, outdir: join(pkg, 'dist'), outbase: ROOT, format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'error' });
    writeFileSync(join(pkg, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    mkdirSync(join(tmp, 'app', 'node_modules'), { recursive: true });
    symlinkSync(pkg, join(tmp, 'app', 'node_modules', 'tkey-tss'), 'dir');
  }, 30_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Bundle an app whose only source is `code`, as an app would (no flags beyond these). */
  async function bundleApp(name: string, code: string, platform: Platform = 'browser'): Promise<string> {
    const entry = join(tmp, 'app', `${name}.js`);
    writeFileSync(entry, code);
    const r = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform, write: false, logLevel: 'silent' });
    return r.outputFiles[0]!.text;
  }

  const noNodeImport = (js: string): void => {
    expect(js).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(?\s*["']node:|require\(\s*["']node:/);
  };

  it("import 'tkey-tss/workers/browser/worker' bundles the worker (not 0 bytes), without node: imports", async () => {
    const js = await bundleApp('worker-app', "import 'tkey-tss/workers/browser/worker';\n");
    expect(js.length).toBeGreaterThan(10_000);
    expect(js).toContain(ENGINE_MARKER);
    expect(js).toMatch(HANDLER_MARKER);
    noNodeImport(js);
  });

  it("import from 'tkey-tss/workers/browser' bundles the host side without node: imports", async () => {
    const js = await bundleApp(
      'host-app',
      "import { createBrowserPartyHost, WorkerPartyTransport } from 'tkey-tss/workers/browser';\n" +
        "const url = new URL('/worker.js', location.href);\n" +
        'export const transport = new WorkerPartyTransport([await createBrowserPartyHost(url)]);\n',
    );
    expect(js).toContain('tkey-tss-party'); // the Worker the shim spawns
    expect(js).toMatch(/class WorkerPartyTransport\b|WorkerPartyTransport = class/);
    noNodeImport(js);
  });

  it("the main entry 'tkey-tss' bundles for the browser (the client API, no node: imports)", async () => {
    const js = await bundleApp(
      'main-app',
      "import { TssAccount, FactorKey, MemoryStorage, ServiceParty, SimulatorTransport, prepareAuxInput, cryptoRng, isTkeyTssError } from 'tkey-tss';\n" +
        'export const api = [TssAccount, FactorKey, MemoryStorage, ServiceParty, SimulatorTransport, prepareAuxInput, cryptoRng, isTkeyTssError];\n',
    );
    expect(js).toMatch(/class TssAccount\b|TssAccount = class/);
    expect(js).toMatch(/class FactorKey\b|FactorKey = class/);
    noNodeImport(js);
  });

  it("Node resolves 'tkey-tss' and its subpaths through the exports map (as an installed package)", async () => {
    const entry = join(tmp, 'app', 'resolve.mjs');
    writeFileSync(
      entry,
      "const main = await import('tkey-tss');\n" +
        "const client = await import('tkey-tss/client');\n" +
        "const tss = await import('tkey-tss/tss');\n" +
        "if (main.TssAccount !== client.TssAccount || main.FactorKey !== tss.FactorKey) throw new Error('not the same modules');\n" +
        "let refused = false; try { await import('tkey-tss/src/client/index.js'); } catch (e) { refused = e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'; }\n" +
        "if (!refused) throw new Error('an unexported path resolved');\n" +
        "console.log(Object.keys(main).sort().join(','));\n",
    );
    const out = execFileSync(process.execPath, [entry], { cwd: join(tmp, 'app'), encoding: 'utf8' });
    for (const name of ['TssAccount', 'FactorKey', 'MemoryStorage', 'ServiceParty', 'SimulatorTransport', 'prepareAuxInput', 'cryptoRng', 'isTkeyTssError']) {
      expect(out.trim().split(','), name).toContain(name);
    }
  });

  it("the Node worker entry 'tkey-tss/workers/party-worker' is kept as a side effect too", async () => {
    const js = await bundleApp('node-worker-app', "import 'tkey-tss/workers/party-worker';\n", 'node');
    expect(js).toContain(ENGINE_MARKER);
    expect(js).toContain('node:worker_threads');
  });
});
