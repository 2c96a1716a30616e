/**
 * WebSocket transports for Node (`ws`). Imported by path (`tkey-tss/bus/ws-node`), never from code a
 * browser bundle reaches; browsers use `connectWebSocket` from `transport.ts`.
 *
 *   const server = await listenLinks({ identityKey, port: 0 });        // 127.0.0.1 by default
 *   server.links.onLink((link) => …);                                 // one Link per peer identity
 *   const link = connectLinkNode(`ws://127.0.0.1:${server.port}`, { identityKey, serverPub });
 * @module
 */
import { WebSocket, WebSocketServer } from 'ws';
import { fail } from '../errors.js';
import { MAX_PROTOCOL_FRAME } from './frame-limits.js';
import type { Identity } from './secure-channel.js';
import { connectLink, LinkServer, type Link, type LinkOptions } from './session-link.js';
import { ReconnectingTransport, WebSocketTransport, type WebSocketLike } from './transport.js';

/** Max frame size `ws` accepts (bytes; larger frames close the connection, code 1009): the protocol frame cap. */
export const MAX_FRAME = MAX_PROTOCOL_FRAME;

/** A re-dialling `ws` client transport to `url`. */
export function connectNodeWebSocket(url: string, opts: { retryMs?: number } = {}): ReconnectingTransport {
  if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) fail('INVALID_ARGUMENT', 'url: expected ws:// or wss://');
  return new ReconnectingTransport(() => new WebSocketTransport(new WebSocket(url, { maxPayload: MAX_FRAME }) as unknown as WebSocketLike), opts);
}

/** Client: a `Link` to the server at `url` (re-dials and re-handshakes after every drop). */
export function connectLinkNode(url: string, opts: LinkOptions & { serverPub?: Uint8Array; retryMs?: number }): { link: Link; transport: ReconnectingTransport } {
  const transport = connectNodeWebSocket(url, opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {});
  return { link: connectLink(transport, opts), transport };
}

export interface NodeLinkServer {
  readonly links: LinkServer;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Server: listen on `host` (default 127.0.0.1) and `port` (0 = any free port); every connection goes through the handshake into `links`. */
export async function listenLinks(opts: { identityKey: Identity | Uint8Array; host?: string; port?: number; onRefused?: LinkOptions['onRefused'] }): Promise<NodeLinkServer> {
  if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
  const host = opts.host ?? '127.0.0.1';
  const links = new LinkServer({ identityKey: opts.identityKey, ...(opts.onRefused ? { onRefused: opts.onRefused } : {}) });
  const wss = new WebSocketServer({ host, port: opts.port ?? 0, maxPayload: MAX_FRAME });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => links.accept(new WebSocketTransport(ws as unknown as WebSocketLike)));
  const addr = wss.address();
  if (typeof addr !== 'object' || addr === null) fail('INTERNAL_BUG', 'no server address');
  const port = addr.port;
  return {
    links,
    port,
    url: `ws://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        links.close();
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
