/**
 * Two bus nodes over a pair of frame transports, and the memory fault that duplicates and
 * reorders frames: the fixtures of the session-layer tests (`test/bus-session.test.ts`,
 * `test/worker-bus-transport.test.ts`).
 */
import { connectLink, Link, LinkServer, type FrameTransport, type MemoryFault } from '../../src/bus/index.js';
import type { TkeyTssError } from '../../src/errors.js';

/**
 * Node A (server side, `keyA`) and node B (client side, `keyB`, pinning A's key) over `ta` / `tb`;
 * `a` resolves when A accepted B's link. Frames A refuses go to `refusedA`.
 */
export function linkedNodes(ta: FrameTransport, tb: FrameTransport, o: { keyA: Uint8Array; keyB: Uint8Array; refusedA?: TkeyTssError[] }): { a: Promise<Link>; b: Link } {
  const server = new LinkServer({ identityKey: o.keyA, ...(o.refusedA ? { onRefused: (e: TkeyTssError) => o.refusedA!.push(e) } : {}) });
  const a = new Promise<Link>((res) => server.onLink(res));
  server.accept(ta);
  const b = connectLink(tb, { identityKey: o.keyB, serverPub: server.self.publicKey });
  return { a, b };
}

/**
 * A `memoryPair` fault: every frame is sent twice, and every third one (per direction, when none is
 * held) is held back and released — twice — after the next frame in the same direction.
 */
export function duplicateAndReorder(): MemoryFault {
  const held = new Map<string, Uint8Array>();
  let k = 0;
  return (f, dir) => {
    k++;
    const h = held.get(dir);
    if (k % 3 === 0 && !h) {
      held.set(dir, f); // hold back, release after the next frame in the same direction
      return [];
    }
    const out = [f, f];
    if (h) {
      out.push(h, h);
      held.delete(dir);
    }
    return out;
  };
}
