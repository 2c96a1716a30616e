import { cryptoRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign } from '../protocols/presign/index.js';
import { preparePresign } from '../protocols/presign/precompute.js';
import { simulate } from '../protocols/simulate.js';
import { auxFixtures } from '../test/helpers/aux-fixtures.js';
const ps = [1, 2].map((id) => ({ id, owns: [id] }));
const r0 = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: 2 });
const key = ps.map((p) => r0.outputs.get(p.id)!) as KeygenOutput[];
const aux = auxFixtures([1, 2], 'default');
const prep = process.env.PREP === '1';
function run() {
  const o = key[0]!;
  const r = simulate(presign, [1, 2].map((id) => ({ id, owns: [id], rng: cryptoRng, input: { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), aux: aux.get(id)! } })), { sid: cryptoRng.bytes(16), threshold: 2 });
  if (r.outputs.size !== 2) throw new Error('fail');
}
if (prep) for (const a of aux.values()) await preparePresign(a, { presigns: 12 });
for (let i = 0; i < 8; i++) run();
run();
const g = globalThis as any;
g.__modexp = new Map(); g.__stacks = process.env.STACKS === '1';
run();
let tot = 0, cnt = 0;
for (const [k, [c, t]] of [...g.__modexp].sort((a: any, b: any) => b[1][1] - a[1][1])) { tot += t; cnt += c; console.log(String(c).padStart(4), t.toFixed(1).padStart(8), k); }
console.log('total native modexp', cnt, tot.toFixed(1));
