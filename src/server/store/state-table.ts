/**
 * The embedded store's service-state space in memory (rebuilt from the log at start) and a staged
 * overlay on it: a group of state operations is checked in order against the table plus the earlier
 * operations of the group, logged as one frame each, fsynced, and only then merged — so a reader
 * never sees an unacknowledged write, and a take is acknowledged only once its delete is durable.
 * @module
 */
import { StorageConflict } from '../../errors.js';
import type { StateRow } from './state-types.js';

interface Entry {
  epoch: number;
  version: number;
  value: Uint8Array;
}

/** A logged state change: a row written at `version`, or deleted. */
export type StateChange = { op: 'put'; kind: string; key: string; epoch: number; version: number; value: Uint8Array } | { op: 'del'; kind: string; key: string };

/** The operations a caller asks for (checked when staged). */
export type StateOp =
  | { op: 'put'; kind: string; key: string; value: Uint8Array; epoch: number; expected: number | null | undefined }
  | { op: 'delete'; kind: string; key: string; expected: number | undefined }
  | { op: 'take'; kind: string; key: string }
  | { op: 'takePut'; take: { kind: string; key: string }; put: { kind: string; key: string; value: Uint8Array; epoch: number; expected: number | null | undefined } }
  | { op: 'insert'; rows: InsertRow[] }
  | { op: 'takeInsert'; take: { kind: string; key: string }; rows: InsertRow[] }
  | { op: 'deleteBelow'; kind: string; prefix: string; epoch: number };

/** A row an `insert` / `takeInsert` writes (insert only). */
export interface InsertRow {
  kind: string;
  key: string;
  value: Uint8Array;
  epoch: number;
}

export type StateResult = number | boolean | StateRow | undefined;

const slot = (kind: string, key: string) => `${kind}\x00${key}`;

export class StateTable {
  readonly #rows = new Map<string, Map<string, Entry>>();

  get(kind: string, key: string): StateRow | undefined {
    const e = this.#rows.get(kind)?.get(key);
    return e ? { kind, key, epoch: e.epoch, version: e.version, value: e.value.slice() } : undefined;
  }

  /** Keys of `kind` (unsorted). */
  keys(kind: string): IterableIterator<string> {
    return (this.#rows.get(kind) ?? new Map<string, Entry>()).keys();
  }

  entries(kind: string): IterableIterator<[string, Entry]> {
    return (this.#rows.get(kind) ?? new Map<string, Entry>()).entries();
  }

  apply(changes: readonly StateChange[]): void {
    for (const c of changes) {
      if (c.op === 'put') {
        let m = this.#rows.get(c.kind);
        if (!m) this.#rows.set(c.kind, (m = new Map()));
        m.set(c.key, { epoch: c.epoch, version: c.version, value: c.value });
      } else {
        this.#rows.get(c.kind)?.delete(c.key);
      }
    }
  }
}

/** Operations of one group staged over the table. */
export class StagedState {
  readonly #base: StateTable;
  /** slot → the staged row, or null when staged deleted. */
  readonly #over = new Map<string, (Entry & { kind: string; key: string }) | null>();
  readonly changes: StateChange[] = [];

  constructor(base: StateTable) {
    this.#base = base;
  }

  #current(kind: string, key: string): Entry | undefined {
    const s = this.#over.get(slot(kind, key));
    if (s === null) return undefined;
    if (s) return s;
    return this.#base.get(kind, key);
  }

  #put(kind: string, key: string, epoch: number, version: number, value: Uint8Array): StateChange {
    this.#over.set(slot(kind, key), { kind, key, epoch, version, value });
    const c: StateChange = { op: 'put', kind, key, epoch, version, value };
    this.changes.push(c);
    return c;
  }

  #del(kind: string, key: string): StateChange {
    this.#over.set(slot(kind, key), null);
    const c: StateChange = { op: 'del', kind, key };
    this.changes.push(c);
    return c;
  }

  /** Check and stage one operation: its result and the changes to log for it. */
  stage(o: StateOp): { result: StateResult; log: StateChange[] } {
    if (o.op === 'put') {
      const cur = this.#current(o.kind, o.key);
      if (o.expected === null && cur) throw new StorageConflict(`state ${o.kind}/${o.key.slice(0, 24)}… exists (version ${cur.version})`, { kind: o.kind, expected: null, actual: cur.version });
      if (typeof o.expected === 'number' && cur?.version !== o.expected)
        throw new StorageConflict(`state ${o.kind}/${o.key.slice(0, 24)}… is at version ${cur?.version ?? null}, not ${o.expected}`, { kind: o.kind, expected: o.expected, actual: cur?.version ?? null });
      const version = (cur?.version ?? 0) + 1;
      return { result: version, log: [this.#put(o.kind, o.key, o.epoch, version, o.value.slice())] };
    }
    if (o.op === 'delete') {
      const cur = this.#current(o.kind, o.key);
      if (!cur || (o.expected !== undefined && cur.version !== o.expected)) return { result: false, log: [] };
      return { result: true, log: [this.#del(o.kind, o.key)] };
    }
    if (o.op === 'takePut') {
      const cur = this.#current(o.take.kind, o.take.key);
      if (!cur) return { result: undefined, log: [] };
      const { log: putLog } = this.stage({ op: 'put', ...o.put }); // throws (nothing staged) when the precondition fails
      const row: StateRow = { kind: o.take.kind, key: o.take.key, epoch: cur.epoch, version: cur.version, value: cur.value.slice() };
      return { result: row, log: [this.#del(o.take.kind, o.take.key), ...putLog] };
    }
    if (o.op === 'insert' || o.op === 'takeInsert') {
      const cur = o.op === 'takeInsert' ? this.#current(o.take.kind, o.take.key) : undefined;
      if (o.op === 'takeInsert' && !cur) return { result: undefined, log: [] };
      // every precondition first: a row that exists stages nothing at all
      for (const r of o.rows) {
        const there = this.#current(r.kind, r.key);
        if (there) throw new StorageConflict(`state ${r.kind}/${r.key.slice(0, 24)}… exists (version ${there.version})`, { kind: r.kind, key: r.key, expected: null, actual: there.version });
      }
      const log: StateChange[] = [];
      let row: StateRow | undefined;
      if (o.op === 'takeInsert') {
        row = { kind: o.take.kind, key: o.take.key, epoch: cur!.epoch, version: cur!.version, value: cur!.value.slice() };
        log.push(this.#del(o.take.kind, o.take.key));
      }
      for (const r of o.rows) log.push(this.#put(r.kind, r.key, r.epoch, 1, r.value));
      return { result: row, log };
    }
    if (o.op === 'take') {
      const cur = this.#current(o.kind, o.key);
      if (!cur) return { result: undefined, log: [] };
      const row: StateRow = { kind: o.kind, key: o.key, epoch: cur.epoch, version: cur.version, value: cur.value.slice() };
      return { result: row, log: [this.#del(o.kind, o.key)] };
    }
    // deleteBelow: the table's rows plus the group's staged ones
    const keys = new Set<string>();
    for (const [k, e] of this.#base.entries(o.kind)) if (k.startsWith(o.prefix) && e.epoch < o.epoch) keys.add(k);
    for (const s of this.#over.values()) if (s && s.kind === o.kind && s.key.startsWith(o.prefix) && s.epoch < o.epoch) keys.add(s.key);
    const log: StateChange[] = [];
    for (const k of keys) if ((this.#current(o.kind, k)?.epoch ?? Infinity) < o.epoch) log.push(this.#del(o.kind, k));
    return { result: log.length, log };
  }

  mergeInto(base: StateTable): void {
    base.apply(this.changes);
  }
}
