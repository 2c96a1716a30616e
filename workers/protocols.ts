/**
 * What crosses the worker boundary, as plain data (structured clone: bigints, Uint8Arrays, plain
 * objects and arrays — no class instances, no functions):
 *
 * - the protocols a party engine can run, by id (`EngineProtocol`), and how each one's input and
 *   output are turned into plain data on one side and revived on the other (`SecretShares`,
 *   `Presignature`, sealed `AuxInfo` do not survive a structured clone as themselves);
 * - errors (`PlainError`): a `TkeyTssError` keeps its kind, code, details, and a `ProtocolAbort`
 *   its reason, round and culprits, so the host rethrows the same typed error.
 *
 * Messages never pass through here: they travel as the canonical wire bytes (`encodeMessage`).
 * @module
 */
import { fail, InternalBug, InvalidInput, NotFound, ProtocolAbort, StorageConflict, TkeyTssError, type ErrorCode, type ErrorKind } from '../src/errors.js';
import { aux, auxRotation, sealAux, type AuxInfo, type AuxInput } from '../protocols/aux/index.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { Presignature, presign, type PresignatureData, type PresignInput, type PresignOutput } from '../protocols/presign/index.js';
import { refresh, refreshProtocol, type RefreshOutput } from '../protocols/refresh/index.js';
import { sign, type SignInput } from '../protocols/sign/index.js';
import type { Protocol } from '../protocols/types.js';
import { SecretShares } from '../protocols/util.js';
import { PrmPool, type PrmCommitment } from '../src/zk/prm-pool.js';

/** The protocols a party engine runs. `refresh/aux-rotation` = `refreshProtocol(auxRotation(extensionInput))`. */
export const ENGINE_PROTOCOLS = ['keygen', 'aux', 'refresh', 'refresh/aux-rotation', 'presign', 'sign'] as const;
export type EngineProtocol = (typeof ENGINE_PROTOCOLS)[number];

export function aEngineProtocol(p: unknown): EngineProtocol {
  if (!(ENGINE_PROTOCOLS as readonly unknown[]).includes(p)) fail('INVALID_ARGUMENT', `protocol: expected one of ${ENGINE_PROTOCOLS.join(', ')}`);
  return p as EngineProtocol;
}

// ---------------------------------------------------------------------------------------------
// errors

export interface PlainError {
  kind: ErrorKind | 'Error';
  code: string;
  message: string;
  details?: Record<string, unknown>;
  reason?: string;
  round?: number;
  culprits?: number[];
}

export function errorToPlain(e: unknown): PlainError {
  if (e instanceof ProtocolAbort) return { kind: 'ProtocolAbort', code: e.code, message: e.message, reason: e.reason, round: e.round, culprits: [...e.culprits] };
  if (e instanceof TkeyTssError) {
    let details: Record<string, unknown> | undefined;
    try {
      details = e.details === undefined ? undefined : structuredClone(e.details);
    } catch {
      details = undefined;
    }
    return { kind: e.kind, code: e.code, message: e.message, ...(details ? { details } : {}) };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: 'Error', code: 'INTERNAL_BUG', message: `${err.name}: ${err.message}`, details: { name: err.name } };
}

/** The typed error a `PlainError` describes (same class, code, message, details). */
export function errorFromPlain(p: PlainError): TkeyTssError {
  let e: TkeyTssError;
  const code = p.code as ErrorCode;
  switch (p.kind) {
    case 'ProtocolAbort':
      e = new ProtocolAbort(p.reason ?? 'UNKNOWN', p.round ?? 0, p.culprits ?? []);
      break;
    case 'InvalidInput':
      e = new InvalidInput(code, '', p.details);
      break;
    case 'StorageConflict':
      e = new StorageConflict('', p.details, code);
      break;
    case 'NotFound':
      e = new NotFound('', p.details, code);
      break;
    case 'InternalBug':
      e = new InternalBug('', p.details, code);
      break;
    default:
      e = new InternalBug('', { ...p.details, inWorker: true });
  }
  e.message = p.kind === 'Error' ? `[INTERNAL_BUG] in the worker: ${p.message}` : p.message;
  return e;
}

// ---------------------------------------------------------------------------------------------
// inputs and outputs

type Shares = [number, bigint][];
const sharesOut = (s: SecretShares): Shares => s.indices.map((i) => [i, s.scalar(i)]);

/** An aux input's prepared Πprm pool in plain form: its entries cross once (drained here, re-added in the worker). */
interface PlainPrmPool {
  N: bigint;
  t: bigint;
  entries: PrmCommitment[];
}
type PlainAuxInput = Omit<AuxInput, 'prmPool'> & { prmPool?: PlainPrmPool };

function auxInputOut(a: AuxInput): PlainAuxInput {
  if (typeof a !== 'object' || a === null || typeof a.key !== 'object' || a.key === null) fail('INVALID_ARGUMENT', 'aux input: expected {profile, key: {p, q}, ringPedersen?}');
  if (a.prmPool !== undefined && !(a.prmPool instanceof PrmPool)) fail('INVALID_ARGUMENT', 'aux input.prmPool: expected a PrmPool');
  const pool = a.prmPool;
  return {
    profile: a.profile,
    key: { p: a.key.p, q: a.key.q },
    ...(a.ringPedersen ? { ringPedersen: { s: a.ringPedersen.s, t: a.ringPedersen.t, lambda: a.ringPedersen.lambda } } : {}),
    // single use: the entries leave this thread's pool now (never used here and there)
    ...(pool ? { prmPool: { N: pool.N, t: pool.t, entries: pool.drain() } } : {}),
  };
}

/** Worker side: an aux input with its Πprm pool rebuilt (entries shape-checked by `PrmPool.add`). */
function auxInputIn(plain: unknown): unknown {
  const a = plain as PlainAuxInput;
  if (typeof a !== 'object' || a === null || a.prmPool === undefined) return plain;
  const { N, t, entries } = (a.prmPool ?? {}) as Partial<PlainPrmPool>;
  if (typeof N !== 'bigint' || typeof t !== 'bigint' || !Array.isArray(entries)) fail('INVALID_ARGUMENT', 'aux input.prmPool: expected {N, t, entries}');
  const pool = new PrmPool(N, t, Math.max(1, entries.length));
  pool.add(entries);
  return { ...a, prmPool: pool };
}

/** Host side: input → plain data, and a commit step that runs once the worker accepted it. */
export function inputToPlain(p: EngineProtocol, input: unknown): { plain: unknown; accepted?: () => void } {
  switch (p) {
    case 'aux':
      return { plain: auxInputOut(input as AuxInput) };
    case 'sign': {
      const i = input as SignInput;
      if (typeof i !== 'object' || i === null || !(i.presignature instanceof Presignature)) fail('INVALID_ARGUMENT', 'sign input: expected {presignature: Presignature, digest, publicKey, epoch, shift?}');
      // single use across the boundary: exported here (PRESIGN_USED if already consumed), burned
      // here once the worker's session accepted it, left intact if the worker refused it
      const data = i.presignature.exportData();
      return { plain: { ...i, presignature: data }, accepted: () => void i.presignature.consume() };
    }
    default:
      return { plain: input };
  }
}

/** Host side: the extension input (aux rotation) → plain data. */
export function extensionToPlain(p: EngineProtocol, ext: unknown): unknown {
  return p === 'refresh/aux-rotation' ? auxInputOut(ext as AuxInput) : undefined;
}

/** Host side: revive an output that left a worker. */
export function outputFromPlain(p: EngineProtocol, o: unknown): unknown {
  switch (p) {
    case 'keygen':
    case 'refresh':
    case 'refresh/aux-rotation': {
      const r = o as Omit<KeygenOutput, 'shares'> & { shares: Shares; extension?: unknown };
      const out = { ...r, shares: new SecretShares(r.shares) };
      if (p === 'refresh/aux-rotation' && out.extension) sealAux(out.extension as AuxInfo);
      return out;
    }
    case 'aux':
      return sealAux(o as AuxInfo);
    case 'presign': {
      const r = o as Omit<PresignOutput, 'presignature'> & { presignature: PresignatureData };
      return { ...r, presignature: Presignature.fromData(r.presignature) };
    }
    case 'sign':
      return o;
  }
}

/** Aux infos seen by this worker, by content: the memoised Paillier/ring-Pedersen objects of a signer group survive from session to session. */
const auxIntern = new Map<string, AuxInfo>();
export function internAux(a: AuxInfo): AuxInfo {
  if (typeof a !== 'object' || a === null || typeof a.secret !== 'object' || a.secret === null || !Array.isArray(a.parties)) return a;
  const h = (x: unknown) => (typeof x === 'bigint' ? x.toString(36) : String(x));
  const key = [a.profile, a.self, h(a.secret.p), h(a.secret.q), h(a.secret.lambda), ...a.parties.flatMap((e) => [e?.id, h(e?.N), h(e?.s), h(e?.t)])].join(':');
  const hit = auxIntern.get(key);
  if (hit) return hit;
  if (auxIntern.size >= 16) auxIntern.delete(auxIntern.keys().next().value!);
  auxIntern.set(key, a);
  return a;
}

/** Worker side: the protocol object and the revived input. */
export function protocolFor(p: EngineProtocol, ext: unknown): Protocol<unknown, unknown, unknown> {
  const any = (x: unknown) => x as Protocol<unknown, unknown, unknown>;
  switch (p) {
    case 'keygen':
      return any(keygen);
    case 'aux':
      return any(aux);
    case 'refresh':
      return any(refresh);
    case 'refresh/aux-rotation':
      return any(refreshProtocol(auxRotation(auxInputIn(ext) as AuxInput)));
    case 'presign':
      return any(presign);
    case 'sign':
      return any(sign);
  }
}

export function inputFromPlain(p: EngineProtocol, plain: unknown): unknown {
  if (p === 'aux') return auxInputIn(plain);
  if (p === 'presign') {
    const i = plain as PresignInput;
    return typeof i === 'object' && i !== null ? { ...i, aux: internAux(i.aux) } : i;
  }
  if (p === 'sign') {
    const i = plain as Omit<SignInput, 'presignature'> & { presignature: PresignatureData };
    if (typeof i !== 'object' || i === null) return i;
    return { ...i, presignature: Presignature.fromData(i.presignature) };
  }
  return plain;
}

/** Worker side: an output → plain data. Secrets leave the worker once (its presignature copy is consumed). */
export function outputToPlain(p: EngineProtocol, o: unknown): unknown {
  switch (p) {
    case 'keygen':
    case 'refresh':
    case 'refresh/aux-rotation': {
      const r = o as KeygenOutput | RefreshOutput;
      const plain = { ...r, shares: sharesOut(r.shares) };
      r.shares.wipe();
      return plain;
    }
    case 'presign': {
      const r = o as PresignOutput;
      return { ...r, presignature: r.presignature.consume() };
    }
    default:
      return o;
  }
}
