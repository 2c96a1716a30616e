/**
 * Versioned PostgreSQL migrations, applied in order at start under an advisory lock (see
 * `migrate.ts`). Never edit a released migration: add the next version. Kept as TypeScript strings
 * so `tsc` ships them in `dist/` with no copy step.
 * @module
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rows, accounts, locks',
    sql: `
CREATE TABLE tkey_rows (
  id         BIGSERIAL PRIMARY KEY,
  key        TEXT   NOT NULL,          -- pub_key_X \\x1c pub_key_Y \\x1c namespace, verbatim
  value      TEXT   NOT NULL,          -- set_data.data
  signature  TEXT   NOT NULL,          -- the owner signature as sent
  ts         BIGINT NOT NULL,          -- the signed timestamp (unix s)
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tkey_rows_key_id ON tkey_rows (key, id DESC);
CREATE INDEX tkey_rows_key_signature ON tkey_rows (key, signature);
CREATE TABLE tkey_accounts (
  account    TEXT PRIMARY KEY,         -- compressed SEC1 hex of G·k_m
  nonce      BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE tkey_locks (
  key        TEXT PRIMARY KEY,         -- uncompressed hex of G·k_m, as sent
  id         TEXT NOT NULL,
  expires_ms BIGINT NOT NULL
);`,
  },
  {
    version: 2,
    name: 'service state',
    sql: `
CREATE TABLE tkey_state (
  kind       TEXT   NOT NULL,          -- account, presig, service-key, used-token, …
  key        TEXT   NOT NULL,
  epoch      BIGINT NOT NULL DEFAULT 0, -- a presignature's epoch, a token's expiry (unix s); 0 when none
  version    BIGINT NOT NULL,          -- 1 at insert, +1 per write (compare-and-set)
  value      BYTEA  NOT NULL,          -- sealed by the service (XChaCha20-Poly1305 under the KEK) where secret
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, key)
);
CREATE INDEX tkey_state_kind_epoch ON tkey_state (kind, epoch);`,
  },
];
