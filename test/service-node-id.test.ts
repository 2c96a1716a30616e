/**
 * The pieces of "the node running my session is gone" (server README, "Several nodes"):
 * `BusPartyTransport.abandon(reason)` ends every run under way at once with that typed error (not
 * after `stallMs`), and only those; `abandonRunsOver(link, reason)` ends the runs over one link only,
 * on any transport; `serveService({node})` validates the instance id; a login/resume
 * answer carries it (`ServiceGrant.node`) — end to end in `test/server-node-kill.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { abandonRunsOver, connectLink, LinkServer, memoryPair } from '../src/bus/index.js';
import { BusPartyTransport, remoteParticipant } from '../src/client/bus-transport.js';
import { serveService } from '../src/client/service-rpc.js';
import { InternalBug, InvalidInput, isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { keygen } from '../protocols/keygen/index.js';
import { accountEnv } from './helpers/account.js';

async function linked() {
  const server = new LinkServer({ identityKey: new Uint8Array(32).fill(0x51) });
  const serverLink = new Promise((res) => server.onLink(res));
  const pair = memoryPair();
  server.accept(pair.a);
  const link = connectLink(pair.b, { identityKey: new Uint8Array(32).fill(0x52), serverPub: server.self.publicKey });
  await serverLink;
  await link.whenReady(5000);
  return { server, link, close: () => pair.disconnect() };
}

describe('abandoning sessions whose remote node is gone', () => {
  it('abandon ends a run under way with the typed reason at once (the peer never answers); with nothing under way it ends nothing', async () => {
    const l = await linked();
    try {
      const t = new BusPartyTransport({ stallMs: 60_000 });
      expect(t.abandon(new InternalBug('gone', { reason: 'node-changed' }, 'SERVER_UNAVAILABLE'))).toBe(0);
      let out: unknown;
      const run = t.run({
        protocol: keygen,
        sid: new Uint8Array(32).fill(7),
        threshold: 2,
        participants: [
          { id: 1, owns: [1], input: {}, rng: seededRng('node-id/1'), finish: async (o) => void (out = o) },
          remoteParticipant(l.link, 2, [2]), // nobody runs party 2 at the other end: the run waits
        ],
      });
      const settled = run.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      expect(t.abandon(new InternalBug('the node went away', { reason: 'node-changed' }, 'SERVER_UNAVAILABLE'))).toBe(1);
      const e = await settled;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(isTkeyTssError(e, 'SERVER_UNAVAILABLE'), String(e)).toBe(true);
      expect((e as { details?: { reason?: string } }).details?.reason).toBe('node-changed');
      expect(out).toBeUndefined();
      expect(t.abandon(new InternalBug('again', {}, 'SERVER_UNAVAILABLE'))).toBe(0); // the run is no longer under way
      expect(() => t.abandon(new Error('untyped') as never)).toThrow(InvalidInput);
    } finally {
      l.close();
    }
  });

  it('abandonRunsOver ends the runs over that link only (any transport), with the typed reason; bad input is refused', async () => {
    const [l1, l2] = [await linked(), await linked()];
    try {
      const [t1, t2] = [new BusPartyTransport({ stallMs: 60_000 }), new BusPartyTransport({ stallMs: 60_000 })];
      const waiting = (t: BusPartyTransport, link: typeof l1.link, tag: string) =>
        t
          .run({
            protocol: keygen,
            sid: new Uint8Array(32).fill(tag.length),
            threshold: 2,
            participants: [{ id: 1, owns: [1], input: {}, rng: seededRng(`node-id/${tag}`), finish: async () => undefined }, remoteParticipant(link, 2, [2])],
          })
          .then(
            () => 'resolved',
            (e: unknown) => e,
          );
      const over1 = [waiting(t1, l1.link, 'a'), waiting(t2, l1.link, 'bb')]; // two transports, one link
      const over2 = waiting(t2, l2.link, 'ccc');
      await new Promise((r) => setTimeout(r, 300));
      const reason = new InternalBug('the node went away', { reason: 'node-changed' }, 'SERVER_UNAVAILABLE');
      expect(() => abandonRunsOver({} as never, reason)).toThrow(InvalidInput);
      expect(() => abandonRunsOver(l1.link, new Error('untyped') as never)).toThrow(InvalidInput);
      expect(abandonRunsOver(l1.link, reason)).toBe(2);
      for (const e of await Promise.all(over1)) expect(e).toBe(reason);
      expect(abandonRunsOver(l1.link, reason)).toBe(0);
      expect(t2.abandon(new InternalBug('the other', {}, 'SERVER_UNAVAILABLE'))).toBe(1); // the run over l2 was still under way
      expect(isTkeyTssError(await over2, 'SERVER_UNAVAILABLE')).toBe(true);
    } finally {
      l1.close();
      l2.close();
    }
  });

  it('serveService refuses a malformed node id', async () => {
    const l = await linked();
    try {
      const env = accountEnv('node-id');
      for (const node of ['', 'XYZ', 'ab', '0123456789ABCDEF', 'g'.repeat(16), 'a'.repeat(65)]) expect(() => serveService(env.service, l.server, { node })).toThrow(InvalidInput);
      const stop = serveService(env.service, l.server, { node: '0123456789abcdef' });
      stop();
    } finally {
      l.close();
    }
  });
});
