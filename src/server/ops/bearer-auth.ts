/**
 * Bearer-token checks for the operator endpoints (admin API, `/metrics`): no or a malformed
 * `Authorization` header → 401 `AUTH_REQUIRED` (with `WWW-Authenticate: Bearer`), a wrong token
 * → 403 `FORBIDDEN`. The token is compared in constant time (`SecretText.matches`) and never
 * logged; each refusal is counted in `tkey_auth_failures_total{realm}` and logged at warn.
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInput, type ErrorCode } from '../../errors.js';
import type { AuthRealm, ServerMetrics } from './metrics.js';
import type { SecretText } from './secret-text.js';

/** `Authorization: Bearer <token>` → the token, else undefined (scheme case-insensitive, RFC 6750). */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return m?.[1];
}

/** A fastify onRequest hook refusing requests without the right bearer token. */
export function requireBearer(token: SecretText, realm: AuthRealm, metrics: ServerMetrics) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = bearerToken(req.headers.authorization);
    let code: ErrorCode | undefined;
    if (given === undefined) code = 'AUTH_REQUIRED';
    else if (!token.matches(given)) code = 'FORBIDDEN';
    if (code === undefined) return;
    metrics.authFailure(code, realm);
    req.log.warn({ realm, code }, `${realm} credential refused`);
    if (code === 'AUTH_REQUIRED') {
      void reply.header('www-authenticate', `Bearer realm="tkey-tss ${realm}"`);
      throw new InvalidInput(code, `the ${realm} endpoint needs Authorization: Bearer <token>`);
    }
    throw new InvalidInput(code, `the ${realm} token is not the configured one`);
  };
}
