/**
 * The page script of test/service-client-browser.test.ts (bundled by the test with esbuild for the
 * browser, never committed): `connectService` with the browser's own WebSocket, a login whose ID
 * token Node mints (`window.mintToken(nonce)`, exposed by the test), a call the server authorizes,
 * a dropped connection and the same call again (resumed, no new token).
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { connectService } from '../../src/client/service-client.js';
import { isTkeyTssError } from '../../src/errors.js';

declare global {
  interface Window {
    mintToken(nonce: string): Promise<string>;
    probe(o: { url: string; busPub: string; account: string }): Promise<unknown>;
  }
}

window.probe = async ({ url, busPub, account }) => {
  let tokens = 0;
  const svc = await connectService(url, {
    serverPub: hexToBytes(busPub),
    getIdToken: async ({ nonce }) => {
      tokens++;
      return window.mintToken(nonce);
    },
  });
  const ref = { metadataPub: hexToBytes(account), tssTag: 'default' };
  const codeOf = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return isTkeyTssError(e) ? e.code : String(e);
    }
  };
  const first = await codeOf(svc.finalize(ref));
  svc.drop();
  const second = await codeOf(svc.finalize(ref));
  const out = { subject: svc.subject, identityPub: bytesToHex(svc.identityPub), first, second, tokens, hasGlobalWebSocket: typeof WebSocket === 'function' };
  svc.close();
  return out;
};
