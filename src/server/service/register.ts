/**
 * `registerService`: the co-signing service in the server's fastify app (`buildServer({service})`).
 *
 *   GET /v1/service  → {busPub, identityPub (hex SEC1), version, devIssuer: bool}
 *   WS  /v1/bus      → the bus (handshake + secure channel), RPC with login (`bus-endpoint.ts`)
 *   /dev/issuer/*    → the development issuer, only with `devIssuer` on (development mode)
 *
 * It wires the OIDC verifier (configured issuers + the development issuer), the session tokens
 * (MAC key derived from the service identity key), the per-account caps and the guard.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { bytesToHex } from '../../bytes.js';
import { fail } from '../../errors.js';
import { Identity } from '../../bus/secure-channel.js';
import type { ServiceParty } from '../../client/service-party.js';
import { DevIssuer } from '../auth/dev-issuer.js';
import { OidcVerifier } from '../auth/oidc.js';
import { SessionTokens } from '../auth/session-token.js';
import type { UsedTokens } from '../auth/types.js';
import { MemoryUsedTokens } from '../auth/used-tokens.js';
import type { ServerConfig } from '../config.js';
import { attachBus } from './bus-endpoint.js';
import { AccountCaps } from './caps.js';
import { ServiceGuard } from './guard.js';
import type { ErrorCode } from '../../errors.js';
import { sessionOutcome, type SessionProtocol } from '../ops/metrics.js';

/** The metrics protocol of each RPC method that opens a session. */
const SESSION_OF: Record<string, SessionProtocol | undefined> = {
  keygenParticipant: 'keygen',
  refreshParticipant: 'refresh',
  auxParticipant: 'aux',
  presignParticipant: 'presign',
  signParticipant: 'sign',
  signOnline: 'sign',
};

/** What `buildServer` needs to run the co-signing service (`compose.ts` builds it for `serve`). */
export interface ServiceOptions {
  party: ServiceParty;
  /** The bus identity key (secure channel), shared by every node. Secret. */
  busKey: Uint8Array;
  /** The service identity key (the party's; every node shares it): the session MAC key is derived from it. Secret. */
  identityKey: Uint8Array;
  /** The ID-token replay cache (default: in memory, this node only). */
  usedTokens?: UsedTokens;
}

export interface RegisteredService {
  guard: ServiceGuard;
  devIssuer: DevIssuer | null;
}

export async function registerService(app: FastifyInstance, cfg: ServerConfig, clock: () => number, s: ServiceOptions, version: string): Promise<RegisteredService> {
  if (cfg.devIssuer && cfg.mode !== 'development') fail('CONFIG_INVALID', 'TKEY_DEV_ISSUER=1 runs only with TKEY_MODE=development', { setting: 'TKEY_DEV_ISSUER' });
  const oidc = new OidcVerifier(cfg.oidcIssuers, { usedTokens: s.usedTokens ?? new MemoryUsedTokens({ nowS: () => Math.floor(clock() / 1000) }), clock });
  let devIssuer: DevIssuer | null = null;
  if (cfg.devIssuer) {
    devIssuer = await DevIssuer.create();
    devIssuer.trustIn(oidc);
    devIssuer.register(app);
  }
  const sessions = new SessionTokens({ identityKey: s.identityKey, ttlS: cfg.sessionTtlS, clock });
  const guard = new ServiceGuard({
    party: s.party,
    oidc,
    sessions,
    caps: new AccountCaps(cfg, clock),
    clock,
    onRefused: (info) => {
      app.log.info(info, 'service call refused');
      if (info.code.startsWith('AUTH_') || info.code === 'FORBIDDEN') app.metrics.authFailure(info.code as ErrorCode, 'service');
    },
    onAdmitted: (method) => {
      const protocol = SESSION_OF[method];
      if (!protocol) return () => undefined;
      const t0 = performance.now();
      app.metrics.sessionStarted(protocol);
      return (error) => app.metrics.sessionEnded(protocol, error === undefined ? 'ok' : sessionOutcome(error), performance.now() - t0);
    },
  });
  const busPub = bytesToHex(new Identity(s.busKey).publicKey);
  const identityPub = bytesToHex(s.party.identityPub);
  app.get('/v1/service', async () => ({ busPub, identityPub, version, devIssuer: devIssuer !== null }));
  attachBus(app, { busKey: s.busKey, party: s.party, guard, shutdownTimeoutMs: cfg.shutdownTimeoutMs, upgradesPerMinuteIp: cfg.rateLimitIp, clock });
  app.addHook('onClose', async () => sessions.destroy());
  return { guard, devIssuer };
}
