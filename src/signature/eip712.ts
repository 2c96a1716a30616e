/**
 * EIP-712 typed structured data hashing: `encodeType`, `typeHash`, `encodeData`, `hashStruct`,
 * `hashDomain` and `hashTypedData` = keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)).
 *
 * Types: bool, address, string, bytes, bytes1..bytes32, uint8..uint256, int8..int256 (multiples of 8),
 * structs named in `types` (recursive types allowed), arrays `T[]` and `T[k]` of any of them, nested.
 * Values, strictly: numbers as bigint, safe integer, decimal string or 0x-hex string (int: a leading
 * minus); bytes as Uint8Array or 0x-hex; bytesN of exactly N bytes; addresses as 20 bytes or 0x + 40
 * hex (a mixed-case address must carry a valid EIP-55 checksum); bool as boolean; string as string.
 * Every struct field must be present and no other key may be: a value the user was shown but that
 * is not signed is refused. Without `types.EIP712Domain`, the domain's type is derived from the
 * standard fields present (name, version, chainId, verifyingContract, salt, in that order).
 * Malformed input throws `TYPED_DATA_INVALID`, naming the path of the offending value.
 * @module
 */
import { concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import { toChecksumAddress } from './ecdsa.js';

export interface TypedDataField {
  name: string;
  type: string;
}
export type TypedDataTypes = Record<string, readonly TypedDataField[]>;
export interface TypedData {
  types: TypedDataTypes;
  primaryType: string;
  domain: Record<string, unknown>;
  message: Record<string, unknown>;
}

const DOMAIN = 'EIP712Domain';
const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TWO256 = 1n << 256n;

function bad(path: string, why: string): never {
  return fail('TYPED_DATA_INVALID', `${path}: ${why}`, { path });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Validate the shape of `types` (field lists, names, duplicates); types are resolved lazily. */
function checkTypes(types: unknown): TypedDataTypes {
  if (!isRecord(types)) bad('types', 'expected an object of struct definitions');
  for (const [name, fields] of Object.entries(types)) {
    if (!IDENT.test(name)) bad(`types.${name}`, 'not a valid struct name');
    if (!Array.isArray(fields)) bad(`types.${name}`, 'expected an array of {name, type}');
    const seen = new Set<string>();
    for (const [i, f] of fields.entries()) {
      if (!isRecord(f) || typeof f.name !== 'string' || typeof f.type !== 'string') bad(`types.${name}[${i}]`, 'expected {name: string, type: string}');
      if (!IDENT.test(f.name)) bad(`types.${name}[${i}]`, `not a valid field name: ${JSON.stringify(f.name)}`);
      if (seen.has(f.name)) bad(`types.${name}[${i}]`, `duplicate field ${f.name}`);
      seen.add(f.name);
    }
  }
  return types as TypedDataTypes;
}

/** `T[2][]` → {base: 'T[2]', size: undefined}; non-arrays → undefined. */
function splitArray(type: string, path: string): { base: string; size?: number } | undefined {
  if (!type.endsWith(']')) return undefined;
  const open = type.lastIndexOf('[');
  if (open <= 0) bad(path, `malformed array type ${type}`);
  const inner = type.slice(open + 1, -1);
  if (inner !== '' && !/^[1-9][0-9]{0,5}$/.test(inner)) bad(path, `malformed array length in ${type}`);
  return inner === '' ? { base: type.slice(0, open) } : { base: type.slice(0, open), size: Number(inner) };
}

function baseStruct(type: string, types: TypedDataTypes, path: string): string | undefined {
  let t = type;
  for (let a = splitArray(t, path); a; a = splitArray(t, path)) t = a.base;
  if (Object.prototype.hasOwnProperty.call(types, t)) return t;
  if (!isAtomicOrDynamic(t)) bad(path, `unknown type ${t}`);
  return undefined;
}

function isAtomicOrDynamic(t: string): boolean {
  if (t === 'bool' || t === 'address' || t === 'string' || t === 'bytes') return true;
  let m = /^bytes([0-9]+)$/.exec(t);
  if (m) return String(Number(m[1])) === m[1] && Number(m[1]) >= 1 && Number(m[1]) <= 32;
  m = /^u?int([0-9]+)$/.exec(t);
  if (m) return String(Number(m[1])) === m[1] && Number(m[1]) % 8 === 0 && Number(m[1]) >= 8 && Number(m[1]) <= 256;
  return false;
}

function fieldsOf(name: string, types: TypedDataTypes): readonly TypedDataField[] {
  const f = Object.prototype.hasOwnProperty.call(types, name) ? types[name] : undefined;
  if (f === undefined) bad(`types.${name}`, 'unknown struct type');
  return f;
}

/** `primary` and every struct type it references, transitively (primary first, the rest sorted). */
function dependencies(primary: string, types: TypedDataTypes): string[] {
  const found = new Set<string>([primary]);
  const stack = [primary];
  while (stack.length) {
    const name = stack.pop()!;
    for (const f of fieldsOf(name, types)) {
      const dep = baseStruct(f.type, types, `types.${name}.${f.name}`);
      if (dep !== undefined && !found.has(dep)) {
        found.add(dep);
        stack.push(dep);
      }
    }
  }
  found.delete(primary);
  return [primary, ...[...found].sort()];
}

/** EIP-712 `encodeType`: `Mail(Person from,Person to,string contents)Person(string name,address wallet)`. */
export function encodeType(primaryType: string, types: TypedDataTypes): string {
  const t = checkTypes(types);
  if (typeof primaryType !== 'string') bad('primaryType', 'expected a string');
  return dependencies(primaryType, t)
    .map((n) => `${n}(${fieldsOf(n, t).map((f) => `${f.type} ${f.name}`).join(',')})`)
    .join('');
}

/** keccak256(encodeType). */
export function typeHash(primaryType: string, types: TypedDataTypes): Uint8Array {
  return keccak256(utf8ToBytes(encodeType(primaryType, types)));
}

function toBigInt(v: unknown, path: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) bad(path, 'number is not a safe integer (pass a bigint or a string)');
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const neg = v.startsWith('-');
    const body = neg ? v.slice(1) : v;
    if (/^[0-9]+$/.test(body) || /^0x[0-9a-fA-F]+$/.test(body)) return neg ? -BigInt(body) : BigInt(body);
    bad(path, `not an integer: ${JSON.stringify(v)}`);
  }
  return bad(path, 'expected an integer (bigint, number or string)');
}

function toBytes(v: unknown, path: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(v)) return hexToBytes(v);
  return bad(path, 'expected a Uint8Array or an even-length 0x-hex string');
}

function word(n: bigint): Uint8Array {
  return numberToBytesBE(n, 32);
}

/** 32-byte encoding of one value (`encodeData`'s per-member rule). */
function encodeValue(type: string, value: unknown, types: TypedDataTypes, path: string, depth: number): Uint8Array {
  if (depth > 64) bad(path, 'nesting too deep');
  const arr = splitArray(type, path);
  if (arr) {
    if (!Array.isArray(value)) bad(path, `expected an array for ${type}`);
    if (arr.size !== undefined && value.length !== arr.size) bad(path, `expected ${arr.size} elements, got ${value.length}`);
    return keccak256(concatBytes(...value.map((e, i) => encodeValue(arr.base, e, types, `${path}[${i}]`, depth + 1))));
  }
  if (Object.prototype.hasOwnProperty.call(types, type)) return hashStructInner(type, value, types, path, depth + 1);
  if (type === 'string') {
    if (typeof value !== 'string') bad(path, 'expected a string');
    return keccak256(utf8ToBytes(value));
  }
  if (type === 'bytes') return keccak256(toBytes(value, path));
  if (type === 'bool') {
    if (typeof value !== 'boolean') bad(path, 'expected a boolean');
    return word(value ? 1n : 0n);
  }
  if (type === 'address') {
    let a: Uint8Array;
    if (value instanceof Uint8Array) a = value;
    else if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) {
      const body = value.slice(2);
      if (body !== body.toLowerCase() && body !== body.toUpperCase() && toChecksumAddress(value) !== value) bad(path, 'mixed-case address with a wrong EIP-55 checksum');
      a = hexToBytes(value);
    } else return bad(path, 'expected an address (20 bytes or 0x + 40 hex)');
    if (a.length !== 20) bad(path, `expected a 20-byte address, got ${a.length} bytes`);
    const out = new Uint8Array(32);
    out.set(a, 12);
    return out;
  }
  let m = /^bytes([0-9]+)$/.exec(type);
  if (m && isAtomicOrDynamic(type)) {
    const b = toBytes(value, path);
    if (b.length !== Number(m[1])) bad(path, `expected exactly ${m[1]} bytes for ${type}, got ${b.length}`);
    const out = new Uint8Array(32);
    out.set(b);
    return out;
  }
  m = /^(u?)int([0-9]+)$/.exec(type);
  if (m && isAtomicOrDynamic(type)) {
    const bits = BigInt(m[2]!);
    const n = toBigInt(value, path);
    if (m[1] === 'u') {
      if (n < 0n || n >= 1n << bits) bad(path, `${n} does not fit ${type}`);
      return word(n);
    }
    const lim = 1n << (bits - 1n);
    if (n < -lim || n >= lim) bad(path, `${n} does not fit ${type}`);
    return word(n < 0n ? TWO256 + n : n);
  }
  return bad(path, `unknown type ${type}`);
}

function encodeDataInner(primaryType: string, data: unknown, types: TypedDataTypes, path: string, depth: number): Uint8Array {
  const fields = fieldsOf(primaryType, types);
  if (!isRecord(data)) bad(path, `expected an object for struct ${primaryType}`);
  const names = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(data)) if (!names.has(k)) bad(`${path}.${k}`, `not a field of ${primaryType}`);
  const parts = [typeHash(primaryType, types)];
  for (const f of fields) {
    if (!Object.prototype.hasOwnProperty.call(data, f.name) || data[f.name] === undefined) bad(`${path}.${f.name}`, `missing field of ${primaryType}`);
    parts.push(encodeValue(f.type, data[f.name], types, `${path}.${f.name}`, depth));
  }
  return concatBytes(...parts);
}

function hashStructInner(primaryType: string, data: unknown, types: TypedDataTypes, path: string, depth: number): Uint8Array {
  return keccak256(encodeDataInner(primaryType, data, types, path, depth));
}

/** EIP-712 `encodeData`: typeHash ‖ the 32-byte encoding of each member, in type order. */
export function encodeData(primaryType: string, data: Record<string, unknown>, types: TypedDataTypes): Uint8Array {
  const t = checkTypes(types);
  dependencies(primaryType, t); // every referenced type exists
  return encodeDataInner(primaryType, data, t, primaryType, 0);
}

/** EIP-712 `hashStruct` = keccak256(encodeData). */
export function hashStruct(primaryType: string, data: Record<string, unknown>, types: TypedDataTypes): Uint8Array {
  return keccak256(encodeData(primaryType, data, types));
}

function domainTypes(domain: Record<string, unknown>, types: TypedDataTypes | undefined): TypedDataTypes {
  if (types && Object.prototype.hasOwnProperty.call(types, DOMAIN)) return types;
  for (const k of Object.keys(domain)) if (!DOMAIN_FIELDS.some((f) => f.name === k)) bad(`domain.${k}`, 'not an EIP712Domain field (declare types.EIP712Domain to use it)');
  return { ...(types ?? {}), [DOMAIN]: DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined) };
}

/** The domain separator hashStruct(EIP712Domain, domain). */
export function hashDomain(domain: Record<string, unknown>, types?: TypedDataTypes): Uint8Array {
  if (!isRecord(domain)) bad('domain', 'expected an object');
  const t = domainTypes(domain, types === undefined ? undefined : checkTypes(types));
  return hashStruct(DOMAIN, domain, t);
}

/**
 * The EIP-712 digest `eth_signTypedData_v4` signs: keccak256(0x19 0x01 ‖ domainSeparator ‖
 * hashStruct(primaryType, message)); for primaryType EIP712Domain the message hash is omitted.
 */
export function hashTypedData(typedData: TypedData): Uint8Array {
  if (!isRecord(typedData)) bad('typedData', 'expected {types, primaryType, domain, message}');
  const { primaryType, domain, message } = typedData;
  const types = checkTypes(typedData.types);
  if (typeof primaryType !== 'string' || !IDENT.test(primaryType)) bad('primaryType', 'expected a struct name');
  if (!isRecord(domain)) bad('domain', 'expected an object');
  const dTypes = domainTypes(domain, types);
  const sep = hashStruct(DOMAIN, domain, dTypes);
  if (primaryType === DOMAIN) return keccak256(concatBytes(Uint8Array.of(0x19, 0x01), sep));
  if (!isRecord(message)) bad('message', 'expected an object');
  return keccak256(concatBytes(Uint8Array.of(0x19, 0x01), sep, hashStruct(primaryType, message, dTypes)));
}

