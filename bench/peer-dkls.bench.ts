/**
 * The signing peer measured in the same run as ours (issue 5, item 8):
 *   peer/dkls23/sign-2of2   @silencelaboratories/dkls-wasm-ll-node 1.1.2 (DKLs23 in WASM), a full 2-of-2
 *                           sign — presign rounds, last message, combine — both parties in this thread.
 * The 2-of-2 keygen runs once, in setup; each iteration rebuilds the two key shares from their bytes
 * (a `SignSession` consumes its `Keyshare`), as a wallet loads its share before signing. The first
 * signature is checked against the DKG public key with @noble/curves, so a broken flow fails the
 * suite instead of timing garbage. The package is a devDependency: the WASM ships in the tarball and is
 * loaded from disk at import (no install script, no network), so `npm ci` is all it needs.
 */
import { KeygenSession, Keyshare, Message, SignSession } from '@silencelaboratories/dkls-wasm-ll-node';
import { concatBytes } from '../src/bytes.js';
import { ecdsaVerifyDigest, pointFromBytes } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import type { BenchSuite } from './registry.js';

/** Messages from everyone but `party` (broadcast delivery). */
const others = (msgs: Message[], party: number): Message[] => msgs.filter((m) => m.from_id !== party).map((m) => m.clone());
/** Messages addressed to `party` (P2P delivery). */
const addressedTo = (msgs: Message[], party: number): Message[] => msgs.filter((m) => m.to_id === party).map((m) => m.clone());
const freeAll = (msgs: Message[]): void => msgs.forEach((m) => m.free());

function keygen(n: number, t: number): Uint8Array[] {
  const parties = Array.from({ length: n }, (_, i) => new KeygenSession(n, t, i));
  const m1 = parties.map((p) => p.createFirstMessage());
  const m2 = parties.flatMap((p, i) => p.handleMessages(others(m1, i)));
  const commitments = parties.map((p) => p.calculateChainCodeCommitment());
  const m3 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m2, i)));
  const m4 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m3, i), commitments));
  parties.forEach((p, i) => p.handleMessages(others(m4, i)));
  [m1, m2, m3, m4].forEach(freeAll);
  return parties.map((p) => {
    const share = p.keyshare();
    const bytes = share.toBytes();
    share.free();
    return bytes;
  });
}

/** Full DKLs23 sign among all holders of `shares` over a 32-byte digest: (r, s) as 64 bytes. */
function sign(shares: readonly Uint8Array[], digest: Uint8Array): Uint8Array {
  const parties = shares.map((b) => new SignSession(Keyshare.fromBytes(b), 'm'));
  const m1 = parties.map((p) => p.createFirstMessage());
  const m2 = parties.flatMap((p, i) => p.handleMessages(others(m1, i)));
  const m3 = parties.flatMap((p, i) => p.handleMessages(addressedTo(m2, i)));
  parties.forEach((p, i) => p.handleMessages(addressedTo(m3, i)));
  const m4 = parties.map((p) => p.lastMessage(digest));
  const sigs = parties.map((p, i) => p.combine(others(m4, i)) as [Uint8Array, Uint8Array]);
  [m1, m2, m3, m4].forEach(freeAll);
  return concatBytes(sigs[0]![0], sigs[0]![1]);
}

const suite: BenchSuite = (b) => {
  const shares = keygen(2, 2);
  const first = Keyshare.fromBytes(shares[0]!);
  const pub = pointFromBytes(first.publicKey, 'dkls public key');
  first.free();
  const digest = sha256(cryptoRng.bytes(32));
  if (!ecdsaVerifyDigest(sign(shares, digest), digest, pub, { format: 'compact' }))
    throw new Error('peer/dkls23/sign-2of2: the DKLs23 signature does not verify under the DKG public key');
  b.add('peer/dkls23/sign-2of2', () => sign(shares, digest), { iterations: 30 });
};
export default suite;
