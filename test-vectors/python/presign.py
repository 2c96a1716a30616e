"""Presign replay of test-vectors/SPEC.md §10 on the driver of keygen.py (§8): regenerates a
party's `sent` bytes (Paillier ciphertexts, Πenc, Πaff-g, Πlog*, and on the blame path Πmul, Πdec,
Πmul* from its seed) and computes its end state (presignature or abort) from its `received`
bytes. Written from SPEC.md alone."""
from math import gcd

from aux import encode_bytes
from keygen import Abort, Party, echo_hash, sc
from proofs import PROFILES, SCHEMAS, enc, verify
from provers import p_affg, p_dec, p_enc, p_logstar, p_mul, p_mulstar
from tkeyspec import G, Q, Malformed, Transcript, bitlen, compress, decode_bytes, decompress, padd, pmul


def width(N):
    """§10.3: a ciphertext under N is ⌈bitlen(N²)/8⌉ bytes."""
    return (bitlen(N * N) + 7) // 8


def ct_bytes(c, N):
    return c.to_bytes(width(N), 'big')


def psum(points):
    acc = None
    for P in points:
        acc = padd(acc, P)
    return acc


def ell_y(n, pr):
    """§10.7: ℓ_y(n) = bitlen(q² + (n − 1)·(2^(ℓ+ε+1)·q + 2^(ℓ'+ε+1) + 2^ℓ'))."""
    ell, ellp, eps = pr['ell'], pr['ellp'], pr['eps']
    return bitlen(Q * Q + (n - 1) * ((1 << (ell + eps + 1)) * Q + (1 << (ellp + eps + 1)) + (1 << ellp)))


def cfg_hash(sid, profile, S, Xp, rps, Y, epoch, shift):
    t = Transcript.create(sid, 'presign', 0).domain('tkey-tss/presign/config/v1').string('profile', profile).uint('signers', len(S))
    for j in S:
        N, s, tt = rps[j]
        t.uint('id', j).bytes_('X', compress(Xp[j])).int_('N', N).int_('s', s).int_('t', tt)
    return t.bytes_('Y', compress(Y)).uint('epoch', epoch).bytes_('shift', shift).ch_bytes('cfg', 32)


class PresignParty(Party):
    protocol = 'presign'

    def __init__(self, vec, me):
        super().__init__(vec, me)
        inp = me['input']
        aux = inp['aux']
        self.profile = aux['profile']
        self.pr = PROFILES[self.profile]
        self.S = sorted(self.ids)
        self.others = [j for j in self.S if j != self.me]
        n = len(self.S)
        if self.t != n or aux['self'] != self.me:
            raise ValueError('input error: threshold ≠ number of signers')
        self.rps = {e['id']: (int(e['N'], 16), int(e['s'], 16), int(e['t'], 16)) for e in aux['parties']}
        p, q = int(aux['secret']['p'], 16), int(aux['secret']['q'], 16)
        self.N = p * q
        self.phi = (p - 1) * (q - 1)
        if self.rps[self.me][0] != self.N or len({self.rps[j][0] for j in self.S}) != n:
            raise ValueError('input error: aux entries')
        self.Y = decompress(bytes.fromhex(inp['publicKey']))
        self.epoch = inp['epoch']
        self.shift_b = bytes.fromhex(inp['shift'])
        shift = int.from_bytes(self.shift_b, 'big')
        if shift >= Q:
            raise ValueError('input error: shift ≥ q')
        Xp = {e['index']: decompress(bytes.fromhex(e['X'])) for e in inp['publicShares']}
        self.Xp = {j: Xp[j] for j in self.S}
        xp = int(inp['share'], 16)
        # Lawrence conversion: λ_j = Π_{m≠j} m·(m − j)⁻¹ mod q; X_j = λ_j·X'_j (+ shift·G for min S)
        lam = {j: 1 for j in self.S}
        for j in self.S:
            for m in self.S:
                if m != j:
                    lam[j] = lam[j] * m * pow(m - j, -1, Q) % Q
        sG = pmul(shift, G) if shift else None
        self.X = {j: padd(pmul(lam[j], self.Xp[j]), sG if j == self.S[0] else None) for j in self.S}
        self.x = (lam[self.me] * xp + (shift if self.me == self.S[0] else 0)) % Q
        self.Yd = padd(self.Y, sG)
        if psum(self.X.values()) != self.Yd or pmul(xp, G) != self.Xp[self.me]:
            raise ValueError('input error: SHARE_NOT_ON_POLYNOMIAL')
        self.ly = ell_y(n, self.pr)
        self.cfg = cfg_hash(self.sid, self.profile, self.S, self.Xp, self.rps, self.Y, self.epoch, self.shift_b)

    # -- helpers

    def tr(self, prover, label, verifier=None):
        return Transcript.create(self.sid, 'presign', prover, self.cfg).fork(label, verifier)

    def complete(self, k):
        got = self.inbox.get(k, {})
        return all((j, kd) in got for j in self.others for kd in ('broadcast', 'p2p'))

    def dec(self, c):
        """Centred Paillier decryption under our own key."""
        N, N2 = self.N, self.N * self.N
        m = (pow(c, self.phi, N2) - 1) // N * pow(self.phi, -1, N) % N
        return m - N if m > (N - 1) // 2 else m

    def nonce(self, c):
        """ρ = (C mod N)^(N⁻¹ mod φ(N)) mod N."""
        return pow(c % self.N, pow(self.N, -1, self.phi), self.N)

    @staticmethod
    def keys(p, names, rnd, j):
        if not isinstance(p, dict) or sorted(p) != sorted(names):
            raise Abort('MALFORMED_MESSAGE', rnd, [j])

    @staticmethod
    def ct(v, N, rnd, j):
        if not isinstance(v, bytes) or len(v) != width(N):
            raise Abort('MALFORMED_MESSAGE', rnd, [j])
        c = int.from_bytes(v, 'big')
        if not (0 < c < N * N and gcd(c, N) == 1):
            raise Abort('CIPHERTEXT_NOT_UNIT', rnd, [j])
        return c

    @staticmethod
    def proof(v, kind, rnd, j):
        if v is None:
            raise Abort('PROOF_MISSING', rnd, [j])
        if not isinstance(v, bytes):
            raise Abort('PROOF_MALFORMED', rnd, [j])
        try:
            return decode_bytes(SCHEMAS[kind], v)
        except Malformed:
            raise Abort('PROOF_MALFORMED', rnd, [j])

    @staticmethod
    def point(v, rnd, j):
        P = decompress(v) if isinstance(v, bytes) and len(v) == 33 else None
        if P is None:
            raise Abort('MALFORMED_MESSAGE', rnd, [j])
        return P

    @staticmethod
    def scalar(v, rnd, j):
        if not isinstance(v, bytes) or len(v) != 32 or int.from_bytes(v, 'big') >= Q:
            raise Abort('MALFORMED_MESSAGE', rnd, [j])
        return int.from_bytes(v, 'big')

    def check(self, kind, st, proof, tr, rnd, j):
        got = verify(kind, st, proof, tr, self.profile)
        if got != 'ok':
            raise Abort(got, rnd, [j])

    def enc_bytes(self, kind, proof):
        return encode_bytes(SCHEMAS[kind], proof)

    # -- rounds (§10.5, checks §10.6)

    def start(self):
        r = self.rng(1)
        N = self.N
        self.k, self.gamma = r.scalar(), r.scalar()
        self.rho, self.nu = r.unit(N), r.unit(N)
        self.K, self.Gc = enc(N, self.k, self.rho), enc(N, self.gamma, self.nu)
        psi0 = {j: p_enc({'N0': N, 'K': self.K, 'rp': self.rps[j]}, {'k': self.k, 'rho': self.rho}, self.tr(self.me, 'psi0', j), r, self.pr)
                for j in self.others}
        self.own1 = {'cfg': self.cfg, 'G': ct_bytes(self.Gc, N), 'K': ct_bytes(self.K, N)}
        self.send(1, None, self.own1)
        for j in self.others:
            self.send(1, j, {'psi0': self.enc_bytes('enc', psi0[j])})

    def round2(self, box):
        own_rp = self.rps[self.me]
        self.peerK, self.peerG = {}, {}
        for j in self.others:
            b, p = box[(j, 'broadcast')], box[(j, 'p2p')]
            Nj = self.rps[j][0]
            cfg = b.get('cfg') if isinstance(b, dict) else None
            if not isinstance(cfg, bytes) or len(cfg) != 32:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if cfg != self.cfg:
                raise Abort('CONFIG_MISMATCH', 1, [j])
            self.keys(b, ['cfg', 'G', 'K'], 1, j)
            Kj, Gj = self.ct(b['K'], Nj, 1, j), self.ct(b['G'], Nj, 1, j)
            self.keys(p, ['psi0'], 1, j)
            pf = self.proof(p['psi0'], 'enc', 1, j)
            self.check('enc', {'N0': Nj, 'K': Kj, 'rp': own_rp}, pf, self.tr(j, 'psi0', self.me), 1, j)
            self.peerK[j], self.peerG[j] = Kj, Gj
        r = self.rng(2)
        N, ellp = self.N, self.pr['ellp']
        self.Gamma_i = pmul(self.gamma, G)
        self.send(2, None, {'Gamma': compress(self.Gamma_i)})
        self.beta, self.beta_h, self.mine2 = {}, {}, {}
        p2p = {}
        for j in self.others:
            Nj = self.rps[j][0]
            Nj2 = Nj * Nj
            b, bh = r.signed(1 << ellp), r.signed(1 << ellp)
            s, rr, sh, rh = r.unit(Nj), r.unit(N), r.unit(Nj), r.unit(N)
            Kj = self.peerK[j]
            D = pow(Kj, self.gamma, Nj2) * enc(Nj, -b, s) % Nj2
            F = enc(N, -b, rr)
            Dh = pow(Kj, self.x, Nj2) * enc(Nj, -bh, sh) % Nj2
            Fh = enc(N, -bh, rh)
            rp = self.rps[j]
            psi = p_affg({'N0': Nj, 'N1': N, 'C': Kj, 'D': D, 'Y': F, 'X': self.Gamma_i, 'rp': rp},
                         {'x': self.gamma, 'y': -b, 'rho': s, 'rhoY': rr}, self.tr(self.me, 'psi', j), r, self.pr)
            psih = p_affg({'N0': Nj, 'N1': N, 'C': Kj, 'D': Dh, 'Y': Fh, 'X': self.X[self.me], 'rp': rp},
                          {'x': self.x, 'y': -bh, 'rho': sh, 'rhoY': rh}, self.tr(self.me, 'psi-hat', j), r, self.pr)
            psip = p_logstar({'N0': N, 'C': self.Gc, 'X': self.Gamma_i, 'g': G, 'rp': rp},
                             {'x': self.gamma, 'rho': self.nu}, self.tr(self.me, 'psi-prime', j), r, self.pr)
            self.beta[j], self.beta_h[j] = b, bh
            self.mine2[j] = {'D': ct_bytes(D, Nj), 'F': ct_bytes(F, N), 'Dh': ct_bytes(Dh, Nj), 'Fh': ct_bytes(Fh, N)}
            p2p[j] = dict(self.mine2[j], psi=self.enc_bytes('affg', psi), psiHat=self.enc_bytes('affg', psih),
                          psiPrime=self.enc_bytes('logstar', psip))
        for j in self.others:
            self.send(2, j, p2p[j])

    def round3(self, box):
        own_rp, N = self.rps[self.me], self.N
        self.Gam, self.got2 = {self.me: self.Gamma_i}, {}
        for j in self.others:
            b, p = box[(j, 'broadcast')], box[(j, 'p2p')]
            Nj = self.rps[j][0]
            self.keys(b, ['Gamma'], 2, j)
            Gj = self.point(b['Gamma'], 2, j)
            self.keys(p, ['D', 'Dh', 'F', 'Fh', 'psi', 'psiHat', 'psiPrime'], 2, j)
            D, F = self.ct(p['D'], N, 2, j), self.ct(p['F'], Nj, 2, j)
            Dh, Fh = self.ct(p['Dh'], N, 2, j), self.ct(p['Fh'], Nj, 2, j)
            psi, psih = self.proof(p['psi'], 'affg', 2, j), self.proof(p['psiHat'], 'affg', 2, j)
            psip = self.proof(p['psiPrime'], 'logstar', 2, j)
            self.check('affg', {'N0': N, 'N1': Nj, 'C': self.K, 'D': D, 'Y': F, 'X': Gj, 'rp': own_rp}, psi, self.tr(j, 'psi', self.me), 2, j)
            self.check('affg', {'N0': N, 'N1': Nj, 'C': self.K, 'D': Dh, 'Y': Fh, 'X': self.X[j], 'rp': own_rp}, psih,
                       self.tr(j, 'psi-hat', self.me), 2, j)
            self.check('logstar', {'N0': Nj, 'C': self.peerG[j], 'X': Gj, 'g': G, 'rp': own_rp}, psip, self.tr(j, 'psi-prime', self.me), 2, j)
            self.Gam[j] = Gj
            self.got2[j] = {'D': D, 'F': F, 'Dh': Dh, 'Fh': Fh, 'raw': {k: p[k] for k in ('D', 'F', 'Dh', 'Fh')}}
        self.Gamma = psum(self.Gam[j] for j in self.S)
        if self.Gamma is None:
            raise Abort('DEGENERATE_RESULT', 2, [])
        self.Delta_i = pmul(self.k, self.Gamma)
        delta = self.gamma * self.k + sum(self.dec(self.got2[j]['D']) + self.beta[j] for j in self.others)
        chi = self.x * self.k + sum(self.dec(self.got2[j]['Dh']) + self.beta_h[j] for j in self.others)
        self.delta_i, self.chi_i = delta % Q, chi % Q
        if self.chi_i == 0:
            raise Abort('DEGENERATE_RESULT', 3, [])
        self.S_i = pmul(self.chi_i, self.Gamma)
        r = self.rng(3)
        self.own3 = {'delta': sc(self.delta_i), 'Delta': compress(self.Delta_i), 'S': compress(self.S_i)}
        psi2 = {j: p_logstar({'N0': N, 'C': self.K, 'X': self.Delta_i, 'g': self.Gamma, 'rp': self.rps[j]}, {'x': self.k, 'rho': self.rho},
                             self.tr(self.me, 'psi-double-prime', j), r, self.pr) for j in self.others}
        self.send(3, None, self.own3)
        for j in self.others:
            self.send(3, j, {'psi2': self.enc_bytes('logstar', psi2[j])})

    def round4(self, box):
        own_rp, N, N2 = self.rps[self.me], self.N, self.N * self.N
        self.dl, self.Dl, self.Sp = {self.me: self.delta_i}, {self.me: self.Delta_i}, {self.me: self.S_i}
        self.view = {self.me: echo_hash(self.sid, 'presign', self.me, 3, self.own3)}
        for j in self.others:
            b, p = box[(j, 'broadcast')], box[(j, 'p2p')]
            self.keys(b, ['Delta', 'S', 'delta'], 3, j)
            dj = self.scalar(b['delta'], 3, j)
            Dj, Sj = self.point(b['Delta'], 3, j), self.point(b['S'], 3, j)
            self.keys(p, ['psi2'], 3, j)
            pf = self.proof(p['psi2'], 'logstar', 3, j)
            self.check('logstar', {'N0': self.rps[j][0], 'C': self.peerK[j], 'X': Dj, 'g': self.Gamma, 'rp': own_rp}, pf,
                       self.tr(j, 'psi-double-prime', self.me), 3, j)
            self.dl[j], self.Dl[j], self.Sp[j] = dj, Dj, Sj
            self.view[j] = echo_hash(self.sid, 'presign', j, 3, b)
        self.view_list = [self.view[p] for p in self.S]
        delta = sum(self.dl.values()) % Q
        if delta == 0:
            raise Abort('DEGENERATE_RESULT', 3, [])
        self.delta = delta
        if pmul(delta, G) != psum(self.Dl[j] for j in self.S):
            self.verdict = 'DELTA_MISMATCH'
        elif psum(self.Sp[j] for j in self.S) != pmul(delta, self.Yd):
            self.verdict = 'CHI_MISMATCH'
        else:
            self.verdict = None
        if self.verdict is None:
            self.send(4, None, {'view': self.view_list, 'blame': None})
            for j in self.others:
                self.send(4, j, {'proofs': None})
            return
        # blame path
        r = self.rng(4)
        rH, rHh = r.unit(N), r.unit(N)
        H = pow(self.Gc, self.k, N2) * pow(rH, N, N2) % N2
        Hh = pow(self.K, self.x, N2) * pow(rHh, N, N2) % N2
        mul = p_mul({'N': N, 'X': self.K, 'Y': self.Gc, 'C': H}, {'x': self.k, 'rho': rH, 'rhoX': self.rho}, self.tr(self.me, 'blame-mul'), r, self.pr)
        Cd, Cc = H, Hh
        for j in self.others:  # C_δ = H_i · Π_j D_{i,j}·F_{j,i}⁻¹ mod N_i²
            mine = self.mine2[j]
            Cd = Cd * self.got2[j]['D'] * pow(int.from_bytes(mine['F'], 'big'), -1, N2) % N2
            Cc = Cc * self.got2[j]['Dh'] * pow(int.from_bytes(mine['Fh'], 'big'), -1, N2) % N2
        yd, yc, rd, rc = self.dec(Cd), self.dec(Cc), self.nonce(Cd), self.nonce(Cc)
        proofs = {}
        for j in self.others:
            rp = self.rps[j]
            pd = p_dec({'N0': N, 'C': Cd, 'x': self.delta_i, 'yBits': self.ly, 'rp': rp}, {'y': yd, 'rho': rd}, self.tr(self.me, 'blame-dec-delta', j), r, self.pr)
            pm = p_mulstar({'N0': N, 'C': self.K, 'D': Hh, 'X': self.X[self.me], 'rp': rp}, {'x': self.x, 'rho': rHh},
                           self.tr(self.me, 'blame-mulstar', j), r, self.pr)
            pc = p_dec({'N0': N, 'C': Cc, 'x': self.chi_i, 'yBits': self.ly, 'rp': rp}, {'y': yc, 'rho': rc}, self.tr(self.me, 'blame-dec-chi', j), r, self.pr)
            proofs[j] = {'decDelta': self.enc_bytes('dec', pd), 'mulStar': self.enc_bytes('mulstar', pm), 'decChi': self.enc_bytes('dec', pc)}
        blame = {'H': ct_bytes(H, N), 'Hh': ct_bytes(Hh, N), 'chi': sc(self.chi_i), 'mul': self.enc_bytes('mul', mul),
                 'sent': [self.mine2[m] for m in self.others], 'recv': [self.got2[m]['raw'] for m in self.others]}
        self.send(4, None, {'view': self.view_list, 'blame': blame})
        for j in self.others:
            self.send(4, j, {'proofs': proofs[j]})

    def round5(self, box):
        n = len(self.S)
        for j in self.others:
            b, p = box[(j, 'broadcast')], box[(j, 'p2p')]
            self.keys(b, ['blame', 'view'], 4, j)
            v = b['view']
            if not isinstance(v, list) or len(v) != n or any(not isinstance(h, bytes) or len(h) != 32 for h in v):
                raise Abort('MALFORMED_MESSAGE', 4, [j])
            self.keys(p, ['proofs'], 4, j)
        pos = {p: k for k, p in enumerate(self.S)}
        for j in self.others:
            v = box[(j, 'broadcast')]['view']
            if any(v[pos[p]] != self.view_list[pos[p]] for p in (j, self.me)):
                raise Abort('VIEW_MISMATCH', 3, [j])
        for j in self.others:
            v = box[(j, 'broadcast')]['view']
            for p in self.S:
                if v[pos[p]] != self.view_list[pos[p]]:
                    raise Abort('VIEW_MISMATCH', 3, sorted({p, j}))
        for j in self.others:
            if (box[(j, 'broadcast')]['blame'] is None) != (self.verdict is None):
                raise Abort('BLAME_INCONSISTENT', 4, [j])
        if self.verdict is None:
            for j in self.others:
                if box[(j, 'p2p')]['proofs'] is not None:
                    raise Abort('BLAME_INCONSISTENT', 4, [j])
            return self.finish()
        self.identify(box)

    def identify(self, box):
        """§10.7, after a failed δ or χ check."""
        own_rp, n = self.rps[self.me], len(self.S)
        bl = {}
        for j in self.others:
            b = box[(j, 'broadcast')]['blame']
            Nj = self.rps[j][0]
            self.keys(b, ['H', 'Hh', 'chi', 'mul', 'recv', 'sent'], 4, j)
            d = {'H': self.ct(b['H'], Nj, 4, j), 'Hh': self.ct(b['Hh'], Nj, 4, j), 'chi': self.scalar(b['chi'], 4, j),
                 'mul': self.proof(b['mul'], 'mul', 4, j)}
            peers = [m for m in self.S if m != j]
            for key, widths in (('sent', lambda m: (m, j, m, j)), ('recv', lambda m: (j, m, j, m))):
                arr = b[key]
                if not isinstance(arr, list) or len(arr) != n - 1:
                    raise Abort('MALFORMED_MESSAGE', 4, [j])
                d[key] = {}
                for m, e in zip(peers, arr):
                    self.keys(e, ['D', 'Dh', 'F', 'Fh'], 4, j)
                    ws = widths(m)
                    d[key][m] = {k: self.ct(e[k], self.rps[w][0], 4, j) for k, w in zip(('D', 'F', 'Dh', 'Fh'), ws)}
                    d[key][m]['raw'] = {k: e[k] for k in ('D', 'F', 'Dh', 'Fh')}
            bl[j] = d

        def sent(a, b):
            return self.mine2[b] if a == self.me else bl[a]['sent'][b]['raw']

        def recv(b, a):
            return self.got2[a]['raw'] if b == self.me else bl[b]['recv'][a]['raw']
        bad = set()
        for a in self.S:
            for b in self.S:
                if a != b and sent(a, b) != recv(b, a):
                    bad |= {a, b}
        bad.discard(self.me)
        if bad:
            raise Abort('MTA_TRANSCRIPT_MISMATCH', 2, sorted(bad))
        culprits = []
        for j in self.others:
            pp = box[(j, 'p2p')]['proofs']
            if pp is None:
                raise Abort('MALFORMED_MESSAGE', 4, [j])
            self.keys(pp, ['decChi', 'decDelta', 'mulStar'], 4, j)
            pd, pm, pc = self.proof(pp['decDelta'], 'dec', 4, j), self.proof(pp['mulStar'], 'mulstar', 4, j), self.proof(pp['decChi'], 'dec', 4, j)
            d, Nj = bl[j], self.rps[j][0]
            Nj2 = Nj * Nj
            Cd, Cc = d['H'], d['Hh']
            for m in self.S:
                if m != j:
                    Cd = Cd * d['recv'][m]['D'] * pow(d['sent'][m]['F'], -1, Nj2) % Nj2
                    Cc = Cc * d['recv'][m]['Dh'] * pow(d['sent'][m]['Fh'], -1, Nj2) % Nj2
            ok = [verify('mul', {'N': Nj, 'X': self.peerK[j], 'Y': self.peerG[j], 'C': d['H']}, d['mul'], self.tr(j, 'blame-mul'), self.profile),
                  verify('dec', {'N0': Nj, 'C': Cd, 'x': self.dl[j], 'yBits': self.ly, 'rp': own_rp}, pd, self.tr(j, 'blame-dec-delta', self.me), self.profile),
                  verify('mulstar', {'N0': Nj, 'C': self.peerK[j], 'D': d['Hh'], 'X': self.X[j], 'rp': own_rp}, pm, self.tr(j, 'blame-mulstar', self.me), self.profile),
                  verify('dec', {'N0': Nj, 'C': Cc, 'x': d['chi'], 'yBits': self.ly, 'rp': own_rp}, pc, self.tr(j, 'blame-dec-chi', self.me), self.profile),
                  'ok' if pmul(d['chi'], self.Gamma) == self.Sp[j] else 'S']
            if any(x != 'ok' for x in ok):
                culprits.append(j)
        raise Abort(self.verdict, 3, culprits)

    def finish(self):
        di = pow(self.delta, -1, Q)
        R = pmul(di, self.Gamma)
        tag = Transcript.create(self.sid, 'presign', 0).domain('tkey-tss/presign/presignature/v1').bytes_('cfg', self.cfg).bytes_('R', compress(R)).ch_bytes('tag', 32)
        h = lambda P: compress(P).hex()  # noqa: E731
        common = {'tag': tag.hex(), 'self': self.me, 'signers': self.S, 'publicKey': h(self.Y), 'derivedKey': h(self.Yd),
                  'epoch': self.epoch, 'shift': self.shift_b.hex()}
        self.output = dict(common, protocol='presign', sid=self.sid.hex(), R=h(R), presignature=dict(common, profile=self.profile, R=h(R)))
        self.secret = {'k': self.k, 'chi': self.chi_i, 'R': R, 'Rbar': {j: pmul(di, self.Dl[j]) for j in self.S},
                       'Sbar': {j: pmul(di, self.Sp[j]) for j in self.S}}
