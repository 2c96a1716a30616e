"""ECDSA on secp256k1 as SPEC §14 fixes it: over a 32-byte digest (no further hashing), nonce by
RFC 6979 (HMAC-SHA256, no extra entropy), s normalised to low-s, r ‖ s; verification refuses a
high-s signature. Also the DER form of §15's lock signature."""
import hashlib
import hmac

from tkeyspec import G, Q, compress, padd, pmul

HALF_Q = (Q - 1) // 2


def _hmac(k, m):
    return hmac.new(k, m, hashlib.sha256).digest()


def rfc6979_k(x, digest):
    """RFC 6979 §3.2 with qlen = hlen = 256: h1 = the digest, bits2octets(h1) = (h1 mod q)."""
    xo = x.to_bytes(32, 'big')
    ho = (int.from_bytes(digest, 'big') % Q).to_bytes(32, 'big')
    V, K = b'\x01' * 32, b'\x00' * 32
    K = _hmac(K, V + b'\x00' + xo + ho)
    V = _hmac(K, V)
    K = _hmac(K, V + b'\x01' + xo + ho)
    V = _hmac(K, V)
    while True:
        V = _hmac(K, V)
        k = int.from_bytes(V, 'big')
        if 1 <= k < Q:
            yield k
        K = _hmac(K, V + b'\x00')
        V = _hmac(K, V)


def sign_rs(x, digest):
    """(r, s) with s ≤ (q−1)/2: r = x(k·G) mod q, s = k⁻¹(h + r·x) mod q."""
    h = int.from_bytes(digest, 'big') % Q
    for k in rfc6979_k(x, digest):
        r = pmul(k, G)[0] % Q
        if r == 0:
            continue
        s = pow(k, -1, Q) * (h + r * x) % Q
        if s == 0:
            continue
        return r, (Q - s if s > HALF_Q else s)


def sign(x, digest):
    r, s = sign_rs(x, digest)
    return r.to_bytes(32, 'big') + s.to_bytes(32, 'big')


def verify(P, digest, sig):
    """Low-s verification of a 64-byte r ‖ s under the point P."""
    if len(sig) != 64 or P is None:
        return False
    r, s = int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big')
    if not (1 <= r < Q and 1 <= s <= HALF_Q):
        return False
    h = int.from_bytes(digest, 'big') % Q
    w = pow(s, -1, Q)
    R = padd(pmul(h * w, G), pmul(r * w, P))
    return R is not None and R[0] % Q == r


def der(r, s):
    """DER SEQUENCE { INTEGER r, INTEGER s } (minimal, a 0x00 before a high bit)."""
    def integer(v):
        b = v.to_bytes((v.bit_length() + 7) // 8 or 1, 'big')
        if b[0] & 0x80:
            b = b'\x00' + b
        return b'\x02' + bytes([len(b)]) + b
    body = integer(r) + integer(s)
    return b'\x30' + bytes([len(body)]) + body


def public(x):
    return pmul(x, G)


def public_compressed(x):
    return compress(pmul(x, G))
