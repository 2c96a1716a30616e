/**
 * The bus endpoint of the co-signing service inside the HTTP server: WebSocket upgrades of
 * `/v1/bus` on the same port (`ws` with `noServer`, frame cap `MAX_FRAME`), every connection through
 * the bus handshake into one `LinkServer`; upgrades per client IP and minute capped by
 * `TKEY_RATE_LIMIT_IP` (429) (the server's identity: the shared bus key), the RPC
 * served with the login guard. Shutdown (fastify `preClose`): new upgrades are refused (503), the
 * guard refuses new work and waits for the sessions under way (at most the shutdown timeout), then
 * every link and socket is closed.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { bytesToHex } from '../../bytes.js';
import { cryptoRng } from '../../rng.js';
import { LinkServer } from '../../bus/session-link.js';
import { WebSocketTransport, type WebSocketLike } from '../../bus/transport.js';
import { MAX_FRAME } from '../../bus/ws-node.js';
import type { ServiceParty } from '../../client/service-party.js';
import { serveService } from '../../client/service-rpc.js';
import { KeyLimiter } from '../key-limiter.js';
import type { ServiceGuard } from './guard.js';

export const BUS_PATH = '/v1/bus';

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export function attachBus(app: FastifyInstance, o: { busKey: Uint8Array; party: ServiceParty; guard: ServiceGuard; shutdownTimeoutMs: number; upgradesPerMinuteIp: number; clock: () => number }): LinkServer {
  // bus connections per client IP and minute (the HTTP per-IP limit does not see upgrades)
  const perIp = new KeyLimiter({ max: o.upgradesPerMinuteIp, windowMs: 60_000, clock: o.clock });
  const links = new LinkServer({ identityKey: o.busKey, onRefused: (e) => app.log.debug({ code: e.code }, 'bus frame refused') });
  // this process's instance: sessions live in its memory, so a device that comes back on another
  // instance (a failover, a restart) learns that its sessions under way are gone (ServiceGrant.node)
  const node = bytesToHex(cryptoRng.bytes(16));
  const stop = serveService(o.party, links, {
    guard: o.guard,
    node,
    onError: (e, { method }) => app.log.warn({ method, code: (e as { code?: string })?.code }, 'service session failed'),
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  let closing = false;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== BUS_PATH) return refuseUpgrade(socket, '404 Not Found');
    if (closing) return refuseUpgrade(socket, '503 Service Unavailable');
    try {
      perIp.hit(req.socket.remoteAddress ?? '?');
    } catch {
      return refuseUpgrade(socket, '429 Too Many Requests');
    }
    wss.handleUpgrade(req, socket, head, (ws) => links.accept(new WebSocketTransport(ws as unknown as WebSocketLike)));
  };
  app.server.on('upgrade', onUpgrade);
  app.addHook('preClose', async () => {
    closing = true;
    const drained = await o.guard.drain(o.shutdownTimeoutMs);
    if (!drained) app.log.warn({ sessions: o.guard.inflight, timeoutMs: o.shutdownTimeoutMs }, 'shutdown: sessions still running at the deadline; closing their links');
    stop();
    links.close();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    app.server.off('upgrade', onUpgrade);
  });
  return links;
}
