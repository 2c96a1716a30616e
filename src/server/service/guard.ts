/**
 * `ServiceGuard`: the server's `RpcGuard` (see `src/client/service-rpc.ts`) — logins with OIDC ID
 * tokens (`auth/oidc.ts`), service sessions (`auth/session-token.ts`), authorization where the
 * secret lives (`ServiceParty.authorize`: keygen binds the account to the login's (iss, sub),
 * everything else needs the same subject) and the per-account caps (`caps.ts`). It also counts the
 * sessions under way so a shutdown can wait for them, and refuses new work once draining
 * (`SERVER_UNAVAILABLE`: the client fails over).
 * @module
 */
import { bytesToHex } from '../../bytes.js';
import { fail } from '../../errors.js';
import type { ServiceParty } from '../../client/service-party.js';
import type { AccountRef } from '../../client/service-api.js';
import type { RpcGuard, ServiceGrant } from '../../client/service-rpc.js';
import type { OidcVerifier } from '../auth/oidc.js';
import type { SessionTokens } from '../auth/session-token.js';
import type { AccountCaps } from './caps.js';

export interface GuardEvents {
  /** A refused login / resume / call (code and reason only: never a token). */
  onRefused?: (info: { method: string; code: string; reason?: string }) => void;
  /** An admitted call starts; the returned function is called once when its session (or the call) ends, with its error if it failed. */
  onAdmitted?: (method: string) => (error?: unknown) => void;
}

export class ServiceGuard implements RpcGuard {
  readonly #party: ServiceParty;
  readonly #oidc: OidcVerifier;
  readonly #sessions: SessionTokens;
  readonly #caps: AccountCaps;
  readonly #clock: () => number;
  readonly #events: GuardEvents;
  #draining = false;
  #inflight = 0;
  #idle: (() => void)[] = [];

  constructor(o: { party: ServiceParty; oidc: OidcVerifier; sessions: SessionTokens; caps: AccountCaps; clock: () => number } & GuardEvents) {
    this.#party = o.party;
    this.#oidc = o.oidc;
    this.#sessions = o.sessions;
    this.#caps = o.caps;
    this.#clock = o.clock;
    this.#events = o;
  }

  nowS(): number {
    return Math.floor(this.#clock() / 1000);
  }

  async #refusing<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as { code?: string; details?: { reason?: string } };
      this.#events.onRefused?.({ method, code: err.code ?? 'INTERNAL_BUG', ...(err.details?.reason ? { reason: err.details.reason } : {}) });
      throw e;
    }
  }

  #open(): void {
    if (this.#draining) fail('SERVER_UNAVAILABLE', 'this server is shutting down; use another one');
  }

  login(idToken: unknown, devicePub: Uint8Array): Promise<ServiceGrant> {
    return this.#refusing('login', async () => {
      this.#open();
      const v = await this.#oidc.verify(idToken, devicePub);
      // never beyond the ID token's own life: a session outliving its token would extend the login
      return this.#sessions.issue(v.subject, devicePub, v.tokenExp);
    });
  }

  resume(session: unknown, devicePub: Uint8Array): Promise<ServiceGrant> {
    return this.#refusing('resume', async () => {
      this.#open();
      return this.#sessions.verify(session, devicePub);
    });
  }

  admit(call: { method: string; account: AccountRef; subject: { iss: string; sub: string }; sid?: Uint8Array }): Promise<(error?: unknown) => void> {
    return this.#refusing(call.method, async () => {
      this.#open();
      await this.#party.authorize(call.account, call.subject, call.method === 'keygenParticipant' ? 'create' : 'use');
      const key = this.#party.accountKey(call.account);
      const sid = call.sid instanceof Uint8Array && call.sid.length === 32 ? bytesToHex(call.sid) : undefined;
      const release = await this.#caps.admit(key, call.method, () => this.#party.presignatureCount(call.account), sid);
      this.#inflight++;
      const ended = this.#events.onAdmitted?.(call.method);
      let done = false;
      return (error?: unknown) => {
        if (done) return;
        done = true;
        release(error);
        ended?.(error);
        if (--this.#inflight === 0) for (const f of this.#idle.splice(0)) f();
      };
    });
  }

  /** Sessions admitted and not ended yet. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Refuse new work from now on; resolves when the sessions under way ended (or `ms` passed: false). */
  drain(ms: number): Promise<boolean> {
    this.#draining = true;
    if (this.#inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.#idle.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}
