/**
 * The torus-metadata API, byte-compatible with the reference server (`tkey-formats.md` §2.6):
 *   POST /get              {pub_key_X, pub_key_Y, namespace?}          → {message: latest value | ""}
 *   POST /set              {pub_key_X, pub_key_Y, namespace?, set_data: {data, timestamp}, signature} → {message: ""}
 *   POST /bulk_set_stream  multipart fields "0", "1", … each JSON.stringify(set params), one transaction → {message: ""}
 *   POST /acquireLock      {key, data: {timestamp}, signature}           → {status: 1, id} | {status: 0}
 *   POST /releaseLock      {key, data: {timestamp}, signature, id}       → {status: 1 | 2 | 0}
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { fail } from '../errors.js';
import type { ServerContext } from './context.js';
import { verifyLockParams, type LockParams, type SetParams } from './owner-signature.js';
import { getParamsSchema, lockSchema, setParamsSchema } from './schemas.js';
import type { Row } from './store/types.js';

/** Lock TTL of the reference server (s). */
export const LOCK_TTL_S = 90;
/** Namespaces `/set` refuses (the reference reserves them for its nonce service). */
const RESERVED_NAMESPACES = ['noncev2', 'pub_noncev2'];

/** Verify writes (timestamp window, owner signature) and turn them into rows. */
export async function rowsOf(ctx: ServerContext, writes: readonly { params: SetParams; title: string }[]): Promise<Row[]> {
  const timestamps = await ctx.verifier.verify(writes, ctx.nowS());
  return writes.map(({ params: p }, i) => ({ pubX: p.pub_key_X, pubY: p.pub_key_Y, namespace: p.namespace ?? '', value: p.set_data.data, signature: p.signature, timestamp: timestamps[i]! }));
}

/** Count each distinct owner key of `rows` against the per-account limit. */
function limitOwners(ctx: ServerContext, rows: readonly Row[]): void {
  const owners = new Map<string, number>();
  for (const r of rows) owners.set(r.pubX, (owners.get(r.pubX) ?? 0) + 1);
  for (const [x, n] of owners) ctx.limiter.hit(`owner:${x}`, n, 'owner key');
}

export function registerTorusRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const setSchema = setParamsSchema(ctx.cfg);

  app.post<{ Body: { pub_key_X: string; pub_key_Y: string; namespace?: string } }>('/get', { schema: { body: getParamsSchema } }, async (req) => {
    const b = req.body;
    const [value] = await ctx.store.getLatest([{ pubX: b.pub_key_X, pubY: b.pub_key_Y, namespace: b.namespace ?? '' }]);
    return { message: value ?? '' };
  });

  app.post<{ Body: SetParams }>('/set', { schema: { body: setSchema } }, async (req) => {
    if (RESERVED_NAMESPACES.includes(req.body.namespace ?? '')) fail('INVALID_ARGUMENT', `namespace ${req.body.namespace} is reserved`);
    const rows = await rowsOf(ctx, [{ params: req.body, title: 'request' }]);
    limitOwners(ctx, rows);
    await ctx.store.appendRows(rows);
    return { message: '' };
  });

  app.post('/bulk_set_stream', async (req) => {
    if (!req.isMultipart()) fail('INVALID_ARGUMENT', 'expected multipart/form-data with fields "0", "1", …');
    const validate = req.compileValidationSchema(setSchema);
    const fields: { index: number; params: SetParams }[] = [];
    const seen = new Set<number>();
    let total = 0;
    for await (const part of req.parts()) {
      if (part.type !== 'field') fail('INVALID_ARGUMENT', `part ${part.fieldname}: files are not accepted`);
      if (!/^(0|[1-9]\d{0,4})$/.test(part.fieldname)) fail('INVALID_ARGUMENT', `field ${JSON.stringify(part.fieldname.slice(0, 16))}: expected a name "0", "1", …`);
      const index = Number(part.fieldname);
      if (seen.has(index)) fail('INVALID_ARGUMENT', `field ${index}: duplicated`);
      seen.add(index);
      if (part.valueTruncated) fail('PAYLOAD_TOO_LARGE', `field ${index}: larger than ${ctx.cfg.maxValueBytes + 4096} bytes`, { index, limit: ctx.cfg.maxValueBytes + 4096 });
      const text = String(part.value);
      total += text.length;
      if (total > ctx.cfg.bodyLimit) fail('PAYLOAD_TOO_LARGE', `request larger than ${ctx.cfg.bodyLimit} bytes`, { limit: ctx.cfg.bodyLimit });
      let params: unknown;
      try {
        params = JSON.parse(text);
      } catch {
        fail('INVALID_JSON', `field ${index}: not JSON`, { index });
      }
      if (!validate(params)) fail('INVALID_ARGUMENT', `field ${index}: ${validate.errors?.[0]?.instancePath ?? ''} ${validate.errors?.[0]?.message ?? 'invalid'}`.trim(), { index });
      fields.push({ index, params: params as SetParams });
    }
    if (fields.length === 0) fail('INVALID_ARGUMENT', 'no fields');
    fields.sort((a, b) => a.index - b.index);
    const rows = await rowsOf(ctx, fields.map((f) => ({ params: f.params, title: `field ${f.index}` })));
    limitOwners(ctx, rows);
    await ctx.store.appendRows(rows);
    return { message: '' };
  });

  app.post<{ Body: LockParams }>('/acquireLock', { schema: { body: lockSchema(false) } }, async (req) => {
    verifyLockParams(req.body, ctx.nowS());
    ctx.limiter.hit(`lock:${req.body.key}`, 1, 'lock key');
    const id = await ctx.store.acquireLock(req.body.key, ctx.clock(), LOCK_TTL_S * 1000);
    return id === null ? { status: 0 } : { status: 1, id };
  });

  app.post<{ Body: LockParams & { id: string } }>('/releaseLock', { schema: { body: lockSchema(true) } }, async (req) => {
    verifyLockParams(req.body, ctx.nowS());
    return { status: await ctx.store.releaseLock(req.body.key, req.body.id, ctx.clock()) };
  });
}
