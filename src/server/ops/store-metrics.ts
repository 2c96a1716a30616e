/**
 * `instrumentStore`: a decorator that times every method call of a store —
 * `tkey_store_operation_duration_seconds{op, outcome}` — whatever the backend (embedded,
 * PostgreSQL) and whatever methods it grows later (the service-state tables): it wraps each
 * function property by name instead of listing the `ServerStore` methods, so a new method is
 * measured without a change here. Calls run on the original object (`this` = the store, so its
 * private fields work); other properties (`kind`) read through.
 * @module
 */
import type { ServerMetrics } from './metrics.js';

const INSTRUMENTED = Symbol('tkey.instrumentedStore');

/** `store` with every method timed into `metrics` (returns `store` itself if it is already instrumented for `metrics`). */
export function instrumentStore<S extends object>(store: S, metrics: ServerMetrics): S {
  if ((store as Record<symbol, unknown>)[INSTRUMENTED] === metrics) return store;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      if (prop === INSTRUMENTED) return metrics;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop === 'symbol' || prop === 'constructor') return value;
      let w = wrapped.get(prop);
      if (w === undefined) {
        const op = prop;
        const fn = value as (...args: unknown[]) => unknown;
        w = function timed(...args: unknown[]): unknown {
          const t0 = performance.now();
          const done = (outcome: 'ok' | 'error'): void => metrics.observeStore(op, outcome, (performance.now() - t0) / 1000);
          let out: unknown;
          try {
            out = fn.apply(target, args);
          } catch (e) {
            done('error');
            throw e;
          }
          if (out instanceof Promise)
            return out.then(
              (v) => (done('ok'), v),
              (e: unknown) => {
                done('error');
                throw e;
              },
            );
          done('ok');
          return out;
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
