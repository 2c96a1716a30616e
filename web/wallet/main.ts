/**
 * The development web wallet page (`GET /wallet/`, served by `tkey-tss serve` in development mode;
 * bundled by the server with esbuild). What runs where:
 *
 * - metadata: over HTTP to the same server (`HttpMetadataStorage`, every write signed by its owner);
 * - the co-signing service: over the browser's WebSocket (`connectService`: bus, secure channel,
 *   login with a development-issuer ID token bound to this device's bus key);
 * - the device's Paillier key generation (safe primes, the slowest step): every Web Worker of a
 *   math pool races for them, started at page start, ahead of need (`device-aux.ts`);
 * - the device's protocol rounds (keygen, aux, refresh, presign, sign): a Web Worker (the party
 *   engine, `workers/browser/worker.ts`) through `WorkerBusPartyTransport`; this page's thread holds
 *   the bus link and only relays frames between it and the worker (nothing heavy runs here: the
 *   page records its long tasks in `window.walletLongTasks`, which the page's test checks);
 * - every signature is checked here with viem's recovery (`recoverMessageAddress`,
 *   `recoverTypedDataAddress`), independently of the library's own checks.
 *
 * The postbox key is sha256 of the login subject: a DEVELOPMENT stand-in for the OAuth network's
 * key, like the development issuer itself. The device factor key lives in localStorage.
 * @module
 */
import { recoverMessageAddress, recoverTypedDataAddress, type Hex } from 'viem';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { TssAccount } from '../../src/client/account.js';
import type { ClientOptions } from '../../src/client/core.js';
import { connectService, type ServiceClient } from '../../src/client/service-client.js';
import type { Signature } from '../../src/client/signing.js';
import { isTkeyTssError } from '../../src/errors.js';
import { sha256 } from '../../src/hash.js';
import { cryptoRng } from '../../src/rng.js';
import type { TypedData } from '../../src/signature/eip712.js';
import { ETHER_MAIL } from './example-typed-data.js';
import { HttpMetadataStorage } from '../../src/storage/http-storage.js';
import { FactorKey } from '../../src/tss/factor-key.js';
import { createBrowserPartyHost, type PartyHost } from '../../workers/browser/index.js';
import { WorkerBusPartyTransport } from '../../workers/bus-transport.js';
import { deviceAux, type DeviceAux, type WalletConfig } from './device-aux.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};
const button = (id: string): HTMLButtonElement => $<HTMLButtonElement>(id);
const server = new URL('..', location.href).href.replace(/\/$/, ''); // the page lives at <server>/wallet/
const RECOVERY_MNEMONIC_INDEX = 4;

interface State {
  sub: string;
  svc: ServiceClient;
  opts: ClientOptions;
  account?: TssAccount;
}
let state: State | undefined;
let steps = 0;
let aux: DeviceAux;
const clients: ServiceClient[] = [];
/** The device's protocol rounds run here (a Web Worker); the page relays frames. */
let deviceTransport: WorkerBusPartyTransport;
/** Main-thread tasks over 50 ms (Chromium's long-task entries), for the page's test. */
const longTasks: { start: number; ms: number; step: string }[] = [];
let currentStep = 'start';
(globalThis as { walletLongTasks?: unknown }).walletLongTasks = longTasks;
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: Math.round(e.startTime), ms: Math.round(e.duration), step: currentStep });
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // no long-task timing in this browser
}

// ---- status, progress, log ------------------------------------------------------------------

function log(line: string): void {
  $('log').textContent += `${new Date().toISOString().slice(11, 19)}  ${line}\n`;
}
function status(text: string, kind: 'idle' | 'busy' | 'error' = 'idle'): void {
  const s = $('status');
  s.textContent = text;
  s.className = kind;
  document.body.dataset.state = kind;
}
function progress(text: string): void {
  $('progress').textContent = text;
}

/** Run a step: buttons off, elapsed time and protocol rounds shown, errors shown with their code. */
async function step(name: string, fn: () => Promise<string>): Promise<void> {
  document.querySelectorAll('button').forEach((b) => (b.disabled = true));
  const t0 = performance.now();
  currentStep = name;
  status(`${name}…`, 'busy');
  const tick = setInterval(() => status(`${name}… ${((performance.now() - t0) / 1000).toFixed(0)} s`, 'busy'), 500);
  try {
    const done = await fn();
    const ms = Math.round(performance.now() - t0);
    status(`${done} (${ms} ms)`);
    log(`${name}: ${done} (${ms} ms)`);
    document.body.dataset.last = 'ok';
  } catch (e) {
    const msg = isTkeyTssError(e) ? `[${e.code}] ${e.message}` : String((e as Error)?.message ?? e);
    status(`${name} failed: ${msg}`, 'error');
    log(`${name} FAILED: ${msg}`);
    document.body.dataset.last = 'error';
    console.error(e);
  } finally {
    clearInterval(tick);
    progress('');
    currentStep = 'idle';
    enable();
    document.body.dataset.steps = String(++steps); // the test waits on this
  }
}

function enable(): void {
  const acc = state?.account;
  button('login').disabled = false;
  button('create').disabled = !state || !!acc;
  for (const id of ['sign-message', 'sign-typed', 'list-factors', 'lose']) button(id).disabled = !acc;
  button('add-mnemonic').disabled = !acc || acc.listFactors().some((f) => f.tssIndex === RECOVERY_MNEMONIC_INDEX);
  button('recover').disabled = !state || !!acc;
  document.querySelectorAll<HTMLButtonElement>('.remove-factor').forEach((b) => (b.disabled = !acc));
}

// ---- login and account --------------------------------------------------------------------

const deviceSlot = (sub: string): string => `tkey-tss-wallet/device-factor/${sub}`;

/** The development stand-in for the OAuth network's postbox key: sha256 of the subject. */
const postboxKeyOf = (sub: string): Uint8Array => sha256(utf8ToBytes(`tkey-tss dev wallet postbox key\n${sub}`));

async function connect(sub: string): Promise<ServiceClient> {
  const svc = await connectService(server, {
    getIdToken: async ({ nonce }) => {
      const r = await fetch(`${server}/dev/issuer/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, nonce }) });
      if (!r.ok) throw new Error(`development issuer: HTTP ${r.status}`);
      return ((await r.json()) as { id_token: string }).id_token;
    },
  });
  clients.push(svc);
  return svc;
}

function showAccount(): void {
  const acc = state?.account;
  $('account').hidden = !acc;
  if (!acc || !state) return;
  $('address').textContent = acc.address;
  $('public-key').textContent = bytesToHex(acc.publicKey);
  const indices = [...new Set(acc.listFactors().map((f) => f.tssIndex))].sort((a, b) => a - b);
  $('threshold').textContent = `${acc.threshold}-of-${indices.length + 1} shares (service 1; user ${indices.join(', ')}), ${acc.listFactors().length} user factors`;
  $('epoch').textContent = String(acc.tssNonce);
  $('signing').textContent = acc.signingIndices.join(', ');
  $('service').textContent = bytesToHex(state.svc.identityPub);
  showFactors();
}

function showFactors(): void {
  const acc = state?.account;
  const body = $('factors').querySelector('tbody')!;
  body.textContent = '';
  $('factors').hidden = !acc;
  if (!acc) return;
  for (const f of acc.listFactors()) {
    const tr = document.createElement('tr');
    for (const t of [String(f.tssIndex), f.descriptions.map((d) => d.module).join(', ') || f.type, f.factorPubHex]) {
      const td = document.createElement('td');
      td.textContent = t;
      tr.append(td);
    }
    // a factor of a share this device does not hold (the lost device's, an unused one) can be removed: a refresh
    const td = document.createElement('td');
    if (!acc.heldIndices.includes(f.tssIndex)) {
      const b = document.createElement('button');
      b.textContent = 'remove';
      b.className = 'remove-factor';
      b.dataset.index = String(f.tssIndex);
      b.addEventListener('click', () => void step('remove factor', () => removeFactor(f.factorPub, f.tssIndex)));
      td.append(b);
    } else td.textContent = 'held here';
    tr.append(td);
    body.append(tr);
  }
}

async function login(): Promise<string> {
  const sub = $<HTMLInputElement>('subject').value.trim();
  if (!sub) throw new Error('enter a subject');
  for (const c of clients.splice(0)) c.close();
  state?.account?.logout();
  const svc = await connect(sub);
  const storage = new HttpMetadataStorage({ url: server });
  state = { sub, svc, opts: { storage, postboxKey: postboxKeyOf(sub), service: svc, transport: deviceTransport, rng: cryptoRng } };
  $('login-info').textContent = `${svc.subject.sub} at ${svc.subject.iss}`;
  const saved = localStorage.getItem(deviceSlot(sub));
  if (saved) {
    state.account = await TssAccount.login(state.opts, FactorKey.fromBytes(hexToBytes(saved)));
    showAccount();
    return `logged in as ${sub}; this device's factor opened the account ${state.account.address}`;
  }
  showAccount();
  return `logged in as ${sub} (no device factor stored here: create an account, or recover)`;
}

async function create(): Promise<string> {
  const s = state!;
  const input = await aux.next(progress);
  progress('keygen with the service…');
  const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...s.opts, aux: input });
  localStorage.setItem(deviceSlot(s.sub), bytesToHex(deviceFactor.exportBytes()));
  deviceFactor.destroy();
  recoveryFactor.destroy(); // the creation's index-3 factor: this page adds its own mnemonic factor (step 5)
  s.account = account;
  showAccount();
  return `account created: ${account.address}`;
}

// ---- signing ------------------------------------------------------------------------------

interface SignatureRecord {
  kind: 'personal' | 'typed';
  message?: string;
  typedData?: TypedData;
  signature: Hex;
  address: string;
  recovered: string;
  ok: boolean;
}

function showSignature(rec: SignatureRecord, sig: Signature): void {
  const div = document.createElement('div');
  div.className = 'sig';
  div.dataset.result = JSON.stringify(rec);
  const what = rec.kind === 'personal' ? `personal message ${JSON.stringify(rec.message)}` : `EIP-712 ${rec.typedData!.primaryType}`;
  div.innerHTML = `<div><b></b></div><div class="mono">digest <span></span></div><div class="mono">signature <span></span></div><div class="mono">r <span></span> s <span></span> v <span></span></div><div>recovered in the page (viem): <span class="mono"></span> <span></span></div>`;
  const spans = div.querySelectorAll('span');
  div.querySelector('b')!.textContent = `${what}${sig.presigned ? ' (pooled presignature)' : ''}`;
  spans[0]!.textContent = '0x' + bytesToHex(sig.digest);
  spans[1]!.textContent = rec.signature;
  spans[2]!.textContent = '0x' + bytesToHex(sig.r);
  spans[3]!.textContent = '0x' + bytesToHex(sig.s);
  spans[4]!.textContent = String(sig.v);
  spans[5]!.textContent = rec.recovered;
  spans[6]!.textContent = rec.ok ? '✓ matches the account address' : '✗ does NOT match the account address';
  spans[6]!.className = rec.ok ? 'ok verified' : 'bad';
  $('signatures').prepend(div);
}

async function signMessage(): Promise<string> {
  const acc = state!.account!;
  const message = $<HTMLTextAreaElement>('message').value;
  const sig = await acc.sign({ personalMessage: message });
  const signature = ('0x' + bytesToHex(sig.ethSignature)) as Hex;
  const recovered = await recoverMessageAddress({ message, signature });
  const rec: SignatureRecord = { kind: 'personal', message, signature, address: acc.address, recovered, ok: recovered === acc.address };
  showSignature(rec, sig);
  if (!rec.ok) throw new Error(`the signature recovers to ${recovered}, not ${acc.address}`);
  return 'message signed; viem recovers the account address';
}

async function signTyped(): Promise<string> {
  const acc = state!.account!;
  const typedData = JSON.parse($<HTMLTextAreaElement>('typed').value) as TypedData;
  const sig = await acc.sign({ typedData });
  const signature = ('0x' + bytesToHex(sig.ethSignature)) as Hex;
  const recovered = await recoverTypedDataAddress({ ...(typedData as unknown as Parameters<typeof recoverTypedDataAddress>[0]), signature });
  const rec: SignatureRecord = { kind: 'typed', typedData, signature, address: acc.address, recovered, ok: recovered === acc.address };
  showSignature(rec, sig);
  if (!rec.ok) throw new Error(`the signature recovers to ${recovered}, not ${acc.address}`);
  return 'typed data signed; viem recovers the account address';
}

// ---- factors, mnemonic, loss, recovery ----------------------------------------------------

async function removeFactor(pub: Uint8Array, index: number): Promise<string> {
  const acc = state!.account!;
  progress('refresh with the service (the removed factor\'s share becomes useless)…');
  await acc.deleteFactor(pub);
  showAccount();
  return `factor at share index ${index} removed (refresh to epoch ${acc.tssNonce})`;
}

async function addMnemonic(): Promise<string> {
  const acc = state!.account!;
  const key = FactorKey.random();
  progress('refresh with the service (a new share index for the mnemonic)…');
  await acc.addFactor({ factor: key, tssIndex: RECOVERY_MNEMONIC_INDEX, module: 'seedPhrase' });
  const words = key.toMnemonic();
  key.destroy();
  $('words').textContent = words;
  $('words').hidden = false;
  showAccount();
  return `recovery mnemonic added (share index ${RECOVERY_MNEMONIC_INDEX}, refresh to epoch ${acc.tssNonce}): write down the 24 words`;
}

async function lose(): Promise<string> {
  const s = state!;
  s.account!.logout();
  s.account = undefined;
  localStorage.removeItem(deviceSlot(s.sub));
  for (const c of clients.splice(0)) c.close();
  $('words').hidden = true;
  $('signatures').textContent = '';
  // still "logged in" with the identity provider: a fresh connection and device key for the recovery
  s.svc = await connect(s.sub);
  s.opts = { ...s.opts, service: s.svc, transport: deviceTransport };
  showAccount();
  return `device lost: its factor key is gone from localStorage (${localStorage.length} items left), its shares wiped`;
}

async function recover(): Promise<string> {
  const s = state!;
  const words = $<HTMLTextAreaElement>('recover-words').value.trim().split(/\s+/).join(' ');
  const factor = FactorKey.fromMnemonic(words);
  const acc = await TssAccount.login(s.opts, factor);
  factor.destroy();
  if (acc.auxMissing.length > 0) {
    const input = await aux.next(progress);
    progress('aux info with the service for the recovered share…');
    for (const i of acc.auxMissing) await acc.setupAux(input, { index: i });
  }
  // this new device gets its own factor: a copy of the recovered share (one metadata batch)
  const device = FactorKey.random();
  await acc.addFactor({ factor: device, tssIndex: acc.signingIndices[0]!, module: 'deviceShare' });
  localStorage.setItem(deviceSlot(s.sub), bytesToHex(device.exportBytes()));
  device.destroy();
  s.account = acc;
  showAccount();
  return `recovered ${acc.address} with the mnemonic; a new device factor is stored here`;
}

// ---- start --------------------------------------------------------------------------------

async function start(): Promise<void> {
  const cfg = (await (await fetch('./config.json')).json()) as WalletConfig;
  const host: PartyHost = await createBrowserPartyHost(new URL(cfg.workerUrl, location.href));
  deviceTransport = new WorkerBusPartyTransport([host], { onProgress: (_party, e) => progress(`${e.protocol} · round ${e.round} ${e.phase === 'end' ? `done (${e.ms ?? 0} ms)` : 'running'} (worker)`) });
  aux = await deviceAux(cfg);
  const banner = $('primes-banner');
  if (cfg.testPrimes) {
    banner.className = 'warn';
    banner.textContent = 'TEST MODE: this page uses the PUBLIC pregenerated test primes for the device\'s Paillier keys (TKEY_DEMO_TEST_PRIMES=1). Keys made here protect nothing.';
  } else {
    banner.textContent = 'Device Paillier keys: real safe primes, generated in Web Workers (seconds to tens of seconds per key).';
  }
  $<HTMLTextAreaElement>('typed').value = JSON.stringify(ETHER_MAIL, null, 2);
  $<HTMLInputElement>('subject').value = `dev-user-${bytesToHex(cryptoRng.bytes(3))}`;
  const on = (id: string, name: string, fn: () => Promise<string>) => button(id).addEventListener('click', () => void step(name, fn));
  on('login', 'log in', login);
  on('create', 'create account', create);
  on('sign-message', 'sign personal message', signMessage);
  on('sign-typed', 'sign typed data', signTyped);
  on('list-factors', 'list factors', async () => {
    showFactors();
    return `${state!.account!.listFactors().length} factors (and the service's share 1)`;
  });
  on('add-mnemonic', 'add recovery mnemonic', addMnemonic);
  on('lose', 'lose the device', lose);
  on('recover', 'recover', recover);
  enable();
  status('ready: log in');
  document.body.dataset.ready = '1';
}

start().catch((e: unknown) => status(`the page failed to start: ${String((e as Error)?.message ?? e)}`, 'error'));
