/**
 * Issue 6 item 1: a service and a device in two OS processes on loopback. The child
 * (helpers/bus-service-child.ts) runs the co-signing service over WebSocket on 127.0.0.1; this
 * process is the device: it connects (handshake, secure channel), creates a 2-of-3 account (keygen
 * + aux over the bus), then signs (presign over the bus, then the online sign as one `signOnline`
 * request on the same connection: no sign session). The signature verifies with
 * @noble/curves and with the OpenSSL CLI; the child exits by itself when the device disconnects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, bytesToNumberBE, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { connectLinkNode } from '../src/bus/ws-node.js';
import { TssAccount } from '../src/client/account.js';
import { BusPartyTransport } from '../src/client/bus-transport.js';
import { connectService } from '../src/client/service-rpc.js';
import { seededRng } from '../src/rng.js';
import { FileStorage } from '../src/storage/file-store.js';
import { deviceAux } from './helpers/account.js';
import { verifyDigest } from './helpers/openssl-verify.js';
import { POSTBOX } from './helpers/tkey.js';
import { nobleVerify, recovers } from './helpers/verify-signature.js';

const child = fileURLToPath(new URL('./helpers/bus-service-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const DEVICE_IDENTITY = new Uint8Array(32).fill(0x5a);

describe('bus: service and device in two processes over WebSocket (127.0.0.1)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it('keygen, aux, presign and the one-request sign across processes; the signature verifies; the child exits by itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bus-two-process-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', child, dir, '100000'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
    cleanup.push(async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    const ready = await new Promise<{ port: number; pub: string }>((res, rej) => {
      let out = '';
      const t = setTimeout(() => rej(new Error(`the service child did not start: ${stderr}`)), 60_000);
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /READY (\d+) ([0-9a-f]{66})\n/.exec(out);
        if (m) {
          clearTimeout(t);
          res({ port: Number(m[1]), pub: m[2]! });
        }
      });
      proc.on('exit', (code) => rej(new Error(`the service child exited early (${code}): ${stderr}`)));
    });
    expect(proc.pid).not.toBe(process.pid);

    const { link, transport } = connectLinkNode(`ws://127.0.0.1:${ready.port}`, { identityKey: DEVICE_IDENTITY, serverPub: hexToBytes(ready.pub) });
    const service = await connectService(link);
    expect(bytesToHex(service.identityPub)).toBe(ready.pub);
    const storage = new FileStorage({ dir });
    const phases: string[] = [];
    const bus = new BusPartyTransport({ stallMs: 60_000, onProgress: (_party, e) => e.phase === 'end' && phases.push(`${e.protocol}/${e.round}`) });
    const { account } = await TssAccount.create({ storage, postboxKey: POSTBOX, service, transport: bus, rng: seededRng('two-process/device'), aux: deviceAux(1) });
    expect(account.publicKey).toHaveLength(33);
    const message = utf8ToBytes('two processes, one signature');
    const sig = await account.sign({ message });
    transport.close();

    expect(phases.some((p) => p.startsWith('keygen/'))).toBe(true);
    expect(phases.some((p) => p.startsWith('aux/'))).toBe(true);
    expect(phases.some((p) => p.startsWith('presign/'))).toBe(true);
    // the online sign is one signOnline request on the RPC connection, not a bus session
    expect(phases.some((p) => p.startsWith('sign/'))).toBe(false);
    expect(nobleVerify(sig.digest, sig.signature, account.publicKey)).toBe(true);
    expect(recovers(sig.digest, sig.r, sig.s, sig.v, account.publicKey)).toBe(true);
    expect(verifyDigest(sig.digest, bytesToNumberBE(sig.r), bytesToNumberBE(sig.s), account.publicKey)).toBe(true);
    // a flipped bit does not verify (the check can fail)
    const bad = sig.signature.slice();
    bad[40]! ^= 1;
    expect(nobleVerify(sig.digest, bad, account.publicKey)).toBe(false);

    expect(await exited, stderr).toBe(0); // the child noticed the device leaving and exited by itself
    expect(stderr).not.toContain('refused');
    expect(stderr).not.toContain('session error');
  });
});
