/**
 * The user device's side (party id 2): the TSS shares it holds in memory (one per share index it
 * logged in with a factor for), its participants in keygen and refresh — it owns every user index
 * of the new sharing and computes the shares of offline factors, which leave it only encrypted to
 * their factor keys — and its half of the two-phase commit: new shares are kept *staged* next to
 * the old ones until the metadata batch is durable (`commitStaged`, which wipes the old buffers),
 * or wiped if it never is (`dropStaged`).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, equalBytes, utf8ToBytes, wipe } from '../bytes.js';
import { pointFromBytes } from '../curve.js';
import { verifyShare } from '../shamir/index.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import { TssShare } from '../tss/tss-share.js';
import type { KeygenInput, KeygenOutput } from '../../protocols/keygen/index.js';
import type { RefreshInput, RefreshOutput } from '../../protocols/refresh/index.js';
import type { Participant } from './transport.js';
import type { TssCheckpoint } from './checkpoint.js';
import { auxFromRefresh, sealAux, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { publicSharesAt } from './shares.js';
import { serviceAuxFingerprintIn } from './service-aux-pin.js';
import { SERVICE_PARTY } from './service-party.js';

export const DEVICE_PARTY = 2;

/** What a session gave the device: new commitments, epoch and every user share (staged). */
export interface DeviceOutput {
  tssNonce: number;
  commitments: Uint8Array[];
  shares: Map<number, Uint8Array>;
  /** Rotated aux info (refresh with `auxRotation`). */
  aux?: AuxInfo;
  /** The keygen chain code (32 bytes; keygen only). */
  chainCode?: Uint8Array;
}

const CURRENT_DOMAIN = utf8ToBytes('tkey-tss/device-share-current/v1');

export class DeviceParty {
  /** Held shares of the current epoch: index → 32 bytes. */
  #held = new Map<number, Uint8Array>();
  /** index → H(i, share, commitments) of the last `assertCurrent` that passed: the check is skipped only for those exact inputs. */
  #current = new Map<number, Uint8Array>();
  #staged: DeviceOutput | null = null;
  /** Aux info of the signer group {service, this device at index i}, by i. */
  #aux = new Map<number, AuxInfo>();

  /** Aux info of user-only signer groups (`user-aux-store.ts`): group key → index → AuxInfo. */
  #userAux = new Map<string, Map<number, AuxInfo>>();

  /** Service aux keys (fingerprints, hex) this device verified itself in an aux session. */
  #verifiedService = new Set<string>();

  /** Hold aux info; `verified`: it comes from an aux session this device ran (its proofs checked here), not from the metadata. */
  holdAux(aux: AuxInfo, verified = false): void {
    this.#aux.set(aux.self, sealAux(aux));
    if (verified) this.#verifiedService.add(bytesToHex(serviceAuxFingerprintIn(aux, SERVICE_PARTY)));
  }
  /** Fingerprints of the service aux keys verified in this device's own aux sessions (`service-aux-pin.ts`). */
  get verifiedServiceAux(): ReadonlySet<string> {
    return this.#verifiedService;
  }
  /** Hold index `aux.self`'s aux of the signer group `group` (user-only, or {1} ∪ S at t ≥ 3); `verified` as in `holdAux`. */
  holdUserAux(group: string, aux: AuxInfo, verified = false): void {
    let g = this.#userAux.get(group);
    if (!g) this.#userAux.set(group, (g = new Map()));
    g.set(aux.self, sealAux(aux));
    if (verified && aux.parties.some((p) => p.id === SERVICE_PARTY)) this.#verifiedService.add(bytesToHex(serviceAuxFingerprintIn(aux, SERVICE_PARTY)));
  }
  /** The smallest held group WITH the service (index 1) holding aux for every index in `users`, or undefined. */
  serviceGroupFor(users: readonly number[]): { group: string; aux: ReadonlyMap<number, AuxInfo> } | undefined {
    const fits = [...this.#userAux].filter(([k, g]) => k.split(',').includes(String(SERVICE_PARTY)) && users.every((i) => g.has(i))).sort((a, b) => a[1].size - b[1].size);
    return fits[0] ? { group: fits[0][0], aux: fits[0][1] } : undefined;
  }
  /** Keys of the signer groups held (user-only and t ≥ 3). */
  get groupKeys(): string[] {
    return [...this.#userAux].filter(([, g]) => g.size > 0).map(([k]) => k);
  }
  /** A user-only group holding aux for every index in `signers` (the smallest such group), or undefined. */
  userAuxFor(signers: readonly number[]): { group: string; aux: ReadonlyMap<number, AuxInfo> } | undefined {
    const fits = [...this.#userAux].filter(([k, g]) => !k.split(',').includes(String(SERVICE_PARTY)) && signers.every((i) => g.has(i))).sort((a, b) => a[1].size - b[1].size);
    return fits[0] ? { group: fits[0][0], aux: fits[0][1] } : undefined;
  }
  /** Index `index`'s aux in the signer group `group` ("2,3"), if held (a paired device holds only its own). */
  userGroupAux(group: string, index: number): AuxInfo | undefined {
    return this.#userAux.get(group)?.get(index);
  }
  /** The aux for signing with share `index`, if held. */
  aux(index: number): AuxInfo | undefined {
    return this.#aux.get(index);
  }
  get auxIndices(): number[] {
    return [...this.#aux.keys()].sort((a, b) => a - b);
  }

  /** Indices the device holds a share for. */
  get heldIndices(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }
  /** The held share at `index` (a TssShare: redacted in JSON/inspection). */
  share(index: number): TssShare {
    const v = this.#held.get(index);
    if (!v) return fail('NOT_ENOUGH_SHARES', `the device holds no share at index ${index}; log in with a factor of that index`);
    return TssShare.fromBytes(index, v);
  }
  /**
   * Are the held shares those of the sharing `commitments` (the durable epoch)? Another device's
   * refresh makes them stale: then `ACCOUNT_STATE_CHANGED` (log in again with the factor).
   */
  assertCurrent(commitments: readonly Uint8Array[], indices: readonly number[] = this.heldIndices): void {
    let C: ReturnType<typeof pointFromBytes>[] | undefined;
    for (const i of indices) {
      const share = this.share(i);
      const v = share.valueBytes();
      // the Feldman check y·G = Σ iᵏ·Aₖ is remembered against the exact (i, y, [Aₖ]) it passed for
      const buf = concatBytes(CURRENT_DOMAIN, Uint8Array.of(i >> 8, i & 0xff), v, ...commitments.map((c) => concatBytes(Uint8Array.of(c.length), c)));
      const key = sha256(buf);
      wipe(buf, v);
      const seen = this.#current.get(i);
      if (seen && equalBytes(seen, key)) continue;
      C ??= commitments.map((c) => pointFromBytes(c));
      if (!verifyShare(C, { x: BigInt(i), y: share.value }))
        fail('ACCOUNT_STATE_CHANGED', `the share this device holds at index ${i} is from an older epoch (another device refreshed the account); unlock the factor again`);
      this.#current.set(i, key);
    }
  }
  hold(share: TssShare): void {
    const prev = this.#held.get(share.index);
    this.#held.set(share.index, share.valueBytes());
    if (prev) wipe(prev);
  }
  get staged(): DeviceOutput | null {
    return this.#staged;
  }

  #stage(o: DeviceOutput): void {
    this.dropStaged();
    this.#staged = o;
  }

  keygenParticipant(owns: readonly number[], rng: Rng): Participant<KeygenInput, KeygenOutput> {
    return {
      id: DEVICE_PARTY,
      owns,
      input: {},
      rng,
      finish: async (out) => {
        this.#stage({ tssNonce: out.epoch, commitments: out.commitments.map((c) => c.slice()), shares: new Map(owns.map((i) => [i, out.shares.export(i)])), chainCode: out.chainCode.slice() });
        out.shares.wipe();
      },
    };
  }

  /** Deal every held share of epoch `base`; receive every index in `owns`. */
  refreshParticipant(
    base: TssCheckpoint,
    dealers: readonly { party: number; indices: readonly number[] }[],
    owns: readonly number[],
    rng: Rng,
    opts: { id?: number; rotateAux?: AuxInput } = {},
  ): Participant<RefreshInput, RefreshOutput> {
    const id = opts.id ?? DEVICE_PARTY;
    const mine = dealers.find((d) => d.party === id)?.indices ?? [];
    const input: RefreshInput = {
      publicKey: base.commitments[0]!,
      epoch: base.tssNonce,
      oldThreshold: base.commitments.length,
      oldPublicShares: publicSharesAt(base.commitments, dealers.flatMap((d) => [...d.indices])),
      dealers,
      oldShares: mine.map((index) => ({ index, share: this.share(index).valueBytes() })),
    };
    return {
      id,
      owns,
      input,
      rng,
      ...(opts.rotateAux ? { extensionInput: opts.rotateAux } : {}),
      finish: async (out) => {
        for (const s of input.oldShares) wipe(s.share);
        const aux = opts.rotateAux ? auxFromRefresh(out) : undefined;
        this.#stage({ tssNonce: out.epoch, commitments: out.commitments.map((c) => c.slice()), shares: new Map(owns.map((i) => [i, out.shares.export(i)])), ...(aux ? { aux } : {}) });
        out.shares.wipe();
      },
    };
  }

  /**
   * Phase 2 on the device: the staged epoch is durable. Keep the staged shares at `keep` (the
   * indices of factors this device holds keys for), wipe the others and every old buffer.
   */
  commitStaged(keep: readonly number[]): void {
    const s = this.#staged;
    if (!s) return fail('INTERNAL_BUG', 'commitStaged: nothing staged');
    const old = [...this.#held.values()];
    this.#held = new Map();
    for (const [i, v] of s.shares) {
      if (keep.includes(i)) this.#held.set(i, v);
      else wipe(v);
    }
    this.#staged = null;
    wipe(...old);
    if (s.aux) this.holdAux(s.aux, true); // rotated in the refresh session: proofs checked there
    for (const i of [...this.#aux.keys()]) if (!this.#held.has(i)) this.#aux.delete(i);
    for (const g of this.#userAux.values()) for (const i of [...g.keys()]) if (!this.#held.has(i)) g.delete(i);
  }

  /** The staged epoch never became durable: wipe it, keep the old shares. */
  dropStaged(): void {
    if (this.#staged) wipe(...this.#staged.shares.values());
    this.#staged = null;
  }

  /** Forget everything (log out). */
  wipeAll(): void {
    this.dropStaged();
    wipe(...this.#held.values());
    this.#held.clear();
    this.#current.clear();
    this.#aux.clear();
    this.#userAux.clear();
    this.#verifiedService.clear();
  }

  toJSON(): unknown {
    return { heldIndices: this.heldIndices, auxIndices: this.auxIndices, shares: '<redacted>', staged: this.#staged ? this.#staged.tssNonce : null };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DeviceParty(${JSON.stringify(this.toJSON())})`;
  }
}
