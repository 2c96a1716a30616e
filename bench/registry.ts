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
}

export interface BenchRegistry {
  add(name: string, fn: () => unknown | Promise<unknown>, opts?: { iterations?: number; time?: number }): void;
}

export type BenchSuite = (b: BenchRegistry) => void | Promise<void>;
