import { secp256k1 } from '@noble/curves/secp256k1.js';
import * as c from '../src/curve.js';
import { cryptoRng } from '../src/rng.js';
const Pt = secp256k1.Point;
const ks = Array.from({length: 200}, () => c.randomScalar(cryptoRng));
const es = Array.from({length: 200}, () => (BigInt('0x' + Buffer.from(cryptoRng.bytes(16)).toString('hex'))));
function t(name: string, f: (k: bigint, i: number) => unknown, n = 200) { for (let i=0;i<30;i++) f(ks[i]!, i); const t0=performance.now(); for (let i=0;i<n;i++) f(ks[i%200]!, i); console.log(name, ((performance.now()-t0)/n).toFixed(3), 'ms'); }
const P = c.mulG(ks[0]!);
t('mulPublic(G,z)+mulPublic(P,e) add', (k, i) => c.mulPublic(c.G, k).add(c.mulPublic(P, es[i % 200]!)));
t('mulPublic(P, e128)', (k, i) => c.mulPublic(P, es[i % 200]!));
t('mulPublic(P, -e128)', (k, i) => c.mulPublic(P, -es[i % 200]!));
t('G.mulAddUnsafe(z, P, e)', (k, i) => Pt.BASE.mulAddUnsafe(k, P, es[i % 200]!));
t('G.mulAddUnsafe(z, P, n-e)', (k, i) => Pt.BASE.mulAddUnsafe(k, P, c.N - es[i % 200]!));
t('fresh P.precompute(4)+3 multiply', (k, i) => { const Q = P.add(c.G); Q.precompute(4, false); Q.multiply(k); Q.multiply(ks[(i+1)%200]!); return Q.multiply(ks[(i+2)%200]!); }, 30);
t('fresh 3 multiply', (k, i) => { const Q = P.add(c.G); Q.multiply(k); Q.multiply(ks[(i+1)%200]!); return Q.multiply(ks[(i+2)%200]!); }, 30);
for (const W of [2,3,4,5,6]) t(`fresh P.precompute(${W})+3 multiply`, (k, i) => { const Q = P.add(c.G); Q.precompute(W, false); Q.multiply(k); Q.multiply(ks[(i+1)%200]!); return Q.multiply(ks[(i+2)%200]!); }, 30);
t('mulG', (k) => c.mulG(k));
t('G.multiply', (k) => Pt.BASE.multiply(k));
t('frozen?', () => Object.isFrozen(P) ? 1 : 0, 1); console.log(Object.isFrozen(P));
