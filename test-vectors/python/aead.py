"""The secure channel's AEAD (SPEC §14): XChaCha20-Poly1305 of draft-irtf-cfrg-xchacha —
HChaCha20 subkey from iv[0..16), then the RFC 8439 §2.8 ChaCha20-Poly1305 AEAD with nonce
0^4 ‖ iv[16..24). ChaCha20 is tkeyspec's (RFC 8439 §2.3); Poly1305 is RFC 8439 §2.5."""
import hmac
import struct

from tkeyspec import _M32, _qr, chacha20_block

P1305 = (1 << 130) - 5


def poly1305(key, msg):
    """RFC 8439 §2.5: r clamped, accumulate 16-byte blocks with the 2^128 (or 2^(8·len)) bit, + s."""
    r = int.from_bytes(key[:16], 'little') & 0x0ffffffc0ffffffc0ffffffc0fffffff
    s = int.from_bytes(key[16:32], 'little')
    acc = 0
    for i in range(0, len(msg), 16):
        blk = msg[i:i + 16]
        acc = (acc + int.from_bytes(blk + b'\x01', 'little')) * r % P1305
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, 'little')


def hchacha20(key, nonce16):
    """draft-irtf-cfrg-xchacha §2.2: 20 rounds on (constants, key, nonce16), no feed-forward;
    the subkey is words 0..3 ‖ 12..15."""
    w = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    w += list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', nonce16))
    for _ in range(10):
        _qr(w, 0, 4, 8, 12); _qr(w, 1, 5, 9, 13); _qr(w, 2, 6, 10, 14); _qr(w, 3, 7, 11, 15)
        _qr(w, 0, 5, 10, 15); _qr(w, 1, 6, 11, 12); _qr(w, 2, 7, 8, 13); _qr(w, 3, 4, 9, 14)
    return struct.pack('<8I', *[w[i] & _M32 for i in (0, 1, 2, 3, 12, 13, 14, 15)])


def _xor_stream(key, nonce, data, counter=1):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha20_block(key, counter + i // 64, nonce)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], ks))
    return bytes(out)


def _tag(key, nonce, aad, ct):
    otk = chacha20_block(key, 0, nonce)[:32]
    pad = lambda b: b + b'\x00' * (-len(b) % 16)  # noqa: E731
    return poly1305(otk, pad(aad) + pad(ct) + struct.pack('<QQ', len(aad), len(ct)))


def _subkey(key, iv):
    if len(key) != 32 or len(iv) != 24:
        raise ValueError('XChaCha20-Poly1305: key 32, iv 24 bytes')
    return hchacha20(key, iv[:16]), b'\x00' * 4 + iv[16:]


def xseal(key, iv, aad, plaintext):
    k, n = _subkey(key, iv)
    ct = _xor_stream(k, n, plaintext)
    return ct + _tag(k, n, aad, ct)


def xopen(key, iv, aad, body):
    """The plaintext, or None when the tag does not verify."""
    k, n = _subkey(key, iv)
    if len(body) < 16:
        return None
    ct, tag = body[:-16], body[-16:]
    if not hmac.compare_digest(_tag(k, n, aad, ct), tag):
        return None
    return _xor_stream(k, n, ct)
