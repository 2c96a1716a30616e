/**
 * `connectService`'s "node changed" notice (the link failed over to another node of the service:
 * the sessions under way lived in the old node's memory) ends the runs under way over its link on
 * BOTH bus transports at once with the same typed reason — the in-thread `BusPartyTransport`
 * (`svc.partyTransport`) and a page's `WorkerBusPartyTransport` (device rounds in a worker) — not
 * after `stallMs` (`abandonRunsOver`, src/bus/tracked-run.ts). Two in-process nodes of one service;
 * the runs wait for a service party nobody runs, node A shuts down, the link comes back on node B.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusPartyTransport, remoteParticipant } from '../src/client/bus-transport.js';
import { connectService, type ServiceClient } from '../src/client/service-client.js';
import type { PartyTransport } from '../src/client/transport.js';
import { InternalBug, isTkeyTssError } from '../src/errors.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { keygen } from '../protocols/keygen/index.js';
import { WorkerBusPartyTransport } from '../workers/bus-transport.js';
import { createNodePartyHost } from '../workers/node.js';
import type { PartyHost } from '../workers/party-host.js';
import { serviceServer, testIssuer, type ServiceServer, type TestIssuer } from './helpers/service-server.js';

const STALL_MS = 120_000;
/** Far below `STALL_MS`: the runs must end on the notice, not on their stall timeout. */
const AT_ONCE_MS = 15_000;

let host: PartyHost;
let iss: TestIssuer;
let a: ServiceServer;
let b: ServiceServer;
let svc: ServiceClient | undefined;
beforeAll(async () => {
  host = await createNodePartyHost();
  iss = await testIssuer();
  a = await serviceServer({ oidcIssuers: [iss.config()] });
  b = await serviceServer({ oidcIssuers: [iss.config()] }, { node: a });
});
afterAll(async () => {
  svc?.close();
  await host?.terminate();
  await b?.close();
  await a?.close();
  await iss?.close();
});

/** A keygen run whose party 1 (the service's, behind `svc.link`) nobody runs: it waits until ended. */
function waitingRun(t: PartyTransport, link: ServiceClient['link'], tag: string): Promise<unknown> {
  return t
    .run({
      protocol: keygen,
      sid: cryptoRng.bytes(32),
      threshold: 2,
      participants: [remoteParticipant(link, 1, [1]), { id: 2, owns: [2], input: {}, rng: seededRng(`node-changed/${tag}`), finish: async () => undefined }],
    })
    .then(
      () => 'resolved',
      (e: unknown) => e,
    );
}

describe("connectService's node-changed notice", () => {
  it('ends the runs under way on the in-thread AND the worker bus transport at once, with SERVER_UNAVAILABLE (reason node-changed)', async () => {
    svc = await connectService([a.url, b.url], {
      getIdToken: async ({ nonce }) => iss.token({ sub: 'node-changed', claims: { nonce } }),
      backoff: { baseMs: 50, maxMs: 400 },
      sessions: { stallMs: STALL_MS },
    });
    expect(svc.url).toBe(a.url);
    const cancel = new AbortController(); // ends the runs if the notice does not (the original code)
    const worker = new WorkerBusPartyTransport([host], { stallMs: STALL_MS, signal: cancel.signal });
    const other = new BusPartyTransport({ stallMs: STALL_MS, signal: cancel.signal }); // not svc's own transport
    const runs = {
      'svc.partyTransport': waitingRun(svc.partyTransport, svc.link, 'svc'),
      WorkerBusPartyTransport: waitingRun(worker, svc.link, 'worker'),
      'another BusPartyTransport': waitingRun(other, svc.link, 'other'),
    };
    await new Promise((r) => setTimeout(r, 500)); // every run under way (party 2's first round sent)
    const t0 = Date.now();
    await a.close(); // node A goes away: the link fails over to node B, whose resume answer names another node
    const ended = await Promise.all(
      Object.entries(runs).map(async ([name, run]) => {
        const e = await Promise.race([run, new Promise((r) => setTimeout(() => r('still waiting'), AT_ONCE_MS))]);
        return [name, e, Date.now() - t0] as const;
      }),
    );
    cancel.abort();
    expect(svc.url).toBe(b.url);
    for (const [name, e, ms] of ended) {
      expect(isTkeyTssError(e, 'SERVER_UNAVAILABLE'), `${name}: ${String(e)} after ${ms} ms`).toBe(true);
      expect((e as { details?: { reason?: string } }).details?.reason, name).toBe('node-changed');
      expect(ms, name).toBeLessThan(AT_ONCE_MS);
    }
    // nothing is left under way: the transports have no run to end
    for (const t of [worker, other, svc.partyTransport]) expect(t.abandon(new InternalBug('none', {}, 'SERVER_UNAVAILABLE'))).toBe(0);
  }, 60_000);
});
