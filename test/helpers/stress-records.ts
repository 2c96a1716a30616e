/** Addresses the FileStorage stress writers write (test/helpers/file-store-child.ts `stress`, test/storage-stress.test.ts). */
import type { RecordAddress } from '../../src/storage/types.js';

/** The record the stress batch at `nonce` writes (one per nonce: an overwrite shows as a lost acknowledged value). */
export const stressSlot = (account: string, nonce: number): RecordAddress => ({ pubX: account + nonce.toString(16).padStart(8, '0'), pubY: '5107', namespace: 'stress' });
/** The record every stress batch of `account` writes. */
export const stressHead = (account: string): RecordAddress => ({ pubX: account, pubY: 'ead', namespace: 'stress' });
