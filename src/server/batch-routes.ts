/**
 * Our atomic batch endpoints (what `HttpMetadataStorage` maps `MetadataStorage` onto, 1:1):
 *   POST /v1/batch  {account, baseNonce, nonce, writes: [{pub_key_X, pub_key_Y, namespace, set_data, signature}]}
 *                   → {nonce, appended}; 409 STORAGE_CONFLICT {details: {expected, actual}} with nothing written
 *   POST /v1/get    {addresses: [{pub_key_X, pub_key_Y, namespace}], account?} → {values: (string | null)[], nonce?}
 *   POST /v1/nonce  {account} → {account, nonce: number | null}
 * Each write is checked exactly as `/set` checks it (timestamp window, owner signature). The batch
 * itself must be signed (`auth`): a torus-form signed set_data whose data is the canonical batch
 * statement (`src/metadata/write-auth.ts`: account, baseNonce, nonce, digest of every write's
 * address and value), by the account key (signer = account) or by a trusted co-signing service key
 * (`ctx.trustedSigners`). Without it anyone could move any account's nonce with writes to their own
 * keys (a conflict DoS). A refused batch writes nothing.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { fail } from '../errors.js';
import { batchAuthParams, type BatchBody } from './batch-auth.js';
import type { ServerContext } from './context.js';
import type { SetParams } from './owner-signature.js';
import { batchSchema, v1GetSchema, v1NonceSchema } from './schemas.js';
import { rowsOf } from './torus-routes.js';


interface GetBody {
  addresses: { pub_key_X: string; pub_key_Y: string; namespace: string }[];
  account?: string;
}

export function registerBatchRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: BatchBody }>('/v1/batch', { schema: { body: batchSchema(ctx.cfg) } }, async (req) => {
    const b = req.body;
    if (b.baseNonce !== null && b.nonce <= b.baseNonce) {
      fail('INVALID_ARGUMENT', `nonce ${b.nonce}: must be greater than baseNonce ${b.baseNonce}`);
    }
    const auth = batchAuthParams(ctx.trustedSigners, b);
    // the batch signature is verified last, with the writes (so a write's error index stays its own)
    const rows = await rowsOf(ctx, [...b.writes.map((w, i) => ({ params: w as SetParams, title: `writes[${i}]` })), { params: auth, title: 'auth' }]);
    rows.pop(); // the batch signature: verified, not a row
    ctx.limiter.hit(`account:${b.account}`, 1, 'account');
    const r = await ctx.store.commitBatch({ account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, rows });
    return { nonce: b.nonce, appended: r.appended };
  });

  app.post<{ Body: GetBody }>('/v1/get', { schema: { body: v1GetSchema(ctx.cfg) } }, async (req) => {
    const b = req.body;
    const values = await ctx.store.getLatest(b.addresses.map((a) => ({ pubX: a.pub_key_X, pubY: a.pub_key_Y, namespace: a.namespace })));
    const out: { values: (string | null)[]; nonce?: number | null } = { values: values.map((v) => v ?? null) };
    if (b.account !== undefined) out.nonce = await ctx.store.getNonce(b.account);
    return out;
  });

  app.post<{ Body: { account: string } }>('/v1/nonce', { schema: { body: v1NonceSchema } }, async (req) => {
    return { account: req.body.account, nonce: await ctx.store.getNonce(req.body.account) };
  });
}
