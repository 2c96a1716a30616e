/**
 * CPU time of N inline 2-of-2 presigns (+ sign with `--sign`), one thread, through the session driver:
 * `npx tsx bench/profile-presign.ts [N] [--sign]`; under `node --cpu-prof --import tsx` for a profile.
 * Less sensitive to a shared machine than wall time (process.cpuUsage counts this process only).
 */
import { utf8ToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../protocols/presign/index.js';
import { sign } from '../protocols/sign/index.js';
import { simulate } from '../protocols/simulate.js';
import { auxFixtures } from '../test/helpers/aux-fixtures.js';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20);
const withSign = process.argv.includes('--sign');
const ps = [1, 2].map((id) => ({ id, owns: [id] }));
const kg = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: 2 });
const key: KeygenOutput[] = ps.map((p) => kg.outputs.get(p.id)!);
const aux = auxFixtures([1, 2]);
const digest = sha256(utf8ToBytes('benchmark message'));

function once(): void {
  const o = key[0]!;
  const r = simulate(
    presign,
    [1, 2].map((id) => ({
      id,
      owns: [id],
      rng: cryptoRng,
      input: { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), aux: aux.get(id)! },
    })),
    { sid: cryptoRng.bytes(16), threshold: 2 },
  );
  if (r.outputs.size !== 2) throw new Error('presign did not finish');
  if (!withSign) return;
  const pre: Map<number, PresignOutput> = r.outputs;
  const s = simulate(
    sign,
    [1, 2].map((id) => {
      const p = pre.get(id)!;
      return { id, owns: [id], rng: cryptoRng, input: { presignature: p.presignature, digest, publicKey: p.publicKey, epoch: p.epoch } };
    }),
    { sid: cryptoRng.bytes(16), threshold: 2 },
  );
  if (s.outputs.size !== 2) throw new Error('sign did not finish');
}

once(); // warm-up
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) once();
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ runs: n, sign: withSign, cpuMsPerRun: +((c.user + c.system) / 1000 / n).toFixed(1), wallMsPerRun: +(wall / n).toFixed(1) }));
