"""The primitives of test-vectors/SPEC.md §1-§5, Python 3 standard library only.

ChaCha20 (RFC 8439), the seeded DRBG (SPEC §2), the Fiat-Shamir transcript (SPEC §3), secp256k1
affine arithmetic, the proof codecs (SPEC §5) and the number theory the verifiers need.
Written from SPEC.md alone.
"""
import hashlib
import struct
from math import gcd

# ---------------------------------------------------------------- ChaCha20 (RFC 8439 §2.3-§2.4)

_M32 = 0xFFFFFFFF


def _rotl(v, c):
    return ((v << c) & _M32) | (v >> (32 - c))


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & _M32; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _M32; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _M32; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _M32; s[b] = _rotl(s[b] ^ s[c], 7)


def chacha20_block(key, counter, nonce):
    """One 64-byte keystream block (RFC 8439 §2.3)."""
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack('<8I', key))
    state += [counter & _M32]
    state += list(struct.unpack('<3I', nonce))
    w = state[:]
    for _ in range(10):
        _qr(w, 0, 4, 8, 12); _qr(w, 1, 5, 9, 13); _qr(w, 2, 6, 10, 14); _qr(w, 3, 7, 11, 15)
        _qr(w, 0, 5, 10, 15); _qr(w, 1, 6, 11, 12); _qr(w, 2, 7, 8, 13); _qr(w, 3, 4, 9, 14)
    return struct.pack('<16I', *[(w[i] + state[i]) & _M32 for i in range(16)])


# ---------------------------------------------------------------- sampling (SPEC §2, §3)

def bitlen(x):
    return x.bit_length()


def sample_below(read, bound):
    """Rejection sampling of SPEC §2: `read(n)` gives the next n bytes of a stream."""
    if bound == 1:
        return 0
    bits = bitlen(bound - 1)
    ln = (bits + 7) // 8
    excess = 8 * ln - bits
    while True:
        v = int.from_bytes(read(ln), 'big') >> excess
        if v < bound:
            return v


# ---------------------------------------------------------------- the DRBG (SPEC §2)

DRBG_TAG = b'tkey-tss/drbg/v1'


class Drbg:
    def __init__(self, seed):
        if isinstance(seed, str):
            seed = seed.encode('utf-8')
        self.key = hashlib.sha256(DRBG_TAG + seed).digest()
        self.block = 0
        self.buf = b''

    def fork(self, label):
        return Drbg(self.key + ('/' + label).encode('utf-8'))

    def bytes(self, n):
        while len(self.buf) < n:
            self.buf += chacha20_block(self.key, self.block, bytes(12))
            self.block += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def below(self, m):
        return sample_below(self.bytes, m)

    def range(self, lo, hi):
        return lo + self.below(hi - lo)

    def signed(self, B):
        return self.below(2 * B + 1) - B

    def signed_bits(self, k):
        return self.signed(1 << k)

    def scalar(self):
        return 1 + self.below(Q - 1)

    def unit(self, N):
        while True:
            r = self.below(N)
            if r != 0 and gcd(r, N) == 1:
                return r


# ---------------------------------------------------------------- the transcript (SPEC §3)

def int_bytes(x):
    m = -x if x < 0 else x
    mag = m.to_bytes((m.bit_length() + 7) // 8, 'big') if m else b''
    return bytes([1 if x < 0 else 0]) + mag


def item(typ, label, data):
    lb = label.encode('utf-8')
    return bytes([typ]) + struct.pack('>I', len(lb)) + lb + struct.pack('>I', len(data)) + data


class Transcript:
    def __init__(self, absorbed=b''):
        self.absorbed = bytearray(absorbed)

    @staticmethod
    def create(sid, protocol, prover, rid=None):
        t = Transcript()
        t._add(item(6, 'transcript', b'tkey-tss/transcript/v1'))
        t.bytes_('sid', sid).string('protocol', protocol).uint('prover', prover)
        if rid is None:
            t.string('rid', 'absent')
        else:
            t.bytes_('rid', rid)
        return t

    def _add(self, b):
        self.absorbed += b
        return self

    def copy(self):
        return Transcript(self.absorbed)

    def bytes_(self, label, b):
        return self._add(item(1, label, bytes(b)))

    def int_(self, label, x):
        return self._add(item(2, label, int_bytes(x)))

    def point(self, label, P):
        return self._add(item(3, label, b'\x00' if P is None else compress(P)))

    def string(self, label, s):
        return self._add(item(4, label, s.encode('utf-8')))

    def uint(self, label, n):
        return self._add(item(5, label, struct.pack('>Q', n)))

    def domain(self, tag):
        return self._add(item(6, 'domain', tag.encode('utf-8')))

    def fork(self, label, value=None):
        t = self.copy()
        t._add(item(6, 'fork', label.encode('utf-8')))
        if value is not None:
            t.uint('fork-value', value)
        return t

    def ints(self, label, xs):
        self.uint(label + '#', len(xs))
        for x in xs:
            self.int_(label, x)
        return self

    def ring_pedersen(self, rp):
        return self.int_('Nhat', rp[0]).int_('s', rp[1]).int_('t', rp[2])

    def _stream(self, label):
        """Absorb the challenge item; return a reader over SHAKE256(everything absorbed)."""
        self._add(item(7, label, b''))
        data = bytes(self.absorbed)
        state = {'pos': 0, 'out': b''}

        def read(n):
            need = state['pos'] + n
            if len(state['out']) < need:
                state['out'] = hashlib.shake_256(data).digest(max(need, 2 * len(state['out']), 64))
            r = state['out'][state['pos']:need]
            state['pos'] = need
            return r
        return read

    def ch_bytes(self, label, n):
        return self._stream(label)(n)

    def ch_below(self, label, bound, count=1):
        read = self._stream(label)
        return [sample_below(read, bound) for _ in range(count)]

    def ch_signed(self, label, bound):
        return self.ch_below(label, 2 * bound + 1)[0] - bound

    def ch_bits(self, label, m):
        raw = self._stream(label)((m + 7) // 8)
        return [(raw[i >> 3] >> (i & 7)) & 1 for i in range(m)]


# ---------------------------------------------------------------- secp256k1 (SPEC §1)

P_FIELD = 2**256 - 2**32 - 977
Q = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141
GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798
GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8
G = (GX, GY)
# the identity is None


def on_curve(P):
    x, y = P
    return (y * y - x * x * x - 7) % P_FIELD == 0


def padd(A, B):
    if A is None:
        return B
    if B is None:
        return A
    (x1, y1), (x2, y2) = A, B
    if x1 == x2:
        if (y1 + y2) % P_FIELD == 0:
            return None
        lam = 3 * x1 * x1 * pow(2 * y1, -1, P_FIELD) % P_FIELD
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P_FIELD) % P_FIELD
    x3 = (lam * lam - x1 - x2) % P_FIELD
    return (x3, (lam * (x1 - x3) - y1) % P_FIELD)


def pmul(k, P):
    """k·P for any integer k (reduced mod q)."""
    k %= Q
    R = None
    while k:
        if k & 1:
            R = padd(R, P)
        P = padd(P, P)
        k >>= 1
    return R


def compress(P):
    return bytes([2 + (P[1] & 1)]) + P[0].to_bytes(32, 'big')


def decompress(b):
    """33-byte compressed SEC1 → point, or None if it is not a point on the curve."""
    if len(b) != 33 or b[0] not in (2, 3):
        return None
    x = int.from_bytes(b[1:], 'big')
    if x >= P_FIELD:
        return None
    rhs = (x * x * x + 7) % P_FIELD
    y = pow(rhs, (P_FIELD + 1) // 4, P_FIELD)
    if y * y % P_FIELD != rhs:
        return None
    if (y & 1) != (b[0] & 1):
        y = P_FIELD - y
    return (x, y)


# ---------------------------------------------------------------- codecs (SPEC §5)

class Malformed(Exception):
    pass


MAX_INT_BYTES = 2048
MAX_ARRAY = 1024
_HEX = set('0123456789abcdef')


def json_int(v, signed):
    if not isinstance(v, str) or v == '' or v == '-0' or len(v) > 2 * MAX_INT_BYTES + 1:
        raise Malformed('int')
    neg = v.startswith('-')
    body = v[1:] if neg else v
    if neg and not signed:
        raise Malformed('negative nat')
    if body == '' or any(c not in _HEX for c in body) or (len(body) > 1 and body[0] == '0'):
        raise Malformed('not canonical hex')
    m = int(body, 16)
    return -m if neg else m


def json_field(kind, v):
    if kind in ('int', 'nat'):
        return json_int(v, kind == 'int')
    if kind == 'point':
        if not isinstance(v, str) or len(v) != 66 or any(c not in _HEX for c in v):
            raise Malformed('point hex')
        P = decompress(bytes.fromhex(v))
        if P is None:
            raise Malformed('invalid point')
        return P
    if kind == 'bit':
        if type(v) is not int or v not in (0, 1):
            raise Malformed('bit')
        return v
    el = kind[:-2]
    if not isinstance(v, list) or len(v) > MAX_ARRAY:
        raise Malformed('array')
    return [json_field(el, x) for x in v]


def decode_json(schema, obj):
    if not isinstance(obj, dict):
        raise Malformed('proof')
    out = {}
    for name, kind in schema:
        if name not in obj:
            raise Malformed(name + ' missing')
        out[name] = json_field(kind, obj[name])
    names = {n for n, _ in schema}
    for k in obj:
        if k not in names:
            raise Malformed(k + ' unknown')
    return out


class _Reader:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def take(self, n):
        if self.pos + n > len(self.b):
            raise Malformed('truncated')
        r = self.b[self.pos:self.pos + n]
        self.pos += n
        return r

    def u32(self):
        return struct.unpack('>I', self.take(4))[0]


def _bytes_field(r, kind):
    if kind in ('int', 'nat'):
        sign = r.take(1)[0]
        ln = r.u32()
        if sign > 1 or (sign == 1 and kind == 'nat') or ln > MAX_INT_BYTES:
            raise Malformed('sign/length')
        mag = r.take(ln)
        if ln > 0 and mag[0] == 0:
            raise Malformed('non-minimal')
        if ln == 0 and sign == 1:
            raise Malformed('-0')
        v = int.from_bytes(mag, 'big')
        return -v if sign else v
    if kind == 'point':
        P = decompress(r.take(33))
        if P is None:
            raise Malformed('invalid point')
        return P
    if kind == 'bit':
        b = r.take(1)[0]
        if b > 1:
            raise Malformed('bit')
        return b
    n = r.u32()
    if n > MAX_ARRAY:
        raise Malformed('array too long')
    return [_bytes_field(r, kind[:-2]) for _ in range(n)]


def decode_bytes(schema, b):
    if len(b) == 0:
        raise Malformed('empty')
    r = _Reader(b)
    if r.take(1)[0] != 1:
        raise Malformed('version')
    out = {name: _bytes_field(r, kind) for name, kind in schema}
    if r.pos != len(b):
        raise Malformed('trailing bytes')
    return out


# ---------------------------------------------------------------- number theory

def jacobi(a, n):
    a %= n
    result = 1
    while a:
        while a % 2 == 0:
            a //= 2
            if n % 8 in (3, 5):
                result = -result
        a, n = n, a
        if a % 4 == 3 and n % 4 == 3:
            result = -result
        a %= n
    return result if n == 1 else 0


def _primes_below(n):
    sieve = bytearray([1]) * n
    sieve[0:2] = b'\x00\x00'
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return [i for i in range(n) if sieve[i]]


PRIMES_16 = _primes_below(1 << 16)


def is_probable_prime(n, rounds=20):
    if n < 2:
        return False
    for p in PRIMES_16[:50]:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in PRIMES_16[:rounds]:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def iroot(n, k):
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // k)
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def is_perfect_power(n):
    max_k = max(2, n.bit_length() // 16)
    for k in PRIMES_16:
        if k > max_k:
            break
        if iroot(n, k) ** k == n:
            return True
    return False
