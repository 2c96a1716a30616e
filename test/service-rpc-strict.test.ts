/**
 * The service's RPC takes exactly the fields each method defines: an unknown field in the args, the
 * account reference or the request (a `constructor`, a `polluted`, a field of another method) is
 * refused with BUS_FRAME_INVALID before the service looks at the request — no session, no store write.
 */
import { describe, expect, it } from 'vitest';
import { connectLink, LinkServer, memoryPair } from '../src/bus/index.js';
import { isTkeyTssError } from '../src/errors.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { mulG, pointToBytes } from '../src/curve.js';
import { connectService, serveService } from '../src/client/service-rpc.js';
import { accountEnv } from './helpers/account.js';

async function rpcPair(name: string) {
  const env = accountEnv(name);
  const server = new LinkServer({ identityKey: new Uint8Array(32).fill(0x31) });
  const linkA = new Promise((res) => server.onLink(res));
  const pair = memoryPair();
  server.accept(pair.a);
  const linkB = connectLink(pair.b, { identityKey: new Uint8Array(32).fill(0x32), serverPub: server.self.publicKey });
  await linkA;
  const started: string[] = [];
  const stop = serveService(env.service, server, { onProgress: (_p, e) => e.phase === 'start' && started.push(e.protocol) });
  const conn = await connectService(linkB);
  return { env, conn, started, close: () => (stop(), pair.disconnect()) };
}

const account = { metadataPub: pointToBytes(mulG(7n), true), tssTag: DEFAULT_TSS_TAG };
const base = { tssTag: DEFAULT_TSS_TAG, tssNonce: 0, commitments: [pointToBytes(mulG(7n), true), pointToBytes(mulG(9n), true)] };

async function refused(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(isTkeyTssError(e), String(e)).toBe(true);
  return e as { code: string; message: string };
}

describe('service RPC: exact fields', () => {
  it('an unknown request field is refused with BUS_FRAME_INVALID before the service looks at it; the known shape reaches the service', async () => {
    const r = await rpcPair('rpc-strict');
    try {
      const presign = { sid: new Uint8Array(32).fill(1), index: 2, base, deviceN: 5n };
      for (const extra of [{ polluted: 1 }, { constructor: 'x' }, { presignSid: new Uint8Array(32) }, { threshold: 1 }]) {
        const e = await refused(r.conn.presignParticipant(account, { ...presign, ...extra } as never));
        expect(e.code).toBe('BUS_FRAME_INVALID');
        expect(e.message).toContain(Object.keys(extra)[0]!);
      }
      const e1 = await refused(r.conn.auxParticipant({ ...account, extra: true } as never, { sid: new Uint8Array(32).fill(2), index: 2 }));
      expect(e1.code).toBe('BUS_FRAME_INVALID');
      // the combined sign request: its own field list (partials), nothing else
      const online = { sid: new Uint8Array(32).fill(3), index: 2, base, presignSid: new Uint8Array(32).fill(4), digest: new Uint8Array(32).fill(5), partials: [{ id: 2, payload: { m: new Uint8Array(32), sigma: new Uint8Array(32), tag: new Uint8Array(32) } }] };
      for (const extra of [{ deviceN: new Uint8Array(8) }, { polluted: 1 }]) {
        const e = await refused(r.conn.signOnline!(account, { ...online, ...extra } as never));
        expect(e.code).toBe('BUS_FRAME_INVALID');
        expect(e.message).toContain(Object.keys(extra)[0]!);
      }
      expect((await refused(r.conn.signOnline!(account, online))).code).not.toBe('BUS_FRAME_INVALID');
      // the same request without the extra field reaches the service (which holds nothing for this account)
      const e2 = await refused(r.conn.presignParticipant(account, presign));
      expect(e2.code).not.toBe('BUS_FRAME_INVALID');
      expect(r.started).toEqual([]);
      expect(await r.env.shares.accounts()).toEqual([]);
    } finally {
      r.close();
    }
  });
});
