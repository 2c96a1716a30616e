"""Sign replay of test-vectors/SPEC.md §11 on the driver of keygen.py (§8): regenerates a party's
round-1 broadcast from its presignature input and computes its end state (signature or abort) from
its `received` bytes. Written from SPEC.md alone."""
from keygen import Abort, Party, sc
from tkeyspec import G, Q, compress, decompress, padd, pmul


def point_of(hexstr):
    """33-byte compressed or 65-byte uncompressed (04 ‖ x ‖ y) hex → affine point."""
    b = bytes.fromhex(hexstr)
    if len(b) == 65 and b[0] == 4:
        return (int.from_bytes(b[1:33], 'big'), int.from_bytes(b[33:], 'big'))
    return decompress(b)


class SignParty(Party):
    protocol = 'sign'
    p2p_round = None  # one broadcast round, then the output round

    def __init__(self, vec, me):
        super().__init__(vec, me)
        self.echo_on = False  # no round-2 messages: the §8 echo never applies
        inp = me['input']
        ps = inp['presignature']
        self.digest = bytes.fromhex(inp['digest'])
        shift = int(inp['shift'], 16)
        if shift >= Q or ps['self'] != self.me or ps['signers'] != self.ids or ps['publicKey'] != inp['publicKey'] \
                or ps['epoch'] != inp['epoch'] or ps['shift'] != inp['shift']:
            raise ValueError('PRESIGN_BINDING_MISMATCH (input error, no vector)')
        self.tag = bytes.fromhex(ps['tag'])
        self.Yd = padd(decompress(bytes.fromhex(inp['publicKey'])), pmul(shift, G) if shift else None)  # Y' = Y + shift·G
        self.R = point_of(ps['R'])
        self.Rbar = {e['id']: point_of(e['P']) for e in ps['Rbar']}
        self.Sbar = {e['id']: point_of(e['P']) for e in ps['Sbar']}
        self.m = int.from_bytes(self.digest, 'big') % Q
        self.r = self.R[0] % Q
        self.sigma = (int(ps['k'], 16) * self.m + self.r * int(ps['chi'], 16)) % Q  # σ_i = k_i·m + r·χ_i

    def start(self):
        self.send(1, None, {'m': self.digest, 'sigma': sc(self.sigma), 'tag': self.tag})

    def complete(self, k):
        got = self.inbox.get(k, {})
        return all((j, 'broadcast') in got for j in self.others)

    def partial_checks(self):
        for j in self.others:  # σ_j·R = m·R̄_j + r·S̄_j
            if pmul(self.peer[j], self.R) != padd(pmul(self.m, self.Rbar[j]), pmul(self.r, self.Sbar[j])):
                raise Abort('PARTIAL_SIGNATURE_INVALID', 1, [j])

    def round2(self, box):
        r, m = self.r, self.m
        if r == 0:
            raise Abort('DEGENERATE_SIGNATURE', 1, [])
        self.peer = {}
        for j in self.others:
            p = box[(j, 'broadcast')]
            if not isinstance(p, dict) or sorted(p) != ['m', 'sigma', 'tag']:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if not isinstance(p['tag'], bytes) or len(p['tag']) != 32:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if p['tag'] != self.tag:
                raise Abort('CONFIG_MISMATCH', 1, [j])
            if not isinstance(p['m'], bytes) or len(p['m']) != 32:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if p['m'] != self.digest:
                raise Abort('CONFIG_MISMATCH', 1, [j])
            if not isinstance(p['sigma'], bytes) or len(p['sigma']) != 32 or int.from_bytes(p['sigma'], 'big') >= Q:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            self.peer[j] = int.from_bytes(p['sigma'], 'big')
        s = (self.sigma + sum(self.peer.values())) % Q
        if len(self.ids) >= 3:
            self.partial_checks()
        if s == 0:
            self.partial_checks()
            raise Abort('DEGENERATE_SIGNATURE', 1, [])
        v = (self.R[1] & 1) + (2 if self.R[0] >= Q else 0)
        if s > Q // 2:
            s, v = Q - s, v ^ 1
        w = pow(s, -1, Q)
        X = padd(pmul(m * w % Q, G), pmul(r * w % Q, self.Yd))
        if X is None or X[0] % Q != r:
            self.partial_checks()
            raise Abort('SIGNATURE_INVALID', 1, [])
        self.output = {'protocol': 'sign', 'sid': self.sid.hex(), 'self': self.me, 'publicKey': compress(self.Yd).hex(),
                       'digest': self.digest.hex(), 'r': sc(r).hex(), 's': sc(s).hex(), 'recovery': v,
                       'signature': (sc(r) + sc(s)).hex()}
