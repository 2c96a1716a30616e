/**
 * What the server's JSON logs (fastify's pino) never show: credentials, session material, signed
 * writes, keys. Two mechanisms:
 *
 * * `LOG_REDACT`: pino `redact` paths — every key in `SECRET_KEYS` at the top level and up to
 *   three objects (or arrays of objects) deep is replaced by `[redacted]`, plus the
 *   `Authorization`, `Cookie` and `Set-Cookie` headers wherever a `headers` object is logged;
 * * `requestSerializer`: the per-request line logs method, URL, host and peer only, and the URL's
 *   query VALUES are dropped (`?session=[redacted]`): a token in a query string (a browser
 *   WebSocket cannot send headers) never reaches a log. Bodies are never logged.
 *
 * A message string cannot be redacted: code must not put secrets into messages (house rule).
 * @module
 */
import type { FastifyRequest } from 'fastify';

export const CENSOR = '[redacted]';

/** Keys whose values are secret wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'idToken',
  'id_token',
  'accessToken',
  'access_token',
  'session',
  'sessionToken',
  'set_data',
  'signature',
  'share',
  'shares',
  'secret',
  'password',
  'kek',
  'serverKek',
  'TKEY_SERVER_KEK',
  'adminToken',
  'metricsToken',
  'TKEY_ADMIN_TOKEN',
  'TKEY_METRICS_TOKEN',
  'databaseUrl',
  'DATABASE_URL',
] as const;

const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`);
const prefixes = ['', '*', '*.*', '*.*.*', '*[*]', '*.*[*]', '*.*.*[*]'];

/** The pino `redact` option. */
export const LOG_REDACT: { paths: string[]; censor: string } = {
  paths: SECRET_KEYS.flatMap((k) => prefixes.map((p) => (p === '' ? (key(k).startsWith('.') ? k : key(k)) : p + key(k)))),
  censor: CENSOR,
};

/** `url` with every query value replaced (`/v1/bus?session=x&v=1` → `/v1/bus?session=[redacted]&v=[redacted]`). */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return `${(eq < 0 ? p : p.slice(0, eq)).slice(0, 64)}=${CENSOR}`;
    });
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** The `req` serializer of the per-request log lines. */
export function requestSerializer(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactQuery(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
