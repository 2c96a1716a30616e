"""The ten zk verifiers of test-vectors/SPEC.md §6, each returning 'ok' or the reason code of the
first failing check, in the order the spec lists them. Written from SPEC.md alone."""
from math import gcd

from tkeyspec import (G, PRIMES_16, Q, is_perfect_power, is_probable_prime, jacobi, padd, pmul)

PROFILES = {
    'default': {'min': 2047, 'max': 2048, 'ell': 256, 'ellp': 1280, 'eps': 512, 'm': 128, 'c': 128},
    'high': {'min': 3071, 'max': 3072, 'ell': 256, 'ellp': 1280, 'eps': 512, 'm': 128, 'c': 128},
}
LAMBDA = 100


class Reject(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def need(cond, reason):
    if not cond:
        raise Reject(reason)


# §4 predicates
def unit(x, N):
    return 0 < x < N and gcd(x, N) == 1


def unit_n2(x, N):
    return 0 < x < N * N and gcd(x, N) == 1


def rp_elem(x, Nh):
    return x != 1 and unit(x, Nh)


def within(x, B):
    return -B <= x <= B


def window(N, pr):
    need(N > 0 and N.bit_length() >= pr['min'], 'MODULUS_TOO_SMALL')
    need(N.bit_length() <= pr['max'], 'MODULUS_TOO_LARGE')


def enc(N, m, rho):
    N2 = N * N
    return (1 + (m % N) * N) * pow(rho, N, N2) % N2


def rp_eq(rp, a, b, C, S, e):
    """s^a t^b = C·S^e, checked as s^a · t^b · S^(−e) mod N̂ == C."""
    Nh, s, t = rp
    return pow(s, a, Nh) * pow(t, b, Nh) * pow(S, -e, Nh) % Nh == C


def signed_e(t, pr):
    return t.ch_signed('e', 1 << pr['c'])


# ---------------------------------------------------------------- schemas (§6)

SCHEMAS = {
    'sch': [('A', 'point'), ('z', 'nat')],
    'mod': [('w', 'nat'), ('x', 'nat[]'), ('a', 'bit[]'), ('b', 'bit[]'), ('z', 'nat[]')],
    'prm': [('A', 'nat[]'), ('z', 'nat[]')],
    'fac': [('P', 'nat'), ('Q', 'nat'), ('A', 'nat'), ('B', 'nat'), ('T', 'nat'), ('sigma', 'int'),
            ('z1', 'int'), ('z2', 'int'), ('w1', 'int'), ('w2', 'int'), ('v', 'int')],
    'enc': [('S', 'nat'), ('A', 'nat'), ('C', 'nat'), ('z1', 'int'), ('z2', 'nat'), ('z3', 'int')],
    'logstar': [('S', 'nat'), ('A', 'nat'), ('Y', 'point'), ('D', 'nat'), ('z1', 'int'), ('z2', 'nat'), ('z3', 'int')],
    'affg': [('A', 'nat'), ('Bx', 'point'), ('By', 'nat'), ('E', 'nat'), ('S', 'nat'), ('F', 'nat'), ('T', 'nat'),
             ('z1', 'int'), ('z2', 'int'), ('z3', 'int'), ('z4', 'int'), ('w', 'nat'), ('wy', 'nat')],
    'dec': [('S', 'nat'), ('T', 'nat'), ('A', 'nat'), ('gamma', 'nat'), ('z1', 'int'), ('z2', 'int'), ('w', 'nat')],
    'mul': [('A', 'nat'), ('B', 'nat'), ('z', 'int'), ('u', 'nat'), ('v', 'nat')],
    'mulstar': [('A', 'nat'), ('Bx', 'point'), ('E', 'nat'), ('S', 'nat'), ('z1', 'int'), ('z2', 'int'), ('w', 'nat')],
}


# ---------------------------------------------------------------- §6.1 - §6.10

def v_sch(st, p, t, pr):
    X = st['X']
    need(X is not None, 'SCH_X_IDENTITY')
    need(p['A'] is not None, 'SCH_A_IDENTITY')
    need(p['z'] < Q, 'SCH_Z_RANGE')
    e = t.domain('tkey-tss/zk/sch/v1').point('X', X).point('A', p['A']).ch_below('e', Q)[0]
    need(pmul(p['z'], G) == padd(p['A'], pmul(e, X)), 'SCH_EQUATION')


def v_mod(st, p, t, pr):
    N, m = st['N'], pr['m']
    window(N, pr)
    need(N % 2 == 1, 'MOD_N_EVEN')
    need(len(p['x']) == len(p['a']) == len(p['b']) == len(p['z']) == m, 'MOD_REPETITIONS')
    w = p['w']
    need(unit(w, N), 'MOD_W_NOT_UNIT')
    need(jacobi(w, N) == -1, 'MOD_W_JACOBI')
    need(all(unit(x, N) for x in p['x']), 'MOD_X_NOT_UNIT')
    need(all(unit(z, N) for z in p['z']), 'MOD_Z_NOT_UNIT')
    need(not any(N % f == 0 for f in PRIMES_16), 'MOD_N_SMALL_FACTOR')
    need(not is_probable_prime(N), 'MOD_N_PRIME')
    need(not is_perfect_power(N), 'MOD_N_PERFECT_POWER')
    ys = t.domain('tkey-tss/zk/mod/v1').int_('N', N).int_('w', w).ch_below('y', N, m)
    need(all(unit(y, N) for y in ys), 'MOD_Y_NOT_UNIT')
    need(len(set(ys)) == len(ys), 'MOD_Y_DUPLICATE')
    for i, y in enumerate(ys):
        rhs = (-1) ** p['a'][i] * pow(w, p['b'][i], N) * y % N
        need(pow(p['x'][i], 4, N) == rhs, 'MOD_X_EQUATION')
    for i, y in enumerate(ys):
        need(pow(p['z'][i], N, N) == y, 'MOD_Z_EQUATION')


def v_prm(st, p, t, pr):
    N, s, tt, m = st['N'], st['s'], st['t'], pr['m']
    window(N, pr)
    need(N % 2 == 1, 'PRM_N_EVEN')
    need(unit(s, N) and s not in (1, N - 1), 'PRM_S_INVALID')
    need(unit(tt, N) and tt not in (1, N - 1), 'PRM_T_INVALID')
    need(s != tt, 'PRM_S_EQUALS_T')
    A, z = p['A'], p['z']
    need(len(A) == m and len(z) == m, 'PRM_REPETITIONS')
    need(all(unit(a, N) for a in A), 'PRM_A_NOT_UNIT')
    for i in range(m):
        need(A[i] != 1, 'PRM_A_NOT_UNIT')
        need(z[i] < N, 'PRM_Z_RANGE')
    e = t.domain('tkey-tss/zk/prm/v1').int_('N', N).int_('s', s).int_('t', tt).ints('A', A).ch_bits('e', m)
    for i in range(m):
        need(pow(tt, z[i], N) == A[i] * (s if e[i] else 1) % N, 'PRM_EQUATION')


def v_fac(st, p, t, pr):
    N0, rp = st['N0'], st['rp']
    Nh, s, tt = rp
    window(N0, pr)
    for k in ('P', 'Q', 'A', 'B', 'T'):
        need(rp_elem(p[k], Nh), 'RP_NOT_UNIT')
    ell, eps = pr['ell'], pr['eps']
    need(within(p['sigma'], (1 << ell) * N0 * Nh), 'SIGMA_RANGE')
    Z = 1 << (-(-N0.bit_length() // 2) + ell + eps)
    need(within(p['z1'], Z), 'Z1_RANGE')
    need(within(p['z2'], Z), 'Z2_RANGE')
    t.domain('tkey-tss/zk/fac/v1').int_('N0', N0).ring_pedersen(rp)
    for k in ('P', 'Q', 'A', 'B', 'T', 'sigma'):
        t.int_(k, p[k])
    e = signed_e(t, pr)
    need(rp_eq(rp, p['z1'], p['w1'], p['A'], p['P'], e), 'RP_EQUATION')
    need(rp_eq(rp, p['z2'], p['w2'], p['B'], p['Q'], e), 'RP_EQUATION')
    R = pow(s, N0, Nh) * pow(tt, p['sigma'], Nh) % Nh
    need(pow(p['Q'], p['z1'], Nh) * pow(tt, p['v'], Nh) % Nh == p['T'] * pow(R, e, Nh) % Nh, 'RP_EQUATION')


def v_enc(st, p, t, pr):
    N0, K, rp = st['N0'], st['K'], st['rp']
    need(unit_n2(K, N0), 'CIPHERTEXT_NOT_UNIT')
    need(unit_n2(p['A'], N0), 'CIPHERTEXT_NOT_UNIT')
    need(rp_elem(p['S'], rp[0]), 'RP_NOT_UNIT')
    need(rp_elem(p['C'], rp[0]), 'RP_NOT_UNIT')
    need(unit(p['z2'], N0), 'NONCE_NOT_UNIT')
    need(within(p['z1'], 1 << (pr['ell'] + pr['eps'])), 'Z1_RANGE')
    t.domain('tkey-tss/zk/enc/v1').int_('N0', N0).ring_pedersen(rp).int_('K', K)
    e = signed_e(t.int_('S', p['S']).int_('A', p['A']).int_('C', p['C']), pr)
    N2 = N0 * N0
    need(enc(N0, p['z1'], p['z2']) == p['A'] * pow(K, e, N2) % N2, 'PAILLIER_EQUATION')
    need(rp_eq(rp, p['z1'], p['z3'], p['C'], p['S'], e), 'RP_EQUATION')


def v_logstar(st, p, t, pr):
    N0, C, X, g, rp = st['N0'], st['C'], st['X'], st['g'], st['rp']
    need(unit_n2(C, N0), 'CIPHERTEXT_NOT_UNIT')
    need(unit_n2(p['A'], N0), 'CIPHERTEXT_NOT_UNIT')
    need(rp_elem(p['S'], rp[0]), 'RP_NOT_UNIT')
    need(rp_elem(p['D'], rp[0]), 'RP_NOT_UNIT')
    for P in (X, g, p['Y']):
        need(P is not None, 'POINT_IDENTITY')
    need(unit(p['z2'], N0), 'NONCE_NOT_UNIT')
    need(within(p['z1'], 1 << (pr['ell'] + pr['eps'])), 'Z1_RANGE')
    t.domain('tkey-tss/zk/logstar/v1').int_('N0', N0).ring_pedersen(rp).int_('C', C).point('X', X).point('g', g)
    e = signed_e(t.int_('S', p['S']).int_('A', p['A']).point('Y', p['Y']).int_('D', p['D']), pr)
    N2 = N0 * N0
    need(enc(N0, p['z1'], p['z2']) == p['A'] * pow(C, e, N2) % N2, 'PAILLIER_EQUATION')
    need(pmul(p['z1'], g) == padd(p['Y'], pmul(e, X)), 'POINT_EQUATION')
    need(rp_eq(rp, p['z1'], p['z3'], p['D'], p['S'], e), 'RP_EQUATION')


def v_affg(st, p, t, pr):
    N0, N1, C, D, Y, X, rp = st['N0'], st['N1'], st['C'], st['D'], st['Y'], st['X'], st['rp']
    for v in (C, D, p['A']):
        need(unit_n2(v, N0), 'CIPHERTEXT_NOT_UNIT')
    for v in (Y, p['By']):
        need(unit_n2(v, N1), 'CIPHERTEXT_NOT_UNIT')
    need(X is not None and p['Bx'] is not None, 'POINT_IDENTITY')
    for k in ('E', 'S', 'F', 'T'):
        need(rp_elem(p[k], rp[0]), 'RP_NOT_UNIT')
    need(unit(p['w'], N0), 'NONCE_NOT_UNIT')
    need(unit(p['wy'], N1), 'NONCE_NOT_UNIT')
    need(within(p['z1'], 1 << (pr['ell'] + pr['eps'])), 'Z1_RANGE')
    need(within(p['z2'], 1 << (pr['ellp'] + pr['eps'])), 'Z2_RANGE')
    t.domain('tkey-tss/zk/affg/v1').int_('N0', N0).int_('N1', N1).ring_pedersen(rp)
    t.int_('C', C).int_('D', D).int_('Y', Y).point('X', X).int_('A', p['A']).point('Bx', p['Bx']).int_('By', p['By'])
    e = signed_e(t.int_('E', p['E']).int_('S', p['S']).int_('F', p['F']).int_('T', p['T']), pr)
    N02, N12 = N0 * N0, N1 * N1
    need(pow(C, p['z1'], N02) * enc(N0, p['z2'], p['w']) % N02 == p['A'] * pow(D, e, N02) % N02, 'PAILLIER_EQUATION')
    need(pmul(p['z1'], G) == padd(p['Bx'], pmul(e, X)), 'POINT_EQUATION')
    need(enc(N1, p['z2'], p['wy']) == p['By'] * pow(Y, e, N12) % N12, 'PAILLIER_EQUATION')
    need(rp_eq(rp, p['z1'], p['z3'], p['E'], p['S'], e), 'RP_EQUATION')
    need(rp_eq(rp, p['z2'], p['z4'], p['F'], p['T'], e), 'RP_EQUATION')


def v_dec(st, p, t, pr):
    N0, C, x, yb, rp = st['N0'], st['C'], st['x'], st['yBits'], st['rp']
    need(yb + pr['c'] + LAMBDA + 4 <= N0.bit_length(), 'DEC_BOUND_UNFIT')
    need(unit_n2(C, N0), 'CIPHERTEXT_NOT_UNIT')
    need(unit_n2(p['A'], N0), 'CIPHERTEXT_NOT_UNIT')
    need(rp_elem(p['S'], rp[0]), 'RP_NOT_UNIT')
    need(rp_elem(p['T'], rp[0]), 'RP_NOT_UNIT')
    need(unit(p['w'], N0), 'NONCE_NOT_UNIT')
    need(0 <= x < Q, 'SCALAR_RANGE')
    need(p['gamma'] < Q, 'SCALAR_RANGE')
    L = yb + pr['c'] + LAMBDA
    need(within(p['z1'], 1 << (L + 1)), 'DEC_Z1_RANGE')
    t.domain('tkey-tss/zk/dec/v2').int_('N0', N0).ring_pedersen(rp).int_('q', Q).uint('yBits', yb).int_('C', C).int_('x', x)
    e = signed_e(t.int_('S', p['S']).int_('T', p['T']).int_('A', p['A']).int_('gamma', p['gamma']), pr)
    N2 = N0 * N0
    need(enc(N0, p['z1'], p['w']) == p['A'] * pow(C, e, N2) % N2, 'PAILLIER_EQUATION')
    need(p['z1'] % Q == (p['gamma'] + e * x) % Q, 'MOD_Q_EQUATION')
    need(rp_eq(rp, p['z1'], p['z2'], p['T'], p['S'], e), 'RP_EQUATION')


def v_mul(st, p, t, pr):
    N, X, Y, C = st['N'], st['X'], st['Y'], st['C']
    for v in (X, Y, C, p['A'], p['B']):
        need(unit_n2(v, N), 'CIPHERTEXT_NOT_UNIT')
    need(unit(p['u'], N), 'NONCE_NOT_UNIT')
    need(unit(p['v'], N), 'NONCE_NOT_UNIT')
    t.domain('tkey-tss/zk/mul/v1').int_('N', N).int_('X', X).int_('Y', Y).int_('C', C)
    e = signed_e(t.int_('A', p['A']).int_('B', p['B']), pr)
    N2 = N * N
    need(pow(Y, p['z'], N2) * pow(p['u'], N, N2) % N2 == p['A'] * pow(C, e, N2) % N2, 'PAILLIER_EQUATION')
    need(enc(N, p['z'], p['v']) == p['B'] * pow(X, e, N2) % N2, 'PAILLIER_EQUATION')


def v_mulstar(st, p, t, pr):
    N0, C, D, X, rp = st['N0'], st['C'], st['D'], st['X'], st['rp']
    for v in (C, D, p['A']):
        need(unit_n2(v, N0), 'CIPHERTEXT_NOT_UNIT')
    need(X is not None and p['Bx'] is not None, 'POINT_IDENTITY')
    need(rp_elem(p['E'], rp[0]), 'RP_NOT_UNIT')
    need(rp_elem(p['S'], rp[0]), 'RP_NOT_UNIT')
    need(unit(p['w'], N0), 'NONCE_NOT_UNIT')
    need(within(p['z1'], 1 << (pr['ell'] + pr['eps'])), 'Z1_RANGE')
    t.domain('tkey-tss/zk/mulstar/v1').int_('N0', N0).ring_pedersen(rp).int_('C', C).int_('D', D).point('X', X)
    e = signed_e(t.int_('A', p['A']).point('Bx', p['Bx']).int_('E', p['E']).int_('S', p['S']), pr)
    N2 = N0 * N0
    need(pow(C, p['z1'], N2) * pow(p['w'], N0, N2) % N2 == p['A'] * pow(D, e, N2) % N2, 'PAILLIER_EQUATION')
    need(pmul(p['z1'], G) == padd(p['Bx'], pmul(e, X)), 'POINT_EQUATION')
    need(rp_eq(rp, p['z1'], p['z2'], p['E'], p['S'], e), 'RP_EQUATION')


VERIFIERS = {'sch': v_sch, 'mod': v_mod, 'prm': v_prm, 'fac': v_fac, 'enc': v_enc, 'logstar': v_logstar,
             'affg': v_affg, 'dec': v_dec, 'mul': v_mul, 'mulstar': v_mulstar}


def verify(kind, statement, proof, transcript, profile):
    try:
        VERIFIERS[kind](statement, proof, transcript, PROFILES[profile])
    except Reject as r:
        return r.reason
    return 'ok'
