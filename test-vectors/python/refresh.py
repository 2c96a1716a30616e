"""Refresh replay of test-vectors/SPEC.md §12 on the driver of keygen.py (§8): regenerates a
party's `sent` bytes (Feldman re-dealing, Πsch, the confirmation report) from its seed and input,
and computes its end state and its unconfirmed sharing from its `received` bytes. Written from
SPEC.md alone."""
from keygen import Abort, Party, check_party, evaluate, mp_encode, poly_point, sc
from proofs import PROFILES, Reject, v_sch
from tkeyspec import G, Q, Transcript, compress, decompress, padd, pmul


def point(v):
    return decompress(v) if isinstance(v, bytes) and len(v) == 33 else None


def cfg_hash(sid, t_new, parties, Y, epoch, t_old, dealers, S, Xold):
    tr = Transcript.create(sid, 'refresh', 0).domain('tkey-tss/refresh/config/v1').uint('t-new', t_new).uint('parties', len(parties))
    for pid, owns in parties:
        tr.uint('id', pid).uint('owns', len(owns))
        for m in owns:
            tr.uint('index', m)
    tr.bytes_('Y', compress(Y)).uint('epoch', epoch).uint('t-old', t_old).uint('dealers', len(dealers))
    for d in sorted(dealers):
        tr.uint('dealer', d).uint('old', len(dealers[d]))
        for k in dealers[d]:
            tr.uint('old-index', k)
    tr.uint('old-public', len(S))
    for k in S:
        tr.uint('old-index', k).bytes_('X', compress(Xold[k]))
    return tr.string('extension', 'none').ch_bytes('cfg', 32)


class RefreshParty(Party):
    protocol = 'refresh'

    def __init__(self, vec, me):
        super().__init__(vec, me)
        self.parties = sorted((p['id'], sorted(p['owns'])) for p in vec['parties'])  # party order
        self.ids = [p for p, _ in self.parties]
        self.owns = dict(self.parties)
        self.others = [j for j in self.ids if j != self.me]
        self.t = int(vec['threshold'])
        inp = me['input']
        self.Y = decompress(bytes.fromhex(inp['publicKey']))
        self.epoch, self.t_old = inp['epoch'], inp['oldThreshold']
        self.Xold = {e['index']: decompress(bytes.fromhex(e['X'])) for e in inp['oldPublicShares']}
        self.dealers = {d['party']: sorted(d['indices']) for d in inp['dealers']}
        self.S = sorted(k for ks in self.dealers.values() for k in ks)
        lam = {}
        for k in self.S:  # Lagrange at 0 over S
            lam[k] = 1
            for m in self.S:
                if m != k:
                    lam[k] = lam[k] * (-m) * pow(k - m, -1, Q) % Q
        acc = None
        for k in self.S:
            acc = padd(acc, pmul(lam[k], self.Xold[k]))
        if self.t == 1 or len(self.S) < self.t_old or acc != self.Y:
            raise ValueError('input error (no vector)')
        self.L = {}
        for j, ks in self.dealers.items():
            P = None
            for k in ks:
                P = padd(P, pmul(lam[k], self.Xold[k]))
            self.L[j] = P
        shares = {e['index']: int(e['share'], 16) for e in inp['oldShares']}
        if sorted(shares) != self.dealers.get(self.me, []) or any(pmul(x, G) != self.Xold[k] for k, x in shares.items()):
            raise ValueError('input error (no vector)')
        self.w = sum(lam[k] * x for k, x in shares.items()) % Q
        self.cfg = cfg_hash(self.sid, self.t, self.parties, self.Y, self.epoch, self.t_old, self.dealers, self.S, self.Xold)
        self.unconfirmed = None

    def complete(self, k):
        got = self.inbox.get(k, {})
        kinds = ['broadcast', 'p2p'] if k == 1 else ['broadcast']
        return all((j, kd) in got for j in self.others for kd in kinds)

    def sch_tr(self, i, m):
        return Transcript.create(self.sid, 'refresh', i, self.h).fork('share-index', m)

    def start(self):
        r = self.rng(1)
        dealer = self.me in self.dealers
        self.g = [self.w] + [r.scalar() for _ in range(self.t - 1)] if dealer else []
        self.C = [pmul(a, G) for a in self.g]
        self.own1 = {'C': [compress(P) for P in self.C], 'cfg': self.cfg}
        self.send(1, None, self.own1)
        for j in self.others:
            self.send(1, j, {'sigma': [sc(evaluate(self.g, m)) for m in self.owns[j]] if dealer else []})

    def round2(self, box):
        mine = self.owns[self.me]
        comm = {self.me: self.C} if self.me in self.dealers else {}
        sig = {m: (evaluate(self.g, m) if self.g else 0) for m in mine}
        for j in self.others:
            b, p = box[(j, 'broadcast')], box[(j, 'p2p')]
            dealer = j in self.dealers
            if not isinstance(b, dict) or not isinstance(b.get('cfg'), bytes) or len(b['cfg']) != 32:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if b['cfg'] != self.cfg:
                raise Abort('CONFIG_MISMATCH', 1, [j])
            if sorted(b) != ['C', 'cfg']:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            C = b['C']
            if not isinstance(C, list) or len(C) > 4096 or any(not isinstance(c, bytes) or len(c) != 33 for c in C):
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if len(C) != (self.t if dealer else 0):
                raise Abort('COMMITMENT_LENGTH', 1, [j])
            Cp = [point(c) for c in C]
            if any(P is None for P in Cp):
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if dealer and Cp[0] != self.L[j]:
                raise Abort('DEALER_KEY_CHANGED', 1, [j])
            s = p.get('sigma') if isinstance(p, dict) else None
            if not isinstance(p, dict) or sorted(p) != ['sigma'] or not isinstance(s, list) \
                    or any(not isinstance(x, bytes) or len(x) != 32 for x in s) \
                    or len(s) != (len(mine) if dealer else 0) or any(int.from_bytes(x, 'big') >= Q for x in s):
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if dealer:
                for k, m in enumerate(mine):
                    v = int.from_bytes(s[k], 'big')
                    if pmul(v, G) != poly_point(Cp, m):
                        raise Abort('FELDMAN_SHARE_MISMATCH', 1, [j])
                    sig[m] = (sig[m] + v) % Q
                comm[j] = Cp
        A = [None] * self.t
        for Cp in comm.values():
            A = [padd(a, c) for a, c in zip(A, Cp)]
        if A[0] != self.Y:
            raise Abort('PUBLIC_KEY_CHANGED', 1, [])
        if any(P is None for P in A):
            raise Abort('DEGENERATE_RESULT', 1, [])
        self.A = A
        self.Xn = {m: poly_point(A, m) for m in sorted(m for _, ow in self.parties for m in ow)}
        if any(P is None for P in self.Xn.values()):
            raise Abort('DEGENERATE_RESULT', 1, [])
        tr = Transcript.create(self.sid, 'refresh', 0).domain('tkey-tss/refresh/confirm/v1').bytes_('cfg', self.cfg).uint('epoch', self.epoch + 1).uint('parties', len(self.ids))
        for p in self.ids:
            tr.uint('id', p).bytes_('broadcast', mp_encode(self.own1 if p == self.me else box[(p, 'broadcast')]))
        self.h = tr.ch_bytes('h', 32)
        r = self.rng(2)
        As, zs = [], []
        for m in mine:
            if sig[m] == 0:
                raise Abort('DEGENERATE_RESULT', 1, [])
            a = r.scalar()
            Ap = pmul(a, G)
            e = self.sch_tr(self.me, m).domain('tkey-tss/zk/sch/v1').point('X', self.Xn[m]).point('A', Ap).ch_below('e', Q)[0]
            As.append(compress(Ap))
            zs.append(sc(a + e * sig[m]))
        self.x_new = sig
        self.send(2, None, {'A': As, 'h': self.h, 'z': zs})
        h = lambda b: b.hex()  # noqa: E731
        self.unconfirmed = {
            'protocol': 'refresh', 'sid': self.sid.hex(), 'self': self.me, 'threshold': self.t,
            'parties': [{'id': p, 'owns': ow} for p, ow in self.parties], 'publicKey': h(compress(self.Y)),
            'commitments': [h(compress(P)) for P in A], 'publicShares': [{'index': m, 'X': h(compress(X))} for m, X in self.Xn.items()],
            'epoch': self.epoch + 1, 'previous': {'epoch': self.epoch, 'threshold': self.t_old, 'indices': self.S},
            'confirmation': h(self.h), 'shares': [{'index': m, 'share': h(sc(sig[m]))} for m in mine], 'extension': None}

    def round3(self, box):
        self.wrong, self.hs = [], {self.me: self.h}
        for j in self.others:
            b = box[(j, 'broadcast')]
            n = len(self.owns[j])
            if not isinstance(b, dict) or sorted(b) != ['A', 'h', 'z'] or not isinstance(b['h'], bytes) or len(b['h']) != 32 \
                    or not isinstance(b['A'], list) or len(b['A']) != n or any(not isinstance(a, bytes) or len(a) != 33 for a in b['A']) \
                    or not isinstance(b['z'], list) or len(b['z']) != n or any(not isinstance(z, bytes) or len(z) != 32 for z in b['z']):
                raise Abort('MALFORMED_MESSAGE', 2, [j])
            self.hs[j] = b['h']
            if b['h'] != self.h:
                self.wrong.append(j)
                continue
            for k, m in enumerate(self.owns[j]):
                Ap, z = point(b['A'][k]), int.from_bytes(b['z'][k], 'big')
                if Ap is None or z >= Q:
                    raise Abort('MALFORMED_MESSAGE', 2, [j])
                try:
                    v_sch({'X': self.Xn[m]}, {'A': Ap, 'z': z}, self.sch_tr(j, m), PROFILES['default'])
                except Reject:
                    raise Abort('SCHNORR_INVALID', 2, [j])
        if len(self.ids) >= 3:
            self.send(3, None, {'seen': [self.hs[p] for p in self.ids]})
        else:
            self.round4(None)

    def round4(self, box):
        if self.wrong:
            raise Abort('CONFIRMATION_MISMATCH', 2, sorted(self.wrong))
        if box is not None:
            n, pos = len(self.ids), {p: i for i, p in enumerate(self.ids)}
            seen = {}
            for k in self.others:
                b = box[(k, 'broadcast')]
                s = b.get('seen') if isinstance(b, dict) else None
                if not isinstance(b, dict) or sorted(b) != ['seen'] or not isinstance(s, list) or len(s) != n \
                        or any(not isinstance(x, bytes) or len(x) != 32 for x in s):
                    raise Abort('MALFORMED_MESSAGE', 3, [k])
                seen[k] = s
            for k in self.others:
                if seen[k][pos[k]] != self.h or seen[k][pos[self.me]] != self.h:
                    raise Abort('CONFIRMATION_EQUIVOCATION', 2, [k])
            for k in self.others:
                for j in self.ids:
                    if seen[k][pos[j]] != self.h:
                        raise Abort('CONFIRMATION_EQUIVOCATION', 2, sorted({j, k}))
        self.output, self.unconfirmed = self.unconfirmed, None


def check(vec, me):
    """None if the party's sent bytes, end state and unconfirmed sharing match the vector, else why not."""
    def unconfirmed(p):
        if p.unconfirmed != me['unconfirmed']:
            return 'unconfirmed %s, expected %s' % (str(p.unconfirmed)[:120], str(me['unconfirmed'])[:120])
        return None
    return check_party(vec, me, RefreshParty, unconfirmed)
