/**
 * Issue 11 item 4 / issue 16 item 6 (the co-signing parts): a node of the co-signing service is
 * SIGKILLed mid-session and the device carries on through the other node (two `tkey-tss serve`
 * processes on one PostgreSQL, same KEK, primes and OIDC issuer; the device's link lists both).
 *
 *   (a) during a presign — killed at the end of a (seeded) round of the device's presign session;
 *   (b) during a refresh's run (addFactor with a new index) — killed at the end of a seeded round,
 *       before the phase-1 batch;
 *   (c) between the phases — the device's metadata storage is driven here: the moment the phase-1
 *       batch (the one carrying the new epoch) is acknowledged, the node the link is on is killed,
 *       before the device's `finalize` reaches it.
 *
 * After each kill the device retries through the surviving (or a restarted) node, and then: the
 * account signs (OpenSSL verifies), the service's confirmed epoch is the durable one and nothing is
 * pending above it (finalize's answer, never SERVICE_STATE_MISMATCH), every signature has its own
 * nonce, and the acknowledged metadata is what a fresh reader sees (factors, epoch). Seeded:
 * `TKEY_FAULT_SEED=<seed>` repeats a run.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import type { ServiceClient } from '../src/client/service-client.js';
import type { Signature } from '../src/client/signing.js';
import { seededRng } from '../src/rng.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { readTss } from '../src/tss/tss-metadata.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { deviceAux, durableMetadata, POSTBOX } from './helpers/account.js';
import { faultSeed, seededRandom } from './helpers/batch-load.js';
import { FailoverMetadataStorage, login, nodeSuite, verifiedByOpenSsl } from './helpers/nodes.js';
import { SKIP_NOTE } from './helpers/postgres.js';
import type { ServerProcess } from './helpers/server.js';

const suite = nodeSuite();
const clients = suite.clients;

describe('a node SIGKILLed mid-session; the device goes on through another node', () => {
  it('(a) during presign, (b) during a refresh run, (c) between the phases: the account still signs, the two-phase commit holds, nothing used twice', async (ctx) => {
    if (suite.unavailable) return ctx.skip(SKIP_NOTE);
    const seed = faultSeed();
    const why = `seed=${seed} (TKEY_FAULT_SEED=${seed} repeats this run)`;
    const rnd = seededRandom(seed);
    try {
      const set = await suite.nodeSet();
      let nodes: ServerProcess[] = [await set.start(), await set.start()];
      const urls = () => nodes.map((n) => n.url);
      /** The node the device's link is on now. */
      const current = (svc: ServiceClient): ServerProcess => nodes.find((n) => n.url === svc.url)!;
      /** Kill `victim` and restart it on its port (a new process: new node id, nothing in memory). */
      const killed: string[] = [];
      let killedAt = 0;
      const killAndReplace = async (victim: ServerProcess): Promise<void> => {
        killed.push(victim.url);
        killedAt = Date.now();
        await set.kill(victim);
        // the node restarts where it listened (the device's URL list is fixed; a restarted process is a new node)
        nodes = [...nodes.filter((n) => n !== victim), await set.start(Number(new URL(victim.url).port))];
      };

      // the kill hook: at the end of round `at` of the next session of protocol `proto`, SIGKILL the link's node
      let armed: { proto: string; at: number; fired?: Promise<void> } | undefined;
      let svc!: ServiceClient;
      svc = await login(set, urls(), 'erin', {
        sessions: {
          onProgress: (_p, e) => {
            if (armed && !armed.fired && e.protocol.startsWith(armed.proto) && e.phase === 'end' && e.round === armed.at) {
              const victim = current(svc);
              armed.fired = killAndReplace(victim);
            }
          },
        },
      });
      clients.push(svc);
      const storage = new FailoverMetadataStorage(urls());
      const opts = { storage, postboxKey: POSTBOX, service: svc, transport: svc.partyTransport, rng: seededRng(`node-kill/${seed}`) };
      const { account, deviceFactor } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
      const pub = account.publicKey;
      const ref = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
      const sigs: Signature[] = [];
      const signs = async (msg: string): Promise<void> => {
        const s = await account.sign({ personalMessage: msg });
        verifiedByOpenSsl(s, pub);
        sigs.push(s);
      };
      /** The service's share is the durable epoch's, nothing staged at or below it (phase 2 done). */
      const twoPhaseHolds = async (): Promise<number> => {
        const r = await svc.finalize(ref);
        expect(r.durable, why).not.toBeNull();
        expect(r.confirmed, why).toBe(r.durable!.tssNonce);
        expect(r.pending.filter((e) => e <= r.durable!.tssNonce), why).toEqual([]);
        const tss = readTss(await durableMetadata(storage), DEFAULT_TSS_TAG);
        expect(tss.tssNonce, why).toBe(r.durable!.tssNonce);
        return tss.tssNonce;
      };
      /** Retry an operation that a kill interrupted (typed errors only), through the nodes left. */
      const retried = async <T>(name: string, fn: () => Promise<T>): Promise<{ value: T; failures: string[] }> => {
        const failures: string[] = [];
        killedAt = 0; // set by the kill this operation meets
        for (let attempt = 0; attempt < 4; attempt++) {
          try {
            return { value: await fn(), failures };
          } catch (e) {
            const code = (e as { code?: string }).code;
            expect(code, `${why}: ${name} failed untyped: ${String(e)}`).toMatch(/^[A-Z_]+$/);
            expect(code, `${why}: ${name}`).not.toBe('SERVICE_STATE_MISMATCH');
            failures.push(code!);
            // the device learns its node is gone within a reconnection, not after the 60 s stall timeout
            if (killedAt) expect(Date.now() - killedAt, `${why}: ${name} failed with ${code} ${Date.now() - killedAt} ms after the kill`).toBeLessThan(20_000);
            if (armed?.fired) await armed.fired;
            storage.setUrls(urls());
          }
        }
        throw new Error(`${why}: ${name} did not succeed after 4 attempts: ${failures.join(', ')}`);
      };
      await signs('before any kill');

      // (a) SIGKILL during a presign, at the end of a seeded round (1..3)
      armed = { proto: 'presign', at: 1 + Math.floor(rnd() * 3) };
      const a = await retried('presign', () => account.presign(2));
      expect(armed.fired, `${why}: (a) the kill fired`).toBeDefined();
      await armed.fired;
      console.log(`${why}: (a) presign killed at round ${armed.at}; retries saw ${a.failures.join(', ') || 'nothing (the in-flight session finished)'}`);
      await signs('pooled, after a node died mid-presign');
      expect(sigs.at(-1)!.presigned).toBe(true);
      await twoPhaseHolds();

      // (b) SIGKILL during a refresh's run (addFactor with a new index), before the phase-1 batch
      const epochBefore = await twoPhaseHolds();
      const answers = FactorKey.random(seededRng(`node-kill/${seed}/factor`)); // a new factor at a new index: a refresh
      armed = { proto: 'refresh', at: 1 + Math.floor(rnd() * 2) };
      const b = await retried('addFactor', () => account.addFactor({ factor: answers, tssIndex: 4, module: 'seedPhrase' }) /* its key: the factor's own records are signed with it (HTTP storage) */);
      await armed.fired;
      expect(armed.fired, `${why}: (b) the kill fired`).toBeDefined();
      console.log(`${why}: (b) refresh killed at round ${armed.at}; retries saw ${b.failures.join(', ') || 'nothing'}; finalized=${b.value.finalized}`);
      expect(b.value.tssNonce, why).toBe(epochBefore + 1);
      expect(await twoPhaseHolds()).toBe(epochBefore + 1);
      await signs('after a node died mid-refresh');

      // (c) between the phases: the phase-1 batch is acknowledged, then the link's node dies before finalize
      armed = undefined;
      let betweenPhases: Promise<void> | undefined;
      storage.afterCommit = (batch) => {
        if (betweenPhases || !batch.writes.some(() => true)) return;
        betweenPhases = killAndReplace(current(svc));
        return betweenPhases;
      };
      const epoch2 = await twoPhaseHolds();
      const c = await retried('deleteFactor', () => account.deleteFactor(answers)); // a refresh: phase-1 batch, then finalize
      storage.afterCommit = undefined;
      expect(betweenPhases, `${why}: (c) the kill fired`).toBeDefined();
      console.log(`${why}: (c) killed between the phases; finalized=${c.value.finalized}; retries saw ${c.failures.join(', ') || 'nothing'}`);
      expect(c.value.tssNonce, why).toBe(epoch2 + 1);
      // phase 2 happens on the next contact at the latest: the survivors hold the durable epoch's share
      expect(await twoPhaseHolds()).toBe(epoch2 + 1);
      await signs('after a node died between the phases');

      // acknowledged metadata intact: a fresh device logs in with the device factor via the newest node and signs
      const fresh = await login(set, [nodes.at(-1)!.url], 'erin');
      clients.push(fresh);
      const dev2 = await TssAccount.login({ ...opts, storage: new FailoverMetadataStorage([nodes.at(-1)!.url]), service: fresh, transport: fresh.partyTransport, rng: seededRng(`node-kill/${seed}/fresh`) }, deviceFactor);
      expect(bytesToHex(dev2.publicKey)).toBe(bytesToHex(pub));
      const tss = readTss(await durableMetadata(storage), DEFAULT_TSS_TAG);
      expect(tss.factorPubs.map((p) => bytesToHex(p.toBytes(true))), why).not.toContain(bytesToHex(answers.pub()));
      expect(tss.factorPubs, why).toHaveLength(2); // device + recovery: the added factor was removed again
      const s = await dev2.sign({ personalMessage: 'a fresh login after three kills' });
      verifiedByOpenSsl(s, pub);
      sigs.push(s);
      const rs = sigs.map((x) => bytesToHex(x.r));
      expect(new Set(rs).size, `${why}: a nonce was used twice`).toBe(rs.length);
      expect(killed).toHaveLength(3);
    } catch (e) {
      console.error(`node-kill failed: ${why}`);
      throw e;
    }
  }, 300_000);
});
