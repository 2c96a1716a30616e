"""Keygen replay of test-vectors/SPEC.md §8 with the canonical MessagePack envelope of
test-vectors/README.md ("Wire format"): regenerates a party's `sent` bytes from its seed and
computes its end state (output, abort or pending) from its `received` bytes."""
import struct

from proofs import v_sch, PROFILES, Reject
from tkeyspec import G, Q, Drbg, Transcript, compress, decompress, padd, pmul

# ---------------------------------------------------------------- canonical MessagePack


def mp_encode(v):
    if v is None:
        return b'\xc0'
    if v is True:
        return b'\xc3'
    if v is False:
        return b'\xc2'
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if v >= 0:
            for lim, tag, fmt in ((1 << 8, 0xcc, '>B'), (1 << 16, 0xcd, '>H'), (1 << 32, 0xce, '>I')):
                if v < lim:
                    return bytes([tag]) + struct.pack(fmt, v)
            return b'\xcf' + struct.pack('>Q', v)
        if v >= -32:
            return struct.pack('>b', v)
        for lim, tag, fmt in ((1 << 7, 0xd0, '>b'), (1 << 15, 0xd1, '>h'), (1 << 31, 0xd2, '>i')):
            if v >= -lim:
                return bytes([tag]) + struct.pack(fmt, v)
        return b'\xd3' + struct.pack('>q', v)
    if isinstance(v, str):
        b = v.encode('utf-8')
        n = len(b)
        h = bytes([0xa0 | n]) if n < 32 else b'\xd9' + bytes([n]) if n < 256 else b'\xda' + struct.pack('>H', n) if n < 65536 else b'\xdb' + struct.pack('>I', n)
        return h + b
    if isinstance(v, (bytes, bytearray)):
        n = len(v)
        h = b'\xc4' + bytes([n]) if n < 256 else b'\xc5' + struct.pack('>H', n) if n < 65536 else b'\xc6' + struct.pack('>I', n)
        return h + bytes(v)
    if isinstance(v, list):
        n = len(v)
        h = bytes([0x90 | n]) if n < 16 else b'\xdc' + struct.pack('>H', n) if n < 65536 else b'\xdd' + struct.pack('>I', n)
        return h + b''.join(mp_encode(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        h = bytes([0x80 | n]) if n < 16 else b'\xde' + struct.pack('>H', n) if n < 65536 else b'\xdf' + struct.pack('>I', n)
        keys = sorted(v, key=lambda k: k.encode('utf-16-be'))
        return h + b''.join(mp_encode(k) + mp_encode(v[k]) for k in keys)
    raise TypeError(type(v))


def mp_decode(b):
    def rd(i):
        t = b[i]
        if t <= 0x7f:
            return t, i + 1
        if t >= 0xe0:
            return t - 256, i + 1
        if 0x80 <= t <= 0x8f:
            return rmap(t & 15, i + 1)
        if 0x90 <= t <= 0x9f:
            return rarr(t & 15, i + 1)
        if 0xa0 <= t <= 0xbf:
            n = t & 31
            return b[i + 1:i + 1 + n].decode('utf-8'), i + 1 + n
        if t == 0xc0:
            return None, i + 1
        if t in (0xc2, 0xc3):
            return t == 0xc3, i + 1
        if t in (0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb):
            w = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4}[t]
            n = int.from_bytes(b[i + 1:i + 1 + w], 'big')
            raw = b[i + 1 + w:i + 1 + w + n]
            return (raw.decode('utf-8') if t >= 0xd9 else bytes(raw)), i + 1 + w + n
        if t in (0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3):
            w = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8}[t]
            return int.from_bytes(b[i + 1:i + 1 + w], 'big', signed=t >= 0xd0), i + 1 + w
        if t in (0xdc, 0xdd):
            w = 2 if t == 0xdc else 4
            return rarr(int.from_bytes(b[i + 1:i + 1 + w], 'big'), i + 1 + w)
        if t in (0xde, 0xdf):
            w = 2 if t == 0xde else 4
            return rmap(int.from_bytes(b[i + 1:i + 1 + w], 'big'), i + 1 + w)
        raise ValueError('msgpack type %x' % t)

    def rarr(n, i):
        out = []
        for _ in range(n):
            x, i = rd(i)
            out.append(x)
        return out, i

    def rmap(n, i):
        out = {}
        for _ in range(n):
            k, i = rd(i)
            x, i = rd(i)
            out[k] = x
        return out, i
    v, end = rd(0)
    if end != len(b) or mp_encode(v) != bytes(b):
        raise ValueError('not canonical')
    return v


# ---------------------------------------------------------------- keygen (SPEC §8)

class Abort(Exception):
    def __init__(self, reason, rnd, culprits):
        super().__init__(reason)
        self.v = {'reason': reason, 'round': rnd, 'culprits': sorted(culprits)}


def sc(x):
    return (x % Q).to_bytes(32, 'big')


def config_hash(sid, t, parties):
    tr = Transcript.create(sid, 'keygen', 0).domain('tkey-tss/keygen/config/v1').uint('t', t).uint('parties', len(parties))
    for p in parties:
        tr.uint('id', p['id']).uint('owns', len(p['owns']))
        for m in p['owns']:
            tr.uint('index', m)
    return tr.ch_bytes('cfg', 32)


def commitment_hash(sid, i, cfg, d):
    tr = Transcript.create(sid, 'keygen', i).domain('tkey-tss/keygen/commit/v1').bytes_('cfg', cfg).uint('S', len(d['S']))
    for s in d['S']:
        tr.bytes_('S', s)
    tr.bytes_('rid', d['rid']).bytes_('c', d['c']).uint('A', len(d['A']))
    for a in d['A']:
        tr.bytes_('A', a)
    return tr.bytes_('u', d['u']).ch_bytes('V', 32)


def echo_hash(sid, protocol, sender, rnd, payload):
    return Transcript.create(sid, protocol, sender).domain('tkey-tss/session/echo/v1').uint('round', rnd).bytes_('payload', mp_encode(payload)).ch_bytes('h', 32)


def sch_transcript(sid, i, rid, m):
    return Transcript.create(sid, 'keygen', i, rid).fork('share-index', m)


def evaluate(f, x):
    return sum(a * pow(x, k, Q) for k, a in enumerate(f)) % Q


def poly_point(S, x):
    acc = None
    for k, P in enumerate(S):
        acc = padd(acc, pmul(pow(x, k, Q), P))
    return acc


class Party:
    """The driver of SPEC §8 (round k+1 runs once every other party's round-k messages are in) with
    keygen's rounds; `aux.py` reuses the driver with its own rounds."""
    protocol = 'keygen'
    p2p_round = 2

    def __init__(self, vec, me):
        self.sid = bytes.fromhex(vec['sid'])
        self.t = vec['threshold']
        self.parties = vec['parties']
        self.ids = [p['id'] for p in self.parties]
        self.owns = {p['id']: p['owns'] for p in self.parties}
        self.me = me['id']
        self.seed = me['seed']
        self.others = [j for j in self.ids if j != self.me]
        self.echo_on = len(self.ids) >= 3
        self.sent = []
        self.inbox = {}  # round -> {(from, kind): payload}
        self.next = 2  # the round to run once round next-1's messages are in
        self.output = None

    def rng(self, k):
        return Drbg(self.seed).fork('%s/%s/round%d' % (self.protocol, self.sid.hex(), k))

    def send(self, rnd, to, payload):
        if self.echo_on and rnd == 2:
            payload = {'body': payload, 'echo': self.echo}
        env = {'from': self.me, 'payload': payload, 'protocol': self.protocol, 'round': rnd, 'sid': self.sid, 'to': to}
        self.sent.append(mp_encode(env))

    def start(self):
        r = self.rng(1)
        self.cfg = config_hash(self.sid, self.t, self.parties)
        self.f = [r.scalar() for _ in range(self.t)]
        self.S = [compress(pmul(a, G)) for a in self.f]
        self.rid, self.c = r.bytes(32), r.bytes(32)
        self.alpha = [r.scalar() for _ in self.owns[self.me]]
        self.A = [compress(pmul(a, G)) for a in self.alpha]
        self.u = r.bytes(32)
        self.V = commitment_hash(self.sid, self.me, self.cfg, {'S': self.S, 'rid': self.rid, 'c': self.c, 'A': self.A, 'u': self.u})
        self.own1 = {'V': self.V, 'cfg': self.cfg}
        self.send(1, None, self.own1)

    def receive(self, raw):
        msg = mp_decode(raw)
        j = msg['from']
        if msg['sid'] != self.sid:
            raise Abort('WRONG_SID', msg['round'], [j])
        kind = 'broadcast' if msg['to'] is None else 'p2p'
        self.inbox.setdefault(msg['round'], {})[(j, kind)] = msg['payload']
        while self.output is None and self.complete(self.next - 1):
            self.run(self.next)

    def complete(self, k):
        got = self.inbox.get(k, {})
        kinds = ['broadcast', 'p2p'] if k == self.p2p_round else ['broadcast']
        return all((j, kd) in got for j in self.others for kd in kinds)

    def run(self, k):
        box = self.inbox[k - 1]
        self.next = k + 1
        if k == 2 and self.echo_on:
            self.echo = [echo_hash(self.sid, self.protocol, p, 1, self.own1 if p == self.me else self.inbox[1][(p, 'broadcast')]) for p in self.ids]
        if k == 3 and self.echo_on:
            box = self.unwrap_echo(box)
        getattr(self, 'round%d' % k)(box)

    def round2(self, box):
        for j in self.others:
            p = box[(j, 'broadcast')]
            if sorted(p) != ['V', 'cfg']:
                raise Abort('MALFORMED_MESSAGE', 1, [j])
            if p['cfg'] != self.cfg:
                raise Abort('CONFIG_MISMATCH', 1, [j])
        self.peer_v = {j: box[(j, 'broadcast')]['V'] for j in self.others}
        self.send(2, None, {'S': self.S, 'rid': self.rid, 'c': self.c, 'A': self.A, 'u': self.u})
        for j in self.others:
            self.send(2, j, {'sigma': [sc(evaluate(self.f, m)) for m in self.owns[j]]})

    def unwrap_echo(self, box):
        out, vecs = {}, {}
        for j in self.others:
            seen = None
            for kd in ('broadcast', 'p2p'):
                if (j, kd) not in box:
                    continue
                p = box[(j, kd)]
                if not isinstance(p, dict) or sorted(p) != ['body', 'echo'] or len(p['echo']) != len(self.ids):
                    raise Abort('MALFORMED_MESSAGE', 2, [j])
                if seen is not None and seen != p['echo']:
                    raise Abort('ECHO_MISMATCH', 2, [j])
                seen = p['echo']
                out[(j, kd)] = p['body']
            vecs[j] = seen
        for j in self.others:
            for p in (j, self.me):
                i = self.ids.index(p)
                if vecs[j][i] != self.echo[i]:
                    raise Abort('ECHO_MISMATCH', 1, [j])
        for j in self.others:
            for i, p in enumerate(self.ids):
                if vecs[j][i] != self.echo[i]:
                    raise Abort('ECHO_MISMATCH', 1, [p, j])
        return out

    def round3(self, box):
        mine = self.owns[self.me]
        sums = [pmul(a, G) for a in self.f]
        x = [evaluate(self.f, m) for m in mine]
        rid, chain = bytearray(self.rid), bytearray(self.c)
        self.peer_a = {}
        for j in self.others:
            d = box[(j, 'broadcast')]
            if sorted(d) != ['A', 'S', 'c', 'rid', 'u']:
                raise Abort('MALFORMED_MESSAGE', 2, [j])
            if len(d['S']) != self.t:
                raise Abort('COMMITMENT_LENGTH', 2, [j])
            if len(d['A']) != len(self.owns[j]) or any(len(d[k]) != 32 for k in ('rid', 'c', 'u')):
                raise Abort('MALFORMED_MESSAGE', 2, [j])
            S = [decompress(s) for s in d['S']]
            if any(P is None for P in S) or any(decompress(a) is None for a in d['A']):
                raise Abort('MALFORMED_MESSAGE', 2, [j])
            if commitment_hash(self.sid, j, self.cfg, d) != self.peer_v[j]:
                raise Abort('DECOMMITMENT_MISMATCH', 2, [j])
            pm = box[(j, 'p2p')]
            sig = pm.get('sigma')
            if sorted(pm) != ['sigma'] or len(sig) != len(mine) or any(len(x) != 32 or int.from_bytes(x, 'big') >= Q for x in sig):
                raise Abort('MALFORMED_MESSAGE', 2, [j])
            for k, m in enumerate(mine):
                s = int.from_bytes(sig[k], 'big')
                if pmul(s, G) != poly_point(S, m):
                    raise Abort('FELDMAN_SHARE_MISMATCH', 2, [j])
                x[k] = (x[k] + s) % Q
            sums = [padd(a, b) for a, b in zip(sums, S)]
            rid = bytearray(a ^ b for a, b in zip(rid, d['rid']))
            chain = bytearray(a ^ b for a, b in zip(chain, d['c']))
            self.peer_a[j] = d['A']
        all_idx = sorted(m for p in self.parties for m in p['owns'])
        if any(P is None for P in sums):
            raise Abort('DEGENERATE_RESULT', 2, [])
        self.X = {m: poly_point(sums, m) for m in all_idx}
        if any(P is None for P in self.X.values()):
            raise Abort('DEGENERATE_RESULT', 2, [])
        self.rid_all, self.chain, self.sums, self.x = bytes(rid), bytes(chain), sums, x
        z = []
        for k, m in enumerate(mine):
            tr = sch_transcript(self.sid, self.me, self.rid_all, m)
            e = tr.domain('tkey-tss/zk/sch/v1').point('X', self.X[m]).point('A', pmul(self.alpha[k], G)).ch_below('e', Q)[0]
            z.append(sc(self.alpha[k] + e * x[k]))
        self.send(3, None, {'z': z})

    def round4(self, box):
        for j in self.others:
            z = box[(j, 'broadcast')]['z']
            if sorted(box[(j, 'broadcast')]) != ['z'] or len(z) != len(self.owns[j]) or any(len(x) != 32 or int.from_bytes(x, 'big') >= Q for x in z):
                raise Abort('MALFORMED_MESSAGE', 3, [j])
            for k, m in enumerate(self.owns[j]):
                proof = {'A': decompress(self.peer_a[j][k]), 'z': int.from_bytes(z[k], 'big')}
                try:
                    v_sch({'X': self.X[m]}, proof, sch_transcript(self.sid, j, self.rid_all, m), PROFILES['default'])
                except Reject:
                    raise Abort('SCHNORR_INVALID', 3, [j])
        h = lambda b: b.hex()  # noqa: E731
        self.output = {
            'protocol': 'keygen', 'sid': self.sid.hex(), 'self': self.me, 'threshold': self.t,
            'parties': [{'id': p['id'], 'owns': list(p['owns'])} for p in self.parties],
            'publicKey': h(compress(self.sums[0])), 'commitments': [h(compress(P)) for P in self.sums],
            'publicShares': [{'index': m, 'X': h(compress(self.X[m]))} for m in sorted(self.X)],
            'chainCode': h(self.chain), 'rid': h(self.rid_all), 'epoch': 0,
            'shares': [{'index': m, 'share': sc(self.x[k]).hex()} for k, m in enumerate(self.owns[self.me])],
        }


def check_party(vec, me, cls=Party, extra=None):
    """None if the party's sent bytes and end state match the vector (and `extra(party)`, when
    given, finds nothing more), else why not."""
    p = cls(vec, me)
    end = None
    done = -1
    try:
        p.start()
        for done, raw in enumerate(me['received']):
            p.receive(bytes.fromhex(raw))
    except Abort as a:
        end = {'abort': a.v}
        if done != len(me['received']) - 1:
            return 'aborted on received message %d of %d' % (done, len(me['received']))
    if end is None:
        end = {'output': p.output} if p.output is not None else {'pending': True}
    sent = [s.hex() for s in p.sent]
    if sent != me['sent']:
        i = next((k for k, (a, b) in enumerate(zip(sent, me['sent'])) if a != b), min(len(sent), len(me['sent'])))
        return 'sent message %d differs (%d vs %d messages)' % (i, len(sent), len(me['sent']))
    if end != me['expect']:
        return 'end state %s, expected %s' % (str(end)[:120], str(me['expect'])[:120])
    return extra(p) if extra else None
