/**
 * The benchmark contract: every `bench/*.bench.ts` default-exports a function that registers its
 * cases. Names are fixed by the issues (e.g. `ecies/encrypt`, `modexp/2048:native`).
 */
export interface BenchCase {
  name: string;
  fn: () => unknown | Promise<unknown>;
  /** Minimum iterations and time budget (ms) for this case; heavy cases lower them. */
  iterations?: number;
  time?: number;
  /** Warm-up calls, exactly (default: min(5, iterations) and at least 250 ms) — for cases whose calls consume a prepared resource. */
  warmup?: number;
}

export interface BenchRegistry {
  add(name: string, fn: () => unknown | Promise<unknown>, opts?: { iterations?: number; time?: number; warmup?: number }): void;
  /** Does the run's filter select any of these case names? A suite skips its setup when not. */
  wants(...names: string[]): boolean;
}

export type BenchSuite = (b: BenchRegistry) => void | Promise<void>;
