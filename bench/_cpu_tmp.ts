import { KeygenSession, Keyshare, Message, SignSession } from '@silencelaboratories/dkls-wasm-ll-node';
import { utf8ToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../protocols/presign/index.js';
import { preparePresign } from '../protocols/presign/precompute.js';
import { sign } from '../protocols/sign/index.js';
import { simulate } from '../protocols/simulate.js';
import { auxFixtures } from '../test/helpers/aux-fixtures.js';
const others = (msgs: Message[], party: number): Message[] => msgs.filter((m) => m.from_id !== party).map((m) => m.clone());
const addressedTo = (msgs: Message[], party: number): Message[] => msgs.filter((m) => m.to_id === party).map((m) => m.clone());
const freeAll = (msgs: Message[]): void => msgs.forEach((m) => m.free());
function dkg(n: number, t: number): Uint8Array[] {
  const parties = Array.from({ length: n }, (_, i) => new KeygenSession(n, t, i));
  const m1 = parties.map((p) => p.createFirstMessage());
  const m2 = parties.flatMap((p, i) => p.handleMessages(others(m1, i)));
  const commitments = parties.map((p) => p.calculateChainCodeCommitment());
  const m3 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m2, i)));
  const m4 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m3, i), commitments));
  parties.forEach((p, i) => p.handleMessages(others(m4, i)));
  [m1, m2, m3, m4].forEach(freeAll);
  return parties.map((p) => { const s = p.keyshare(); const b = s.toBytes(); s.free(); return b; });
}
function dsign(shares: readonly Uint8Array[], digest: Uint8Array): void {
  const parties = shares.map((b) => new SignSession(Keyshare.fromBytes(b), 'm'));
  const m1 = parties.map((p) => p.createFirstMessage());
  const m2 = parties.flatMap((p, i) => p.handleMessages(others(m1, i)));
  const m3 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m2, i)));
  parties.forEach((p, i) => p.handleMessages(addressedTo(m3, i)));
  const m4 = parties.map((p) => p.lastMessage(digest));
  parties.map((p, i) => p.combine(others(m4, i)));
  [m1, m2, m3, m4].forEach(freeAll);
}
const digest = sha256(utf8ToBytes('cpu'));
const ps = [1, 2].map((id) => ({ id, owns: [id] }));
const kg = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: 2 });
const key = ps.map((p) => kg.outputs.get(p.id)!) as KeygenOutput[];
function runPresign(aux: Map<number, any>): Map<number, PresignOutput> {
  const o = key[0]!;
  const r = simulate(presign, [1, 2].map((id) => ({ id, owns: [id], rng: cryptoRng, input: { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), aux: aux.get(id)! } })), { sid: cryptoRng.bytes(16), threshold: 2 });
  if (r.outputs.size !== 2) throw new Error('presign');
  return r.outputs;
}
function runSign(pre: Map<number, PresignOutput>) {
  const r = simulate(sign, [1, 2].map((id) => { const o = pre.get(id)!; return { id, owns: [id], rng: cryptoRng, input: { presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch } }; }), { sid: cryptoRng.bytes(16), threshold: 2 });
  if (r.outputs.size !== 2) throw new Error('sign');
}
function cpu(n: number, f: () => void): number { const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(c); return (d.user + d.system) / 1000 / n; }
const N = Number(process.env.N ?? 8);
const shares = dkg(2, 2);
dsign(shares, digest);
const aux = auxFixtures([1, 2], 'default');
runPresign(aux);
const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds = 3;
const res: Record<string, number[]> = { dkls: [], presign: [], signFull: [], prepared: [], prepare: [] };
for (let k = 0; k < rounds; k++) {
  res.dkls!.push(cpu(N * 3, () => dsign(shares, digest)));
  res.presign!.push(cpu(N, () => void runPresign(aux)));
  res.signFull!.push(cpu(N, () => runSign(runPresign(aux))));
  const ap = auxFixtures([1, 2], 'default', 2);
  const c0 = process.cpuUsage();
  for (const a of ap.values()) await preparePresign(a, { presigns: N });
  const d0 = process.cpuUsage(c0);
  res.prepare!.push((d0.user + d0.system) / 1000 / N);
  res.prepared!.push(cpu(N, () => void runPresign(ap)));
}
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(10), 'cpu ms/op median', med(v).toFixed(1), ' all', v.map((x) => x.toFixed(1)).join(' '));
console.log('ratio sign/full cpu / dkls cpu', (med(res.signFull!) / med(res.dkls!)).toFixed(2));
