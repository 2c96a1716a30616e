"""Aux-info replay of test-vectors/SPEC.md §9 on the driver of keygen.py: regenerates a party's
`sent` bytes (ring-Pedersen parameters, Πprm, Πmod, Πfac from its seed) and computes its end
state from its `received` bytes. Written from SPEC.md alone."""
from math import gcd

from keygen import Abort, Party
from proofs import PROFILES, SCHEMAS, verify, v_fac, v_mod, v_prm, Reject, window
from provers import p_fac, p_mod, p_prm
from tkeyspec import Malformed, Transcript, compress, decode_bytes, PRIMES_16, is_probable_prime, is_perfect_power


def encode_bytes(schema, proof):
    """The byte form of SPEC §5."""
    def field(kind, v):
        if kind in ('int', 'nat'):
            m = -v if v < 0 else v
            mag = m.to_bytes((m.bit_length() + 7) // 8, 'big') if m else b''
            return bytes([1 if v < 0 else 0]) + len(mag).to_bytes(4, 'big') + mag
        if kind == 'bit':
            return bytes([v])
        if kind == 'point':
            return compress(v)
        return len(v).to_bytes(4, 'big') + b''.join(field(kind[:-2], x) for x in v)
    return b'\x01' + b''.join(field(k, proof[n]) for n, k in schema)


def cfg_hash(sid, profile, ids):
    t = Transcript.create(sid, 'aux', 0).domain('tkey-tss/aux/config/v1').string('profile', profile).uint('parties', len(ids))
    for i in ids:
        t.uint('id', i)
    return t.ch_bytes('cfg', 32)


def commit_hash(sid, i, cfg, d):
    return (Transcript.create(sid, 'aux', i).domain('tkey-tss/aux/commit/v1').bytes_('cfg', cfg).int_('N', d['N']).int_('s', d['s'])
            .int_('t', d['t']).bytes_('prm', d['prm']).bytes_('rho', d['rho']).bytes_('u', d['u']).ch_bytes('V', 32))


def tr_prm(sid, i):
    return Transcript.create(sid, 'aux', i)


def tr_mod(sid, i, rho):
    return Transcript.create(sid, 'aux', i, rho)


def tr_fac(sid, i, rho, j):
    return Transcript.create(sid, 'aux', i, rho).fork('fac-verifier', j)


def be(x, w):
    return x.to_bytes(w, 'big')


class AuxParty(Party):
    protocol = 'aux'
    p2p_round = 3

    def __init__(self, vec, me):
        super().__init__(vec, me)
        inp = me['input']
        self.profile = inp['profile']
        self.pr = PROFILES[self.profile]
        p, q = int(inp['key']['p'], 16), int(inp['key']['q'], 16)
        self.p, self.q = max(p, q), min(p, q)
        self.N = self.p * self.q
        self.phi = (self.p - 1) * (self.q - 1)
        self.reuse = inp.get('ringPedersen')
        self.w = self.pr['max'] // 8

    def fail(self, reason, rnd, j):
        raise Abort(reason, rnd, [j])

    def start(self):
        r = self.rng(1)
        N = self.N
        self.cfg = cfg_hash(self.sid, self.profile, self.ids)
        if self.reuse:
            s, t, lam = (int(self.reuse[k], 16) for k in ('s', 't', 'lambda'))
        else:
            while True:
                x = r.below(N)
                if x <= 1 or gcd(x, N) != 1:
                    continue
                t = x * x % N
                lam = r.below(self.phi)
                s = pow(t, lam, N)
                if t <= 1 or s <= 1 or t == N - 1 or s == N - 1 or s == t:
                    continue
                break
        self.s, self.t, self.lam = s, t, lam
        prm = p_prm({'N': N, 's': s, 't': t}, {'lambda': lam, 'p': self.p, 'q': self.q}, tr_prm(self.sid, self.me), r, self.pr)
        self.own = {'N': N, 's': s, 't': t, 'prm': encode_bytes(SCHEMAS['prm'], prm), 'rho': r.bytes(32), 'u': r.bytes(32)}
        self.own1 = {'V': commit_hash(self.sid, self.me, self.cfg, self.own), 'cfg': self.cfg}
        self.send(1, None, self.own1)

    def round2(self, box):
        self.peer_v = {}
        for j in self.others:
            m = box[(j, 'broadcast')]
            if not isinstance(m.get('cfg'), bytes) or len(m['cfg']) != 32:
                self.fail('MALFORMED_MESSAGE', 1, j)
            if m['cfg'] != self.cfg:
                self.fail('CONFIG_MISMATCH', 1, j)
            if sorted(m) != ['V', 'cfg']:
                self.fail('MALFORMED_MESSAGE', 1, j)
            self.peer_v[j] = m['V']
        o = self.own
        self.send(2, None, {'N': be(o['N'], self.w), 's': be(o['s'], self.w), 't': be(o['t'], self.w), 'prm': o['prm'], 'rho': o['rho'], 'u': o['u']})

    def round3(self, box):
        rho = bytearray(self.own['rho'])
        self.peers = {}
        for j in self.others:
            m = box[(j, 'broadcast')]
            prm = m.get('prm')
            if prm is None or prm == b'':
                self.fail('PROOF_MISSING', 2, j)
            if not isinstance(prm, bytes):
                self.fail('MALFORMED_MESSAGE', 2, j)
            if sorted(m) != ['N', 'prm', 'rho', 's', 't', 'u'] or any(len(m[k]) != self.w for k in 'Nst') or len(m['rho']) != 32 or len(m['u']) != 32:
                self.fail('MALFORMED_MESSAGE', 2, j)
            d = {'N': int.from_bytes(m['N'], 'big'), 's': int.from_bytes(m['s'], 'big'), 't': int.from_bytes(m['t'], 'big'), 'prm': prm, 'rho': m['rho'], 'u': m['u']}
            if commit_hash(self.sid, j, self.cfg, d) != self.peer_v[j]:
                self.fail('DECOMMITMENT_MISMATCH', 2, j)
            N = d['N']
            try:
                window(N, self.pr)
                for cond, reason in ((N % 2 == 1, 'MOD_N_EVEN'), (not any(N % f == 0 for f in PRIMES_16), 'MOD_N_SMALL_FACTOR'),
                                     (not is_probable_prime(N), 'MOD_N_PRIME'), (not is_perfect_power(N), 'MOD_N_PERFECT_POWER')):
                    if not cond:
                        raise Reject(reason)
                proof = decode_bytes(SCHEMAS['prm'], prm)
                v_prm({'N': N, 's': d['s'], 't': d['t']}, proof, tr_prm(self.sid, j), self.pr)  # its parameter checks come first
            except Reject as e:
                self.fail(e.reason, 2, j)
            except Malformed:
                self.fail('PROOF_MALFORMED', 2, j)
            rho = bytearray(a ^ b for a, b in zip(rho, d['rho']))
            self.peers[j] = (N, d['s'], d['t'])
        self.rho = bytes(rho)
        r = self.rng(3)
        wit = {'p': self.p, 'q': self.q}
        mod = p_mod({'N': self.N}, wit, tr_mod(self.sid, self.me, self.rho), r, self.pr)
        self.send(3, None, {'mod': encode_bytes(SCHEMAS['mod'], mod)})
        facs = {j: p_fac({'N0': self.N, 'rp': self.peers[j]}, wit, tr_fac(self.sid, self.me, self.rho, j), r, self.pr) for j in sorted(self.peers)}
        for j in sorted(self.peers):
            self.send(3, j, {'fac': encode_bytes(SCHEMAS['fac'], facs[j])})

    def round4(self, box):
        own_rp = (self.N, self.s, self.t)
        for j in self.others:
            bm, pm = box[(j, 'broadcast')], box[(j, 'p2p')]
            for m, k in ((bm, 'mod'), (pm, 'fac')):
                if m.get(k) is None or m.get(k) == b'':
                    self.fail('PROOF_MISSING', 3, j)
            if sorted(bm) != ['mod'] or sorted(pm) != ['fac']:
                self.fail('MALFORMED_MESSAGE', 3, j)
            try:
                psi, phi = decode_bytes(SCHEMAS['mod'], bm['mod']), decode_bytes(SCHEMAS['fac'], pm['fac'])
            except Malformed:
                self.fail('PROOF_MALFORMED', 3, j)
            N = self.peers[j][0]
            for got in (verify('mod', {'N': N}, psi, tr_mod(self.sid, j, self.rho), self.profile),
                        verify('fac', {'N0': N, 'rp': own_rp}, phi, tr_fac(self.sid, j, self.rho, self.me), self.profile)):
                if got != 'ok':
                    self.fail(got, 3, j)
        h = lambda x: format(x, 'x')  # noqa: E731
        parties = sorted([(self.me, own_rp)] + list(self.peers.items()))
        self.output = {'profile': self.profile, 'self': self.me, 'secret': {'p': h(self.p), 'q': h(self.q), 'lambda': h(self.lam)},
                       'parties': [{'id': i, 'N': h(m[0]), 's': h(m[1]), 't': h(m[2])} for i, m in parties]}
