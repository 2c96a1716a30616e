/**
 * Counters of refused and dropped frames by reason (layer 1): one per `Link`, one per `LinkServer`
 * (which also counts what its links count), for logs and metrics exporters.
 * @module
 */

/**
 * - `frame-too-large` / `frame-invalid` / `auth-failed` / `replay`: a frame on a link refused
 *   (`BUS_FRAME_TOO_LARGE`, `BUS_FRAME_INVALID`, `BUS_AUTH_FAILED`, `BUS_REPLAY`);
 * - `handshake-too-large`: a frame over `MAX_HANDSHAKE_FRAME` before the handshake completed
 *   (refused on its length, the connection stays), or a handshake frame over `HANDSHAKE_LIMITS`;
 *   `handshake-invalid`: a frame that is not a handshake frame before the handshake, or a
 *   handshake frame (hs1 / hs2 / hs3) that fails its strict schema; a handshake signature or
 *   identity that does not check counts as `auth-failed`;
 * - `unclaimed-peer-bytes` / `unclaimed-peer-count`: an envelope of a session not attached yet
 *   dropped because its link's buffer is full; `unclaimed-total-bytes`: dropped (or evicted from
 *   the link holding the most) because the buffers of all links of the server are full;
 * - `early-bytes`: an early protocol message (one round ahead) dropped by `runSessions` because
 *   its sender's early messages would exceed `EARLY_PEER_BYTES`.
 */
export const REFUSAL_REASONS = [
  'frame-too-large',
  'frame-invalid',
  'auth-failed',
  'replay',
  'handshake-too-large',
  'handshake-invalid',
  'unclaimed-peer-bytes',
  'unclaimed-peer-count',
  'unclaimed-total-bytes',
  'early-bytes',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Counters by reason; `parent` (a server's) counts too. */
export class RefusalStats {
  readonly #counts = new Map<RefusalReason, number>();
  readonly #parent: RefusalStats | undefined;

  constructor(parent?: RefusalStats) {
    this.#parent = parent;
  }

  add(reason: RefusalReason, n = 1): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + n);
    this.#parent?.add(reason, n);
  }

  get(reason: RefusalReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  get total(): number {
    let t = 0;
    for (const n of this.#counts.values()) t += n;
    return t;
  }

  /** Every reason with its count (0 included). */
  snapshot(): Record<RefusalReason, number> {
    return Object.fromEntries(REFUSAL_REASONS.map((r) => [r, this.get(r)])) as Record<RefusalReason, number>;
  }

  toJSON(): unknown {
    return this.snapshot();
  }
}
