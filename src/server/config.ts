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
 * | TKEY_METRICS | --metrics | 1 (0 = no `GET /metrics`) |
 * | TKEY_METRICS_TOKEN | (none: a secret) | unset (`/metrics` open); else a bearer token ≥ 32 characters |
 * | TKEY_ADMIN_TOKEN | (none: a secret) | unset (no admin API); else a bearer token ≥ 32 characters |
 * | TKEY_ADMIN_TOKEN_FILE | --admin-token-file | unset; a file holding the admin token (instead of TKEY_ADMIN_TOKEN) |
 * | TKEY_MODE | --mode | production (or development) |
 * | TKEY_OIDC_ISSUERS | --oidc-issuers | unset: JSON array `[{iss, aud, jwksUrl \| jwksFile, algs?}]` or `@path` |
 * | TKEY_DEV_ISSUER | --dev-issuer | 0 (1: the development issuer; development mode only) |
 * | TKEY_SESSION_TTL_S | --session-ttl-s | 900 |
 * | TKEY_MAX_ACCOUNT_SESSIONS | --max-account-sessions | 4 concurrent sessions per account |
 * | TKEY_MAX_ACCOUNT_PRESIGS | --max-account-presigs | 100 presignatures held per account |
 * | TKEY_SIGN_RATE_ACCOUNT | --sign-rate-account | 120 sign requests / minute / account |
 *
 * The co-signing service is on when an issuer is configured or the development issuer is on.
 * Secret settings have no flag (a command line is visible to every local user) and are held as
 * `SecretText` (never printed); a bad one is reported without its value.
 * | TKEY_SERVER_KEK | (none: a secret on the command line is visible in ps) | unset; the service needs it or the file |
 * | TKEY_SERVER_KEK_FILE | --server-kek-file | unset |
 * | TKEY_SERVER_KEK_PREVIOUS | (none) | unset (during a KEK rotation: the old KEK) |
 * | TKEY_SERVER_KEK_PREVIOUS_FILE | --server-kek-previous-file | unset |
 * | TKEY_SERVICE_PRIMES_FILE | --service-primes-file | unset (the service generates its Paillier primes once) |
 * | TKEY_SERVICE_KEYS | --service-keys | unset: comma-separated compressed hex public keys of trusted co-signing services (batch signers besides the account) |
 * @module
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { pointFromHex } from '../curve.js';
import { fail } from '../errors.js';
import { SecretText } from './ops/secret-text.js';
import { parseIssuers } from './auth/oidc.js';
import type { IssuerConfig } from './auth/types.js';
import { Kek } from './service-state/kek.js';

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
  /** Serve `GET /metrics` (Prometheus text exposition). */
  metrics: boolean;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: SecretText;
  /** When set (and the process runs a co-signing service), the admin API exists behind `Authorization: Bearer <token>`. */
  adminToken?: SecretText;
  /** `production` (default) or `development` (the only mode the development issuer runs in). */
  mode: 'development' | 'production';
  /** Trusted OpenID Connect issuers of the co-signing service's login. */
  oidcIssuers: IssuerConfig[];
  /** The development issuer (mints tokens for any subject). */
  devIssuer: boolean;
  /** Lifetime of a service session (seconds). */
  sessionTtlS: number;
  /** Per account: sessions running at once. */
  maxAccountSessions: number;
  /** Per account: presignatures the service holds (presign refused beyond). */
  maxAccountPresigs: number;
  /** Per account: sign requests per minute. */
  signRateAccount: number;
  /** The co-signing service's key-encryption key (`service-state/kek.ts`; secret, redacted). */
  serverKek?: Kek;
  serverKekFile?: string;
  /** The KEK being rotated away from (read only). */
  serverKekPrevious?: Kek;
  serverKekPreviousFile?: string;
  /** Safe primes of the service's long-lived Paillier key (the `test-vectors/primes` format); absent: generated once at first start. */
  servicePrimesFile?: string;
  /** Trusted co-signing service keys (compressed SEC1 hex, lower case): may sign any account's batch. */
  serviceKeys: string[];
}

interface Setting {
  env: string;
  /** Absent for secrets: a value on the command line is visible to every local user (ps). */
  flag?: string;
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

const TOKEN_MIN = 32;
const TOKEN_MAX = 4096;

/** A bearer token: 32 to 4096 visible ASCII characters; the value never appears in an error. */
function token(raw: string, name: string): SecretText | undefined {
  if (raw === '') return undefined; // set but empty: off, as unset
  if (raw.length < TOKEN_MIN || raw.length > TOKEN_MAX || !/^[\x21-\x7e]+$/.test(raw))
    return bad(name, '<redacted>', `expected a token of ${TOKEN_MIN} to ${TOKEN_MAX} visible ASCII characters (no spaces), e.g. 32 random bytes as hex`);
  return new SecretText(raw);
}

/** A token read from a file (trailing newline and spaces dropped). */
function tokenFile(raw: string, name: string): SecretText | undefined {
  if (raw === '') return undefined;
  let text: string;
  try {
    text = readFileSync(raw, 'utf8');
  } catch (e) {
    return bad(name, raw, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return token(text.replace(/\s+$/, ''), `${name} (${raw})`) ?? bad(name, raw, 'the file is empty');
}

/** A KEK given inline: 64 hex characters; the message never echoes the value. Empty = unset. */
function kek(raw: string, name: string): Kek | undefined {
  if (raw === '') return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(raw.trim())) return bad(name, '<redacted>', 'expected 64 hex characters (a 32-byte key)');
  try {
    return Kek.fromHex(raw, name);
  } catch {
    return bad(name, '<redacted>', 'expected a non-zero 32-byte key');
  }
}

function path(what: string) {
  return (raw: string, name: string): string | undefined => (raw === '' ? undefined : raw.trim().length > 0 ? raw : bad(name, raw, `expected ${what}`));
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
  { env: 'TKEY_METRICS', flag: '--metrics', key: 'metrics', parse: (raw, name) => (raw === '1' ? true : raw === '0' ? false : bad(name, raw, 'expected 0 or 1')) },
  { env: 'TKEY_METRICS_TOKEN', key: 'metricsToken', parse: token },
  { env: 'TKEY_ADMIN_TOKEN', key: 'adminToken', parse: token },
  { env: 'TKEY_ADMIN_TOKEN_FILE', flag: '--admin-token-file', key: 'adminToken', parse: tokenFile },
  { env: 'TKEY_MODE', flag: '--mode', key: 'mode', parse: (raw, name) => (raw === 'development' || raw === 'production' ? raw : bad(name, raw, 'expected development or production')) },
  { env: 'TKEY_OIDC_ISSUERS', flag: '--oidc-issuers', key: 'oidcIssuers', parse: (raw, name) => parseIssuers(raw, name) },
  { env: 'TKEY_DEV_ISSUER', flag: '--dev-issuer', key: 'devIssuer', parse: (raw, name) => (raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' || raw === '' ? false : bad(name, raw, 'expected 1 or 0')) },
  { env: 'TKEY_SESSION_TTL_S', flag: '--session-ttl-s', key: 'sessionTtlS', parse: int(30, 86_400) },
  { env: 'TKEY_MAX_ACCOUNT_SESSIONS', flag: '--max-account-sessions', key: 'maxAccountSessions', parse: int(1, 1000) },
  { env: 'TKEY_MAX_ACCOUNT_PRESIGS', flag: '--max-account-presigs', key: 'maxAccountPresigs', parse: int(0, 100_000) },
  { env: 'TKEY_SIGN_RATE_ACCOUNT', flag: '--sign-rate-account', key: 'signRateAccount', parse: int(1, 1_000_000) },
  { env: 'TKEY_SERVER_KEK', key: 'serverKek', parse: kek },
  { env: 'TKEY_SERVER_KEK_FILE', flag: '--server-kek-file', key: 'serverKekFile', parse: path('a KEK file path') },
  { env: 'TKEY_SERVER_KEK_PREVIOUS', key: 'serverKekPrevious', parse: kek },
  { env: 'TKEY_SERVER_KEK_PREVIOUS_FILE', flag: '--server-kek-previous-file', key: 'serverKekPreviousFile', parse: path('a KEK file path') },
  { env: 'TKEY_SERVICE_PRIMES_FILE', flag: '--service-primes-file', key: 'servicePrimesFile', parse: path('a primes file path') },
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
  metrics: true,
  mode: 'production',
  oidcIssuers: [],
  devIssuer: false,
  sessionTtlS: 900,
  maxAccountSessions: 4,
  maxAccountPresigs: 100,
  signRateAccount: 120,
  serviceKeys: [],
};

/** The co-signing service runs when someone can log in to it. */
export const serviceEnabled = (c: ServerConfig): boolean => c.oidcIssuers.length > 0 || c.devIssuer;

/** Build the configuration from `env` and `argv` (flags `--name value` or `--name=value`). */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): ServerConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!SETTINGS.some((s) => s.flag === name)) fail('CONFIG_INVALID', `${a}: unknown flag (known: ${SETTINGS.flatMap((s) => (s.flag ? [s.flag] : [])).join(' ')})`, { setting: a });
    if (!SETTINGS.some((s) => s.flag !== undefined && s.flag === name)) fail('CONFIG_INVALID', `${name}: unknown flag (known: ${SETTINGS.flatMap((s) => (s.flag ? [s.flag] : [])).join(' ')})`, { setting: name });
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) fail('CONFIG_INVALID', `${name}: expected a value`, { setting: name });
    flags.set(name, value);
  }
  const cfg: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const fileFlag = flags.get('--admin-token-file') ?? env.TKEY_ADMIN_TOKEN_FILE;
  if (env.TKEY_ADMIN_TOKEN && fileFlag)
    fail('CONFIG_INVALID', 'TKEY_ADMIN_TOKEN and TKEY_ADMIN_TOKEN_FILE (--admin-token-file) are both set: set one', { setting: 'TKEY_ADMIN_TOKEN' });
  for (const s of SETTINGS) {
    const fromFlag = s.flag === undefined ? undefined : flags.get(s.flag);
    const raw = fromFlag ?? env[s.env];
    if (raw === undefined) continue;
    const v = s.parse(raw, fromFlag !== undefined ? s.flag! : s.env);
    if (v !== undefined) cfg[s.key] = v;
  }
  const c = cfg as unknown as ServerConfig;
  if (c.maxValueBytes > c.bodyLimit) fail('CONFIG_INVALID', `TKEY_MAX_VALUE_BYTES=${c.maxValueBytes}: must not exceed TKEY_BODY_LIMIT=${c.bodyLimit}`, { setting: 'TKEY_MAX_VALUE_BYTES' });
  if (c.devIssuer && c.mode !== 'development')
    fail('CONFIG_INVALID', `TKEY_DEV_ISSUER=1: the development issuer mints tokens for anyone; it runs only with TKEY_MODE=development (mode is ${c.mode})`, { setting: 'TKEY_DEV_ISSUER' });
  return c;
}
