/**
 * Typed JSON errors over HTTP: every failure answers `{code, message, details?, success: false}`
 * with a stable `code` from `src/errors.ts` and the status that fits it. (`success: false` is the
 * reference server's error marker, so its clients keep recognising failures.)
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isTkeyTssError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  INVALID_SIGNATURE: 403,
  TIMESTAMP_OUT_OF_WINDOW: 403,
  STORAGE_CONFLICT: 409,
  REPLAYED_WRITE: 409,
  STORAGE_LOCKED: 409,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  STORAGE_IO: 503,
  STORAGE_FULL: 507,
  STORAGE_CORRUPT: 500,
  INTERNAL_BUG: 500,
};

/** Details safe to echo to a client (no values, no signatures). */
const SAFE_DETAILS = ['index', 'field', 'limit', 'retryAfterSeconds', 'expected', 'actual', 'account'] as const;

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  success: false;
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  const out: ErrorBody = { code, message, success: false };
  if (details) {
    const safe: Record<string, unknown> = {};
    for (const k of SAFE_DETAILS) if (details[k] !== undefined) safe[k] = details[k];
    if (Object.keys(safe).length > 0) out.details = safe;
  }
  return out;
}

/** Map any thrown error to (status, body). */
export function toHttpError(e: unknown): { status: number; body: ErrorBody } {
  if (isTkeyTssError(e)) {
    const kind = ERROR_CODES[e.code as ErrorCode]?.kind;
    const status = STATUS[e.code as ErrorCode] ?? (kind === 'InvalidInput' ? 400 : kind === 'StorageConflict' ? 409 : kind === 'NotFound' ? 404 : 500);
    const message = e.message.replace(/^\[[A-Z_]+\] /, '');
    return { status, body: errorBody(e.code, status >= 500 && e.code === 'INTERNAL_BUG' ? 'internal error' : message, e.details) };
  }
  const fe = e as Partial<FastifyError> & { validation?: unknown };
  if (fe?.validation) return { status: 400, body: errorBody('INVALID_ARGUMENT', `request ${fe.message ?? 'is invalid'}`) };
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, body: errorBody('PAYLOAD_TOO_LARGE', fe.message ?? 'request too large') };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody('INVALID_JSON', fe.message ?? 'invalid JSON body') };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { status: 415, body: errorBody('INVALID_ARGUMENT', fe.message ?? 'unsupported content type') };
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return { status: fe.statusCode, body: errorBody('INVALID_ARGUMENT', fe.message ?? 'bad request') };
  return { status: 500, body: errorBody('INTERNAL_BUG', 'internal error') };
}

/** The fastify error handler: typed body, Retry-After on 429, 5xx logged (without the body). */
export function handleError(e: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toHttpError(e);
  if (status >= 500) req.log.error({ err: e }, 'request failed');
  if (status === 429) reply.header('retry-after', String(body.details?.retryAfterSeconds ?? 60));
  void reply.status(status).send(body);
}
