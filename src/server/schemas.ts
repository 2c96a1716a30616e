/**
 * JSON schemas of the request bodies (fastify validates them with ajv before a handler runs; no
 * type coercion, unknown fields refused where the reference server refuses them).
 * @module
 */
import type { ServerConfig } from './config.js';

export const hexCoord = { type: 'string', pattern: '^[0-9a-fA-F]{1,64}$' } as const;
/** Any text without control characters (ours include '/', e.g. `tkey-tss/checkpoint/<pub>/<tag>`), ≤ 256 characters. */
export const namespace = { type: 'string', maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
export const account = { type: 'string', pattern: '^0[23][0-9a-f]{64}$' } as const;

/** One signed write, as `/set` takes it and as each bulk field / batch write carries it. */
export function setParamsSchema(cfg: Pick<ServerConfig, 'maxValueBytes'>, namespaceRequired = false) {
  return {
    type: 'object',
    required: ['pub_key_X', 'pub_key_Y', 'set_data', 'signature', ...(namespaceRequired ? ['namespace'] : [])],
    additionalProperties: false,
    properties: {
      pub_key_X: hexCoord,
      pub_key_Y: hexCoord,
      namespace,
      set_data: {
        type: 'object',
        required: ['data', 'timestamp'],
        additionalProperties: false,
        properties: {
          data: { type: 'string', maxLength: cfg.maxValueBytes },
          timestamp: { type: 'string', pattern: '^[0-9a-fA-F]{1,12}$' },
        },
      },
      signature: { type: 'string', minLength: 1, maxLength: 88 },
    },
  } as const;
}

export const getParamsSchema = {
  type: 'object',
  required: ['pub_key_X', 'pub_key_Y'],
  properties: { pub_key_X: hexCoord, pub_key_Y: hexCoord, namespace },
} as const;

export function lockSchema(release: boolean) {
  return {
    type: 'object',
    required: ['key', 'data', 'signature', ...(release ? ['id'] : [])],
    additionalProperties: false,
    properties: {
      key: { type: 'string', pattern: '^[0-9a-fA-F]{1,130}$' },
      data: { type: 'object', required: ['timestamp'], additionalProperties: false, properties: { timestamp: { type: 'integer', minimum: 0 } } },
      signature: { type: 'string', pattern: '^[0-9a-fA-F]{2,144}$' },
      ...(release ? { id: { type: 'string', minLength: 1, maxLength: 7 } } : {}),
    },
  } as const;
}

/** The batch's signature: a torus-form signed statement by the account or a trusted service key (+ the torus lock signature, ignored here). */
const batchAuthSchema = {
  type: 'object',
  required: ['signer', 'set_data', 'signature'],
  additionalProperties: false,
  properties: {
    signer: account,
    set_data: {
      type: 'object',
      required: ['data', 'timestamp'],
      additionalProperties: false,
      properties: { data: { type: 'string', maxLength: 1024 }, timestamp: { type: 'string', pattern: '^[0-9a-fA-F]{1,12}$' } },
    },
    signature: { type: 'string', minLength: 1, maxLength: 88 },
    lock: { type: 'object' },
  },
} as const;

export function batchSchema(cfg: Pick<ServerConfig, 'maxValueBytes' | 'maxWrites'>) {
  return {
    type: 'object',
    required: ['account', 'baseNonce', 'nonce', 'writes', 'auth'],
    additionalProperties: false,
    properties: {
      account,
      baseNonce: { type: ['integer', 'null'], minimum: 0 },
      nonce: { type: 'integer', minimum: 0 },
      writes: { type: 'array', minItems: 1, maxItems: cfg.maxWrites, items: setParamsSchema(cfg, true) },
      auth: batchAuthSchema,
    },
  } as const;
}

const addressSchema = {
  type: 'object',
  required: ['pub_key_X', 'pub_key_Y', 'namespace'],
  additionalProperties: false,
  properties: { pub_key_X: hexCoord, pub_key_Y: hexCoord, namespace },
} as const;

export function v1GetSchema(cfg: Pick<ServerConfig, 'maxWrites'>) {
  return {
    type: 'object',
    required: ['addresses'],
    additionalProperties: false,
    properties: { addresses: { type: 'array', maxItems: cfg.maxWrites * 4, items: addressSchema }, account },
  } as const;
}

export const v1NonceSchema = { type: 'object', required: ['account'], additionalProperties: false, properties: { account } } as const;
