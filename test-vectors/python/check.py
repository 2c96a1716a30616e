#!/usr/bin/env python3
"""A second implementation of the `transcript`, `zk`, `keygen`, `aux`, `sign`, `presign`, `refresh`,
`bus` and `metadata-api` conformance suites, written from test-vectors/SPEC.md alone (Python 3
standard library only).

    python3 test-vectors/python/check.py [-v] [file-or-dir ...]
    (default: test-vectors/transcript, zk, keygen, sign, refresh, bus, metadata-api)

`aux/` and `presign/` are replayed when named (about 50 s and 130 s of CPU: 128-repetition Πprm and
Πmod, and 2048-bit Paillier with the §6 proofs, in pure Python), e.g. `check.py test-vectors/presign`.

Prints `FAIL <file> <suite>/<id>: <why>` per failed check (`ok …` lines with -v), a line per suite
and, last, `N passed, N failed`. Exit 0 only if every check passed and at least one ran.
"""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import channel  # noqa: E402
import metadata_api  # noqa: E402
from aux import AuxParty  # noqa: E402
from keygen import Party, check_party  # noqa: E402
from proofs import SCHEMAS, verify  # noqa: E402
from provers import prove  # noqa: E402
from presign import PresignParty  # noqa: E402
import refresh  # noqa: E402
from sign import SignParty  # noqa: E402
from tkeyspec import Drbg, Malformed, Transcript, decode_bytes, decode_json, decompress  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIRS = [os.path.join(HERE, '..', d) for d in ('transcript', 'zk', 'keygen', 'sign', 'refresh', 'bus', 'metadata-api')]
# suites checked vector by vector: suite name → check(vector) returning None or why it failed
VECTOR_SUITES = {'bus': channel.check_vector, 'metadata-api': metadata_api.check_vector}


# protocol suites replayed party by party (SPEC §8 driver): suite name → check(vector, party) → None or why not
PARTIES = {'keygen': lambda v, me: check_party(v, me, Party), 'aux': lambda v, me: check_party(v, me, AuxParty),
           'sign': lambda v, me: check_party(v, me, SignParty), 'presign': lambda v, me: check_party(v, me, PresignParty),
           'refresh': refresh.check}


class BadVector(Exception):
    pass


def sx(v):
    """Signed hex → int."""
    if not isinstance(v, str) or v in ('', '-'):
        raise BadVector('expected hex, got %r' % (v,))
    return -int(v[1:], 16) if v.startswith('-') else int(v, 16)


def shx(x):
    return '-' + format(-x, 'x') if x < 0 else format(x, 'x')


def context_transcript(c):
    rid = bytes.fromhex(c['rid']) if 'rid' in c else None
    return Transcript.create(bytes.fromhex(c['sid']), c['protocol'], c['prover'], rid)


# ---------------------------------------------------------------- transcript suite (§7.1)

def draw(rng, d):
    k = d['kind']
    if k == 'bytes':
        return rng.bytes(d['n']).hex()
    if k == 'below':
        return shx(rng.below(sx(d['max'])))
    if k == 'range':
        return shx(rng.range(sx(d['min']), sx(d['max'])))
    if k == 'signedBits':
        return shx(rng.signed_bits(d['bits']))
    if k == 'scalar':
        return shx(rng.scalar())
    if k == 'unit':
        return shx(rng.unit(sx(d['N'])))
    raise BadVector('draw kind ' + str(k))


def check_drbg(v):
    rng = Drbg(v['seed'])
    for f in v.get('fork', []):
        rng = rng.fork(f)
    for i, d in enumerate(v['draws']):
        got = draw(rng, d)
        if got != d['expected']:
            return 'draws[%d] (%s): got %s, expected %s' % (i, d['kind'], got[:60], d['expected'][:60])
    return None


def absorb(t, s):
    it = s['item']
    if it == 'bytes':
        return t.bytes_(s['label'], bytes.fromhex(s['value']))
    if it == 'int':
        return t.int_(s['label'], sx(s['value']))
    if it == 'point':
        return t.point(s['label'], None if s['value'] == 'identity' else decompress(bytes.fromhex(s['value'])))
    if it == 'string':
        return t.string(s['label'], s['value'])
    if it == 'uint':
        return t.uint(s['label'], s['value'])
    if it == 'domain':
        return t.domain(s['value'])
    if it == 'fork':
        return t.fork(s['value'], s.get('forkValue'))
    if it == 'ints':
        return t.ints(s['label'], [sx(x) for x in s['value']])
    if it == 'ringPedersen':
        return t.ring_pedersen((sx(s['value']['N']), sx(s['value']['s']), sx(s['value']['t'])))
    raise BadVector('item ' + str(it))


def squeeze(t, s):
    k = s['squeeze']
    if k == 'bytes':
        return t.ch_bytes(s['label'], s['n']).hex()
    if k == 'below':
        return [shx(x) for x in t.ch_below(s['label'], sx(s['bound']), s['count'])]
    if k == 'signed':
        return shx(t.ch_signed(s['label'], sx(s['bound'])))
    if k == 'bits':
        return t.ch_bits(s['label'], s['m'])
    raise BadVector('squeeze ' + str(k))


def check_transcript(v):
    t = context_transcript(v['context'])
    for i, s in enumerate(v['steps']):
        if 'squeeze' not in s:
            t = absorb(t, s)
            continue
        before = bytes(t.absorbed)
        got = squeeze(t, s)
        if bytes(t.absorbed).hex() != s['absorbed']:
            return 'steps[%d]: absorbed bytes differ (first difference at byte %d)' % (
                i, next((j for j, (a, b) in enumerate(zip(t.absorbed.hex(), s['absorbed'])) if a != b), len(before)) // 2)
        if got != s['expected']:
            return 'steps[%d] (%s): got %s, expected %s' % (i, s['squeeze'], str(got)[:60], str(s['expected'])[:60])
    return None


# ---------------------------------------------------------------- zk suite (§7.2)

POINT_FIELDS = {'sch': {'X'}, 'logstar': {'X', 'g'}, 'affg': {'X'}, 'mulstar': {'X'}}


def statement_of(kind, j):
    st = {}
    for k, v in j.items():
        if k == 'rp':
            st[k] = (sx(v['N']), sx(v['s']), sx(v['t']))
        elif k == 'yBits':
            if type(v) is not int or v < 0:
                raise BadVector('yBits')
            st[k] = v
        elif k in POINT_FIELDS.get(kind, ()):
            P = decompress(bytes.fromhex(v))
            if P is None:
                raise BadVector('statement point ' + k)
            st[k] = P
        else:
            st[k] = sx(v)
    return st


def apply_patch(roots, p):
    root = roots[p['target']]
    path = p['path']
    cur = root
    for k in path[:-1]:
        cur = cur[k]
    last = path[-1]
    op = p.get('op', 'set')
    if op == 'delete':
        del cur[last]
    elif op == 'pop':
        cur[last].pop()
    else:
        cur[last] = copy.deepcopy(p['value'])


VERDICTS = {}
PROOFS = {}


def check_zk(v, by_id):
    kind = v['proof_type']
    if v['op'] != 'verify' or kind not in SCHEMAS:
        raise BadVector('op/proof_type')
    src = by_id[v['base']] if 'base' in v else v
    roots = {'statement': copy.deepcopy(src['statement']), 'context': copy.deepcopy(src['context']),
             'proof': copy.deepcopy(src.get('proof'))}
    for p in v.get('patch', []):
        apply_patch(roots, p)
    try:
        if 'proofBytes' in v:
            proof = decode_bytes(SCHEMAS[kind], bytes.fromhex(v['proofBytes']))
        else:
            proof = decode_json(SCHEMAS[kind], roots['proof'])
    except Malformed:
        got = 'PROOF_MALFORMED'
    else:
        # the same proof in JSON and in byte form (bytes-valid) is verified once
        key = repr((kind, v['profile'], roots['statement'], roots['context'], sorted(proof.items())))
        if key not in VERDICTS:
            VERDICTS[key] = verify(kind, statement_of(kind, roots['statement']), proof, context_transcript(roots['context']), v['profile'])
        got = VERDICTS[key]
    if got != v['verdict']:
        return 'verdict: got %s, expected %s' % (got, v['verdict'])
    if 'witness' in v:
        # re-prove from the seed (SPEC §7.2): the same draws give exactly the vector's proof
        key = repr((kind, v['profile'], v['seed'], v['witness'], roots['statement'], roots['context']))
        if key not in PROOFS:
            witness = {k: sx(x) for k, x in v['witness'].items()}
            PROOFS[key] = prove(kind, statement_of(kind, roots['statement']), witness, context_transcript(roots['context']), v['seed'], v['profile'])
        again = PROOFS[key]
        bad = [k for k, _ in SCHEMAS[kind] if again[k] != proof[k]]
        if bad:
            return 're-proving from the seed differs in %s' % ', '.join(bad)
    return None


# ---------------------------------------------------------------- runner

def files_of(targets):
    out = []
    for t in targets:
        if os.path.isdir(t):
            for root, _, names in sorted(os.walk(t)):
                out += [os.path.join(root, n) for n in sorted(names) if n.endswith('.json')]
        else:
            out.append(t)
    return out


def main(argv):
    verbose = '-v' in argv
    targets = [a for a in argv if a != '-v'] or DEFAULT_DIRS
    passed = failed = 0
    tally = {}
    for path in files_of(targets):
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
        suite = doc.get('suite')
        if suite not in ('transcript', 'zk', *VECTOR_SUITES) and suite not in PARTIES or doc.get('version') != 1:
            print('not checked (suite %r): %s' % (suite, path))
            continue
        by_id = {v['id']: v for v in doc['vectors']}
        checks = []
        for v in doc['vectors']:
            if suite in PARTIES:
                checks += [('%s/%s/party-%d' % (suite, v['id'], me['id']), v, me) for me in v['transcript'] if me.get('replay') and 'expect' in me]
            else:
                checks.append(('%s/%s' % (suite, v['id']), v, None))
        for cid, v, me in checks:
            try:
                if suite in PARTIES:
                    why = PARTIES[suite](v, me)
                elif suite in VECTOR_SUITES:
                    why = VECTOR_SUITES[suite](v)
                elif suite == 'zk':
                    why = check_zk(v, by_id)
                elif v['op'] == 'drbg':
                    why = check_drbg(v)
                elif v['op'] == 'transcript':
                    why = check_transcript(v)
                else:
                    raise BadVector('op ' + str(v['op']))
            except (BadVector, KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
                why = 'malformed vector: %s: %s' % (type(e).__name__, e)
            t = tally.setdefault(suite, [0, 0])
            if why is None:
                passed += 1
                t[0] += 1
                if verbose:
                    print('  ok   ' + cid)
            else:
                failed += 1
                t[1] += 1
                print('FAIL %s %s: %s' % (os.path.relpath(path), cid, why))
    for name, (p, f) in tally.items():
        print('%s: %d passed, %d failed' % (name, p, f))
    print('%d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
