/**
 * Server configuration from environment variables and command-line flags (a flag wins), validated
 * at start. A bad setting is a `CONFIG_INVALID` error whose message is one line naming the setting.
 *
 * | variable | flag | default |
 * |---|---|---|
 * | TKEY_HOST | --host | 127.0.0.1 |
 * | TKEY_PORT | --port | 5051 (0 = any free port) |
 * | TKEY_DATA_DIR | --data-dir | ./.tkey-data/server |
 * | DATABASE_URL | --database-url | unset (embedded store) |
 * | TKEY_LOG_LEVEL | --log-level | info |
 * | TKEY_BODY_LIMIT | --body-limit | 4194304 bytes |
 * | TKEY_MAX_WRITES | --max-writes | 64 per request |
 * | TKEY_MAX_VALUE_BYTES | --max-value-bytes | 1048576 |
 * | TKEY_RATE_LIMIT_IP | --rate-limit-ip | 1200 requests / minute / IP |
 * | TKEY_RATE_LIMIT_ACCOUNT | --rate-limit-account | 600 writes / minute / account or owner key |
 * | TKEY_PG_POOL_MAX | --pg-pool-max | 10 |
 * | TKEY_SHUTDOWN_TIMEOUT_MS | --shutdown-timeout-ms | 10000 |
 * | TKEY_VERIFY_THREADS | --verify-threads | CPU count, at most 4 (0 = verify on the event loop) |
 * | TKEY_SERVICE_KEYS | --service-keys | unset: comma-separated compressed hex public keys of trusted co-signing services (batch signers besides the account) |
 * @module
 */
import { availableParallelism } from 'node:os';
import { pointFromHex } from '../curve.js';
import { fail } from '../errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  logLevel: LogLevel;
  bodyLimit: number;
  maxWrites: number;
  maxValueBytes: number;
  rateLimitIp: number;
  rateLimitAccount: number;
  pgPoolMax: number;
  shutdownTimeoutMs: number;
  verifyThreads: number;
  /** Trusted co-signing service keys (compressed SEC1 hex, lower case): may sign any account's batch. */
  serviceKeys: string[];
}

interface Setting {
  env: string;
  flag: string;
  key: keyof ServerConfig;
  parse: (raw: string, name: string) => unknown;
}

const bad = (name: string, raw: string, want: string): never => fail('CONFIG_INVALID', `${name}=${JSON.stringify(raw)}: ${want}`, { setting: name });

function int(min: number, max: number) {
  return (raw: string, name: string): number => {
    if (!/^\d+$/.test(raw.trim())) return bad(name, raw, `expected an integer in [${min}, ${max}]`);
    const n = Number(raw.trim());
    if (!Number.isSafeInteger(n) || n < min || n > max) return bad(name, raw, `expected an integer in [${min}, ${max}]`);
    return n;
  };
}

const SETTINGS: readonly Setting[] = [
  {
    env: 'TKEY_HOST',
    flag: '--host',
    key: 'host',
    parse: (raw, name) => (/^[A-Za-z0-9.:\-[\]%]+$/.test(raw) ? raw : bad(name, raw, 'expected a host name or IP address')),
  },
  { env: 'TKEY_PORT', flag: '--port', key: 'port', parse: int(0, 65535) },
  { env: 'TKEY_DATA_DIR', flag: '--data-dir', key: 'dataDir', parse: (raw, name) => (raw.trim().length > 0 ? raw : bad(name, raw, 'expected a directory path')) },
  {
    env: 'DATABASE_URL',
    flag: '--database-url',
    key: 'databaseUrl',
    parse: (raw, name) => {
      if (raw === '') return undefined;
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return bad(name, '<redacted>', 'expected a postgres:// or postgresql:// URL');
      }
      if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return bad(name, `${u.protocol}//…`, 'expected a postgres:// or postgresql:// URL');
      return raw;
    },
  },
  {
    env: 'TKEY_LOG_LEVEL',
    flag: '--log-level',
    key: 'logLevel',
    parse: (raw, name) => (LOG_LEVELS.includes(raw as LogLevel) ? raw : bad(name, raw, `expected one of ${LOG_LEVELS.join(', ')}`)),
  },
  { env: 'TKEY_BODY_LIMIT', flag: '--body-limit', key: 'bodyLimit', parse: int(1024, 256 * 1024 * 1024) },
  { env: 'TKEY_MAX_WRITES', flag: '--max-writes', key: 'maxWrites', parse: int(1, 10_000) },
  { env: 'TKEY_MAX_VALUE_BYTES', flag: '--max-value-bytes', key: 'maxValueBytes', parse: int(64, 64 * 1024 * 1024) },
  { env: 'TKEY_RATE_LIMIT_IP', flag: '--rate-limit-ip', key: 'rateLimitIp', parse: int(1, 10_000_000) },
  { env: 'TKEY_RATE_LIMIT_ACCOUNT', flag: '--rate-limit-account', key: 'rateLimitAccount', parse: int(1, 10_000_000) },
  { env: 'TKEY_PG_POOL_MAX', flag: '--pg-pool-max', key: 'pgPoolMax', parse: int(1, 1000) },
  { env: 'TKEY_SHUTDOWN_TIMEOUT_MS', flag: '--shutdown-timeout-ms', key: 'shutdownTimeoutMs', parse: int(0, 3_600_000) },
  { env: 'TKEY_VERIFY_THREADS', flag: '--verify-threads', key: 'verifyThreads', parse: int(0, 64) },
  { env: 'TKEY_SERVICE_KEYS', flag: '--service-keys', key: 'serviceKeys', parse: serviceKeys },
];

/** Comma-separated compressed SEC1 hex public keys, each a point on secp256k1. */
function serviceKeys(raw: string, name: string): string[] {
  const keys = raw.split(',').map((k) => k.trim().toLowerCase()).filter((k) => k.length > 0);
  for (const k of keys) {
    if (!/^0[23][0-9a-f]{64}$/.test(k)) return bad(name, raw, `expected comma-separated compressed public keys (66 hex), got ${JSON.stringify(k.slice(0, 70))}`);
    try {
      pointFromHex(k);
    } catch {
      return bad(name, raw, `${k.slice(0, 16)}… is not a point on secp256k1`);
    }
  }
  return keys;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 5051,
  dataDir: './.tkey-data/server',
  logLevel: 'info',
  bodyLimit: 4 * 1024 * 1024,
  maxWrites: 64,
  maxValueBytes: 1024 * 1024,
  rateLimitIp: 1200,
  rateLimitAccount: 600,
  pgPoolMax: 10,
  shutdownTimeoutMs: 10_000,
  verifyThreads: Math.min(4, availableParallelism()),
  serviceKeys: [],
};

/** Build the configuration from `env` and `argv` (flags `--name value` or `--name=value`). */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): ServerConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!SETTINGS.some((s) => s.flag === name)) fail('CONFIG_INVALID', `${a}: unknown flag (known: ${SETTINGS.map((s) => s.flag).join(' ')})`, { setting: a });
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) fail('CONFIG_INVALID', `${name}: expected a value`, { setting: name });
    flags.set(name, value);
  }
  const cfg: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const s of SETTINGS) {
    const fromFlag = flags.get(s.flag);
    const raw = fromFlag ?? env[s.env];
    if (raw === undefined) continue;
    const v = s.parse(raw, fromFlag !== undefined ? s.flag : s.env);
    if (v !== undefined) cfg[s.key] = v;
  }
  const c = cfg as unknown as ServerConfig;
  if (c.maxValueBytes > c.bodyLimit) fail('CONFIG_INVALID', `TKEY_MAX_VALUE_BYTES=${c.maxValueBytes}: must not exceed TKEY_BODY_LIMIT=${c.bodyLimit}`, { setting: 'TKEY_MAX_VALUE_BYTES' });
  return c;
}
