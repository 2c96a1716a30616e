#!/usr/bin/env node
/**
 * The `tkey-tss` command: `tkey-tss serve [--flag value …]` (also `npm run serve`), and
 * `tkey-tss admin <command>` (operator commands against a running server: `ops/admin-cli.ts`). Configuration
 * from environment variables and flags (see `config.ts` and README.md beside this file); a bad
 * setting prints one line naming it and exits 2; a store that cannot be opened exits 1. SIGTERM /
 * SIGINT drain in-flight requests, close the store and exit 0.
 * @module
 */
import { isTkeyTssError } from '../errors.js';
import { loadConfig, serviceEnabled } from './config.js';
import { DEV_ISSUER_LOG_FIELD } from './auth/dev-issuer.js';
import { runAdminCli } from './ops/admin-cli.js';
import { startServer } from './serve.js';

const USAGE = 'usage: tkey-tss serve [--host H] [--port P] [--data-dir D] [--database-url URL] [--log-level L] …  |  tkey-tss admin <command> …  |  tkey-tss admin rotate-kek --new-kek-file F  (see src/server/README.md, src/server/service-state/README.md)';

/**
 * Admin commands that run locally (they open the store and the KEK themselves instead of calling
 * the admin API), by name: `rotate-kek` (the service-state KEK rotation) belongs here. Every
 * other `admin` command goes to the admin API client.
 */
const LOCAL_ADMIN: Record<string, (args: string[]) => Promise<number>> = {
  'rotate-kek': async (args) => (await import('./service-state/rotate-cli.js')).rotateKekCli(args),
};

async function admin(args: string[]): Promise<never> {
  const [sub, ...rest] = args;
  const local = sub !== undefined && Object.hasOwn(LOCAL_ADMIN, sub) ? LOCAL_ADMIN[sub] : undefined;
  const code = local
    ? await local(rest)
    : await runAdminCli(args, process.env, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
  process.exit(code);
}

function oneLine(e: unknown): string {
  const msg = isTkeyTssError(e) ? e.message : e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, ' ').trim();
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (command === 'admin') await admin(rest);
  if (command !== 'serve') {
    process.stderr.write(`tkey-tss: unknown command ${JSON.stringify(command ?? '')}; ${USAGE}\n`);
    process.exit(2);
  }
  let cfg;
  try {
    cfg = loadConfig(process.env, rest);
  } catch (e) {
    process.stderr.write(`tkey-tss: ${oneLine(e)}\n`);
    process.exit(2);
  }
  let server;
  try {
    server = await startServer(cfg);
  } catch (e) {
    process.stderr.write(`tkey-tss: cannot start: ${oneLine(e)}\n`);
    process.exit(1);
  }
  const { app } = server;
  // Always printed (whatever the log level): the bound address, so TKEY_PORT=0 is usable.
  process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: 'tkey-tss metadata server listening', url: server.url, store: server.store.kind, service: serviceEnabled(cfg), ...(cfg.devIssuer ? DEV_ISSUER_LOG_FIELD : {}) }) + '\n');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    setTimeout(() => {
      app.log.error({ timeoutMs: cfg.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, cfg.shutdownTimeoutMs).unref();
    server.close().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        app.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main(process.argv.slice(2));
