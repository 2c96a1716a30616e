/**
 * Node only (`ws`; imported by path, never from browser code): a `Rendezvous` over WebSocket — the
 * host listens (127.0.0.1 by default; its `ws://host:port` URL goes into the pairing code), the
 * joiner dials the code's URL. Browsers pass their own `Rendezvous` (e.g. `connectLink` over
 * `connectWebSocket` to a relay).
 * @module
 */
import { connectLinkNode, listenLinks } from '../bus/ws-node.js';
import type { Rendezvous } from './pairing.js';

export function wsRendezvous(opts: { host?: string; port?: number } = {}): Rendezvous {
  return {
    async listen(identityKey) {
      const s = await listenLinks({ identityKey, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
      return { links: s.links, address: s.url, close: () => s.close() };
    },
    connect(address, o) {
      const { link, transport } = connectLinkNode(address, { identityKey: o.identityKey, serverPub: o.serverPub, onRefused: (e) => o.onRefused(e) });
      return { link, close: () => transport.close() };
    },
  };
}
