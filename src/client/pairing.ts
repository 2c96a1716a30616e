/**
 * Pairing two devices of the same user (issue 14): the device holding share index a shows a code
 * (`startPairing` → `{code, accept()}`), the device holding index b joins with it
 * (`joinPairing(code, …)`); then the two run user-only aux, presign and sign as two parties over
 * the bus (`paired-device.ts`), each with its own share — the key is never assembled.
 *
 *   host (index a)                                        joiner (index b)
 *   identity h (one-time), secret s (16 B)  ── code = tkp1:…(s ‖ H)@address ──▶
 *   listen at address                     ◀── bus handshake: signed DH, joiner refuses any key ≠ H
 *                                         ◀── {m: join, index: b, key: Y, proof = HMAC(s, … connSid …)}
 *   checks proof (constant time), expiry,
 *   single use, the account key Y, b ≠ a  ──▶ {m: ok, index: a} | {m: no, reason}
 *
 * The handshake authenticates the host to the joiner (the code carries H); the proof authenticates
 * the joiner to the host (only the code's reader knows s) and is bound to this connection
 * (`pairing-code.ts`). A wrong code or a man in the middle ends in a typed error and no session
 * runs: `BUS_AUTH_FAILED` at the joiner (another key answered), `PAIRING_REFUSED` (reason
 * `wrong-code`, `expired`, `used`, `account-mismatch`, `index`) at the joiner, the host keeps
 * waiting for the right device. A code is single use and expires (`ttlMs`, default 2 min; then
 * `accept()` rejects `PAIRING_EXPIRED` and the host stops listening).
 *
 * Transports: a `Rendezvous` (`listen` at the host, `connect` at the joiner) — `memoryRendezvous()`
 * (in-process), `wsRendezvous()` (`pairing-ws.ts`, Node: WebSocket), or any pair of functions over a
 * `LinkServer` / `connectLink` (a relay, WebRTC…).
 * @module
 */
import { equalBytes } from '../bytes.js';
import { fail, InternalBug, InvalidInput, isTkeyTssError, type TkeyTssError } from '../errors.js';
import { Identity } from '../bus/secure-channel.js';
import { connectLink, LinkServer, type Link } from '../bus/session-link.js';
import { memoryPair } from '../bus/transport.js';
import type { Core } from './core.js';
import { checkpointOf } from './shares.js';
import { SERVICE_INDEX } from './service-party.js';
import { decodePairingCode, encodePairingCode, pairingProof, PAIRING_SECRET_BYTES } from './pairing-code.js';
import { PairedDevice, pairMessage, PAIR_PROTOCOL, sendPair, type PairedOptions } from './paired-device.js';

/** The host's end of a rendezvous: links of joiners arrive in `links`; `address` goes into the code. */
export interface PairingHostEnd {
  readonly links: LinkServer;
  readonly address: string;
  close(): void | Promise<void>;
}

/** How the two devices reach each other. */
export interface Rendezvous {
  listen(identityKey: Uint8Array): Promise<PairingHostEnd>;
  connect(address: string, opts: { identityKey: Uint8Array; serverPub: Uint8Array; onRefused: (e: TkeyTssError) => void }): { link: Link; close(): void };
}

/** In-process rendezvous (both devices in one process; tests, demos): addresses `mem:<n>`. */
export function memoryRendezvous(): Rendezvous {
  const servers = new Map<string, LinkServer>();
  let n = 0;
  return {
    async listen(identityKey) {
      const links = new LinkServer({ identityKey });
      const address = `mem:${++n}`;
      servers.set(address, links);
      return {
        links,
        address,
        close: () => {
          servers.delete(address);
          links.close();
        },
      };
    },
    connect(address, opts) {
      const server = servers.get(address);
      if (!server) return fail('BUS_CLOSED', `nobody listens at ${address}`);
      const pair = memoryPair();
      server.accept(pair.a);
      const link = connectLink(pair.b, { identityKey: opts.identityKey, serverPub: opts.serverPub, onRefused: (e) => opts.onRefused(e) });
      return { link, close: () => pair.b.close() };
    },
  };
}

export interface StartPairingOptions extends PairedOptions {
  rendezvous: Rendezvous;
  /** The share index this device signs with (default: the lowest held). */
  index?: number;
  /** Lifetime of the code (ms, default 120 000, 1 s … 1 h). */
  ttlMs?: number;
  /** Clock (ms; tests). Default `Date.now`. */
  now?: () => number;
  /** A joiner was refused (wrong code, expired, used, …): the host keeps waiting. */
  onRefused?: (reason: string) => void;
}

export interface Pairing {
  /** Show it to the user (text or QR code). SECRET until used: whoever reads it can pair. */
  readonly code: string;
  /** When the code expires (ms since the epoch). */
  readonly expiresAt: number;
  /** The paired device, once one joined with the code (`PAIRING_EXPIRED` when none did in time). */
  accept(): Promise<PairedDevice>;
  /** Stop listening (also ends the paired link). */
  close(): Promise<void>;
}

export interface JoinPairingOptions extends PairedOptions {
  rendezvous: Rendezvous;
  index?: number;
  /** Wait this long for the host's answer (ms, default 30 000). */
  timeoutMs?: number;
}

function ownIndex(c: Core, index: number | undefined): number {
  const held = c.device.heldIndices.filter((i) => i !== SERVICE_INDEX);
  const i = index ?? held[0];
  if (i === undefined) return fail('NOT_ENOUGH_SHARES', 'the device holds no user share: log in with a factor first');
  if (!Number.isSafeInteger(i) || i < 2) fail('OUT_OF_RANGE', 'index: a user share index (≥ 2)');
  if (!held.includes(i)) fail('NOT_ENOUGH_SHARES', `the device holds no share at index ${i}`, { missing: [i] });
  const t = checkpointOf(c.tk.getMetadata(), c.tssTag).commitments.length;
  if (t !== 2) fail('OUT_OF_RANGE', `two-device signing needs a 2-of-n account (this one is ${t}-of-n)`, { threshold: t });
  return i;
}

const accountKey = (c: Core): Uint8Array => checkpointOf(c.tk.getMetadata(), c.tssTag).commitments[0]!;

/** Host side: a one-time code and the device that joins with it. */
export async function startPairing(c: Core, lock: <T>(fn: () => Promise<T>) => Promise<T>, opts: StartPairingOptions): Promise<Pairing> {
  if (typeof opts !== 'object' || opts === null || typeof opts.rendezvous?.listen !== 'function') return fail('INVALID_ARGUMENT', 'options: expected {rendezvous, index?, ttlMs?}');
  const self = ownIndex(c, opts.index);
  const ttlMs = opts.ttlMs ?? 120_000;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 3_600_000) fail('OUT_OF_RANGE', 'ttlMs: 1 … 3 600 000');
  const now = opts.now ?? Date.now;
  const key = c.rng.bytes(32);
  const identity = new Identity(key);
  const secret = c.rng.bytes(PAIRING_SECRET_BYTES);
  const end = await opts.rendezvous.listen(key);
  key.fill(0);
  const expiresAt = now() + ttlMs;
  const code = encodePairingCode({ secret, hostPub: identity.publicKey, address: end.address });
  let used = false;
  let done = false;
  let resolve!: (p: PairedDevice) => void;
  let reject!: (e: unknown) => void;
  const accepted = new Promise<PairedDevice>((res, rej) => ((resolve = res), (reject = rej)));
  accepted.catch(() => undefined); // rejected at expiry even when nobody awaits it
  const close = async (): Promise<void> => {
    clearTimeout(timer);
    secret.fill(0);
    done = true;
    await end.close();
  };
  const timer = setTimeout(() => {
    if (used) return;
    reject(new InvalidInput('PAIRING_EXPIRED', 'no device joined with the pairing code before it expired; start a new pairing', { expiresAt }));
    void close();
  }, ttlMs);
  (timer as { unref?: () => void }).unref?.();

  const onLink = (link: Link): void => {
    const sid = link.connectionSid;
    if (!sid) return;
    const off = link.subscribe(sid, (env) => {
      if (env.protocol !== PAIR_PROTOCOL) return;
      off();
      const no = (reason: string): void => {
        sendPair(link, sid, { m: 'no', reason });
        opts.onRefused?.(reason);
      };
      let join: { index: number; key: Uint8Array; proof: Uint8Array };
      try {
        join = pairMessage(env.payload, 'join');
      } catch {
        return no('malformed');
      }
      const peerPub = link.peerPub!;
      if (done) return no(used ? 'used' : 'expired');
      let proofOk = false;
      try {
        proofOk = equalBytes(join.proof, pairingProof(secret, sid, identity.publicKey, peerPub, join.index, join.key));
      } catch {
        proofOk = false;
      }
      if (!proofOk) return no('wrong-code');
      if (now() > expiresAt) return no('expired');
      if (used) return no('used');
      if (!equalBytes(join.key, accountKey(c))) return no('account-mismatch');
      if (join.index === self || join.index === SERVICE_INDEX) return no('index');
      used = true;
      clearTimeout(timer);
      sendPair(link, sid, { m: 'ok', index: self });
      resolve(new PairedDevice(c, lock, { link, pairSid: sid, self, peer: join.index, role: 'host', close: () => close() }, opts));
    });
  };
  end.links.onLink(onLink);
  return {
    code,
    expiresAt,
    accept: () => accepted,
    close,
  };
}

/** Joiner side: connect to the code's address, prove the code, get the paired host. */
export async function joinPairing(c: Core, lock: <T>(fn: () => Promise<T>) => Promise<T>, code: string, opts: JoinPairingOptions): Promise<PairedDevice> {
  if (typeof opts !== 'object' || opts === null || typeof opts.rendezvous?.connect !== 'function') return fail('INVALID_ARGUMENT', 'options: expected {rendezvous, index?}');
  const parsed = decodePairingCode(code);
  const self = ownIndex(c, opts.index);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const key = c.rng.bytes(32);
  const me = new Identity(key);
  let refused: (e: TkeyTssError) => void = () => undefined;
  const refusal = new Promise<never>((_, rej) => (refused = rej));
  refusal.catch(() => undefined);
  const conn = opts.rendezvous.connect(parsed.address, {
    identityKey: key,
    serverPub: parsed.hostPub,
    onRefused: (e) => {
      if (isTkeyTssError(e, 'BUS_AUTH_FAILED')) refused(new InvalidInput('BUS_AUTH_FAILED', `the device at ${parsed.address} is not the one that showed the code (another identity key answered); nothing was sent`, { peer: e.details?.['peer'] ?? null }));
    },
  });
  key.fill(0);
  try {
    await Promise.race([conn.link.whenReady(timeoutMs), refusal]);
    const sid = conn.link.connectionSid!;
    const answer = new Promise<{ m: 'ok'; index: number } | { m: 'no'; reason: string }>((res, rej) => {
      const t = setTimeout(() => rej(new InternalBug('the pairing host did not answer in time', undefined, 'BUS_TIMEOUT')), timeoutMs);
      const off = conn.link.subscribe(sid, (env) => {
        if (env.protocol !== PAIR_PROTOCOL) return;
        off();
        clearTimeout(t);
        try {
          res(pairMessage(env.payload, 'answer'));
        } catch (e) {
          rej(e);
        }
      });
    });
    const proof = pairingProof(parsed.secret, sid, parsed.hostPub, me.publicKey, self, accountKey(c));
    parsed.secret.fill(0);
    sendPair(conn.link, sid, { m: 'join', index: self, key: accountKey(c), proof });
    const a = await Promise.race([answer, refusal]);
    if (a.m === 'no') return fail('PAIRING_REFUSED', `the other device refused to pair: ${a.reason}`, { reason: a.reason });
    if (a.index === self || a.index === SERVICE_INDEX) return fail('PAIRING_REFUSED', `the other device signs with index ${a.index}: not a second user index`, { reason: 'index' });
    return new PairedDevice(c, lock, { link: conn.link, pairSid: sid, self, peer: a.index, role: 'joiner', close: () => conn.close() }, opts);
  } catch (e) {
    conn.close();
    throw e;
  }
}
