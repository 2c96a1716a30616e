/**
 * The admin API: operator actions on the co-signing service, behind `Authorization: Bearer
 * <TKEY_ADMIN_TOKEN>` (401 `AUTH_REQUIRED` without it, 403 `FORBIDDEN` with another token). The
 * routes exist only when an admin token is configured AND the process runs a co-signing service
 * (`AdminTarget`); otherwise `/admin/*` is a plain 404. Every action is logged (audit), no answer
 * carries a secret (share records are read for their epochs and lock, and wiped at once).
 *
 * | request | response |
 * |---|---|
 * | `GET /admin/accounts?limit=&after=` | `{accounts: [AccountSummary…], next}` (sorted by id; `next` = the `after` of the next page, or null) |
 * | `GET /admin/accounts/:account/aborts` | `{account, history: {entries, lock, clears} \| null}` |
 * | `POST /admin/accounts/:account/clear-lock` | `{account, cleared: {culprit, count, since} \| null}` |
 * | `POST /admin/sweep {abandonAfterMs?}` | `{accounts, dropped}` (`ServiceParty.sweep`) |
 *
 * `:account` is the service's account id `<compressed metadata public key hex>/<tssTag>`
 * (URL-encoded; a bare key means tssTag `default`); an account the service holds nothing for is
 * 404 `NOT_FOUND`.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { bytesToHex, hexToBytes, wipe } from '../../bytes.js';
import { fail, NotFound } from '../../errors.js';
import { DEFAULT_TSS_TAG } from '../../tss/tss-tag.js';
import type { AbortLock } from '../../client/abort-record.js';
import { shareBuffers, type ServiceParty, type ServiceShareStore } from '../../client/service-party.js';
import type { AccountRef } from '../../client/service-api.js';
import { requireBearer } from './bearer-auth.js';
import type { ServerMetrics } from './metrics.js';
import type { SecretText } from './secret-text.js';

/** What the admin API acts on: the co-signing service and its share store (for the account list). */
export interface AdminTarget {
  party: Pick<ServiceParty, 'abortRecord' | 'clearAbortLock' | 'sweep'>;
  shares: Pick<ServiceShareStore, 'accounts' | 'get'>;
}

/** One account as `GET /admin/accounts` lists it (public data only). */
export interface AccountSummary {
  /** The service's account id: `<metadataPub hex>/<tssTag>`. */
  account: string;
  metadataPub: string;
  tssTag: string;
  /** The epoch (tssNonce) of the confirmed share; null before the account's creation is durable. */
  confirmedEpoch: number | null;
  /** Epochs staged by refreshes (or a keygen) not yet seen durable. */
  pendingEpochs: number[];
  locked: boolean;
  lock: AbortLock | null;
  /** Aborts recorded (the newest 64 kept). */
  aborts: number;
}

const PAGE_DEFAULT = 100;
const PAGE_MAX = 1000;
const TAG_MAX = 256;

/** The account id in a path → `AccountRef` (shape only; the party checks the key is a curve point). */
export function parseAccountId(id: string): AccountRef {
  const slash = id.indexOf('/');
  const hex = slash < 0 ? id : id.slice(0, slash);
  const tssTag = slash < 0 ? DEFAULT_TSS_TAG : id.slice(slash + 1);
  if (!/^0[23][0-9a-fA-F]{64}$/.test(hex)) fail('INVALID_ARGUMENT', 'account: expected <compressed metadata public key, 66 hex>/<tssTag>');
  if (tssTag.length === 0 || tssTag.length > TAG_MAX) fail('INVALID_ARGUMENT', `account: the tssTag must have 1 to ${TAG_MAX} characters`);
  return { metadataPub: hexToBytes(hex.toLowerCase()), tssTag };
}

const idOf = (ref: AccountRef): string => `${bytesToHex(ref.metadataPub)}/${ref.tssTag}`;

export interface AdminRoutesOptions {
  token: SecretText;
  target: AdminTarget;
  metrics: ServerMetrics;
}

const accountParams = {
  type: 'object',
  required: ['account'],
  properties: { account: { type: 'string', minLength: 66, maxLength: 66 + 1 + TAG_MAX } },
} as const;

/** Register the admin routes under `/admin` (an encapsulated scope: the token hook guards only them). */
export async function registerAdminRoutes(app: FastifyInstance, opts: AdminRoutesOptions): Promise<void> {
  const { target } = opts;
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', requireBearer(opts.token, 'admin', opts.metrics));

      /** The account's record must exist (read, then its shares wiped). */
      const assertKnown = async (ref: AccountRef): Promise<void> => {
        const rec = await target.shares.get(idOf(ref));
        if (!rec) throw new NotFound(`the co-signing service holds nothing for account ${idOf(ref).slice(0, 20)}…`);
        wipe(...shareBuffers(rec));
      };

      scope.get(
        '/accounts',
        {
          schema: {
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, after: { type: 'string', maxLength: 66 + 1 + TAG_MAX } },
            },
          },
        },
        async (req) => {
          const q = req.query as { limit?: string; after?: string };
          const limit = q.limit === undefined ? PAGE_DEFAULT : Number(q.limit);
          if (limit < 1 || limit > PAGE_MAX) fail('OUT_OF_RANGE', `limit: expected 1 to ${PAGE_MAX}`, { limit: PAGE_MAX });
          const ids = (await target.shares.accounts()).filter((k) => q.after === undefined || k > q.after).sort();
          const accounts: AccountSummary[] = [];
          let i = 0;
          for (; i < ids.length && accounts.length < limit; i++) {
            const rec = await target.shares.get(ids[i]!);
            if (!rec) continue; // deleted meanwhile (a sweep)
            wipe(...shareBuffers(rec));
            accounts.push({
              account: ids[i]!,
              metadataPub: bytesToHex(rec.metadataPub),
              tssTag: rec.tssTag,
              confirmedEpoch: rec.confirmed?.tssNonce ?? null,
              pendingEpochs: rec.pending.map((p) => p.tssNonce),
              locked: Boolean(rec.aborts?.lock),
              lock: rec.aborts?.lock ?? null,
              aborts: rec.aborts?.entries.length ?? 0,
            });
          }
          return { accounts, next: i < ids.length && accounts.length > 0 ? accounts.at(-1)!.account : null };
        },
      );

      scope.get('/accounts/:account/aborts', { schema: { params: accountParams } }, async (req) => {
        const ref = parseAccountId((req.params as { account: string }).account);
        await assertKnown(ref);
        return { account: idOf(ref), history: await target.party.abortRecord(ref) };
      });

      scope.post('/accounts/:account/clear-lock', { schema: { params: accountParams } }, async (req) => {
        const ref = parseAccountId((req.params as { account: string }).account);
        await assertKnown(ref);
        const cleared = await target.party.clearAbortLock(ref);
        req.log.info({ admin: 'clear-lock', account: idOf(ref), cleared }, cleared ? 'admin: abort lock cleared' : 'admin: clear-lock, the account was not locked');
        return { account: idOf(ref), cleared };
      });

      scope.post(
        '/sweep',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              properties: { abandonAfterMs: { type: 'integer', minimum: 0, maximum: 10 * 365 * 24 * 3600 * 1000 } },
            },
          },
        },
        async (req) => {
          const { abandonAfterMs } = (req.body ?? {}) as { abandonAfterMs?: number };
          const result = await target.party.sweep(abandonAfterMs === undefined ? {} : { abandonAfterMs });
          req.log.info({ admin: 'sweep', abandonAfterMs, ...result }, 'admin: sweep');
          return result;
        },
      );
    },
    { prefix: '/admin' },
  );
}
