"""The ten provers of test-vectors/SPEC.md §6 (draws in the spec's order), so a vector's `seed` and
`witness` re-prove its exact proof. Written from SPEC.md alone."""
from proofs import LAMBDA, PROFILES, enc
from tkeyspec import G, Q, Drbg, jacobi, pmul


def rp_commit(rp, x, y):
    Nh, s, t = rp
    return pow(s, x, Nh) * pow(t, y, Nh) % Nh


def signed_e(t, pr):
    return t.ch_signed('e', 1 << pr['c'])


def alpha_nonzero_mod_q(rng, B):
    while True:
        a = rng.signed(B)
        if a % Q != 0:
            return a


def crt(ap, p, aq, q):
    return (ap + p * ((aq - ap) * pow(p, -1, q) % q)) % (p * q)


def p_sch(st, w, t, rng, pr):
    alpha = rng.scalar()
    A = pmul(alpha, G)
    e = t.domain('tkey-tss/zk/sch/v1').point('X', st['X']).point('A', A).ch_below('e', Q)[0]
    return {'A': A, 'z': (alpha + e * w['x']) % Q}


def p_mod(st, wit, t, rng, pr):
    N, p, q = st['N'], wit['p'], wit['q']
    phi = (p - 1) * (q - 1)
    while True:
        w = rng.range(2, N - 1)
        if jacobi(w, N) == -1:
            break
    ys = t.domain('tkey-tss/zk/mod/v1').int_('N', N).int_('w', w).ch_below('y', N, pr['m'])
    e4p = pow((p + 1) // 4, 2, p - 1)
    e4q = pow((q + 1) // 4, 2, q - 1)
    n_inv = pow(N, -1, phi)
    out = {'w': w, 'x': [], 'a': [], 'b': [], 'z': []}
    for y in ys:
        for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
            v = (-1) ** a * pow(w, b, N) * y % N
            if jacobi(v, p) == 1 and jacobi(v, q) == 1:
                out['x'].append(crt(pow(v % p, e4p, p), p, pow(v % q, e4q, q), q))
                out['a'].append(a)
                out['b'].append(b)
                break
        out['z'].append(pow(y, n_inv, N))
    return out


def p_prm(st, wit, t, rng, pr):
    N, s, tt = st['N'], st['s'], st['t']
    phi = (wit['p'] - 1) * (wit['q'] - 1)
    a = [rng.below(phi) for _ in range(pr['m'])]
    A = [pow(tt, ai, N) for ai in a]
    e = t.domain('tkey-tss/zk/prm/v1').int_('N', N).int_('s', s).int_('t', tt).ints('A', A).ch_bits('e', pr['m'])
    return {'A': A, 'z': [(ai + ei * wit['lambda']) % phi for ai, ei in zip(a, e)]}


def p_fac(st, wit, t, rng, pr):
    N0, rp = st['N0'], st['rp']
    Nh, tt = rp[0], rp[2]
    p, q = wit['p'], wit['q']
    ell, eps = pr['ell'], pr['eps']
    Z = 1 << (-(-N0.bit_length() // 2) + ell + eps)
    alpha, beta = rng.signed(Z), rng.signed(Z)
    mu, nu = rng.signed((1 << ell) * Nh), rng.signed((1 << ell) * Nh)
    sigma = rng.signed((1 << ell) * N0 * Nh)
    r = rng.signed((1 << (ell + eps)) * N0 * Nh)
    x, y = rng.signed((1 << (ell + eps)) * Nh), rng.signed((1 << (ell + eps)) * Nh)
    c = {'P': rp_commit(rp, p, mu), 'Q': rp_commit(rp, q, nu), 'A': rp_commit(rp, alpha, x), 'B': rp_commit(rp, beta, y)}
    c['T'] = pow(c['Q'], alpha, Nh) * pow(tt, r, Nh) % Nh
    c['sigma'] = sigma
    t.domain('tkey-tss/zk/fac/v1').int_('N0', N0).ring_pedersen(rp)
    for k in ('P', 'Q', 'A', 'B', 'T', 'sigma'):
        t.int_(k, c[k])
    e = signed_e(t, pr)
    c.update(z1=alpha + e * p, z2=beta + e * q, w1=x + e * mu, w2=y + e * nu, v=r + e * (sigma - nu * p))
    return c


def p_enc(st, wit, t, rng, pr):
    N0, rp = st['N0'], st['rp']
    Nh = rp[0]
    ell, eps = pr['ell'], pr['eps']
    alpha = rng.signed(1 << (ell + eps))
    mu = rng.signed((1 << ell) * Nh)
    r = rng.unit(N0)
    gamma = rng.signed((1 << (ell + eps)) * Nh)
    S, A, C = rp_commit(rp, wit['k'], mu), enc(N0, alpha, r), rp_commit(rp, alpha, gamma)
    t.domain('tkey-tss/zk/enc/v1').int_('N0', N0).ring_pedersen(rp).int_('K', st['K'])
    e = signed_e(t.int_('S', S).int_('A', A).int_('C', C), pr)
    return {'S': S, 'A': A, 'C': C, 'z1': alpha + e * wit['k'], 'z2': r * pow(wit['rho'], e, N0) % N0, 'z3': gamma + e * mu}


def p_logstar(st, wit, t, rng, pr):
    N0, rp, g = st['N0'], st['rp'], st['g']
    Nh = rp[0]
    ell, eps = pr['ell'], pr['eps']
    alpha = alpha_nonzero_mod_q(rng, 1 << (ell + eps))
    mu = rng.signed((1 << ell) * Nh)
    r = rng.unit(N0)
    gamma = rng.signed((1 << (ell + eps)) * Nh)
    S, A, Y, D = rp_commit(rp, wit['x'], mu), enc(N0, alpha, r), pmul(alpha, g), rp_commit(rp, alpha, gamma)
    t.domain('tkey-tss/zk/logstar/v1').int_('N0', N0).ring_pedersen(rp).int_('C', st['C']).point('X', st['X']).point('g', g)
    e = signed_e(t.int_('S', S).int_('A', A).point('Y', Y).int_('D', D), pr)
    return {'S': S, 'A': A, 'Y': Y, 'D': D, 'z1': alpha + e * wit['x'], 'z2': r * pow(wit['rho'], e, N0) % N0, 'z3': gamma + e * mu}


def p_affg(st, wit, t, rng, pr):
    N0, N1, rp = st['N0'], st['N1'], st['rp']
    Nh = rp[0]
    ell, ellp, eps = pr['ell'], pr['ellp'], pr['eps']
    alpha = alpha_nonzero_mod_q(rng, 1 << (ell + eps))
    beta = rng.signed(1 << (ellp + eps))
    r, ry = rng.unit(N0), rng.unit(N1)
    gamma = rng.signed((1 << (ell + eps)) * Nh)
    m = rng.signed((1 << ell) * Nh)
    delta = rng.signed((1 << (ell + eps)) * Nh)
    mu = rng.signed((1 << ell) * Nh)
    N02 = N0 * N0
    c = {'A': pow(st['C'], alpha, N02) * enc(N0, beta, r) % N02, 'Bx': pmul(alpha, G), 'By': enc(N1, beta, ry),
         'E': rp_commit(rp, alpha, gamma), 'S': rp_commit(rp, wit['x'], m), 'F': rp_commit(rp, beta, delta), 'T': rp_commit(rp, wit['y'], mu)}
    t.domain('tkey-tss/zk/affg/v1').int_('N0', N0).int_('N1', N1).ring_pedersen(rp)
    t.int_('C', st['C']).int_('D', st['D']).int_('Y', st['Y']).point('X', st['X']).int_('A', c['A']).point('Bx', c['Bx']).int_('By', c['By'])
    e = signed_e(t.int_('E', c['E']).int_('S', c['S']).int_('F', c['F']).int_('T', c['T']), pr)
    c.update(z1=alpha + e * wit['x'], z2=beta + e * wit['y'], z3=gamma + e * m, z4=delta + e * mu,
             w=r * pow(wit['rho'], e, N0) % N0, wy=ry * pow(wit['rhoY'], e, N1) % N1)
    return c


def p_dec(st, wit, t, rng, pr):
    N0, rp, yb = st['N0'], st['rp'], st['yBits']
    Nh = rp[0]
    ell, eps = pr['ell'], pr['eps']
    alpha = rng.signed(1 << (yb + pr['c'] + LAMBDA))
    mu = rng.signed((1 << ell) * Nh)
    nu = rng.signed((1 << (ell + eps)) * Nh)
    r = rng.unit(N0)
    S, T, A, gamma = rp_commit(rp, wit['y'], mu), rp_commit(rp, alpha, nu), enc(N0, alpha, r), alpha % Q
    t.domain('tkey-tss/zk/dec/v2').int_('N0', N0).ring_pedersen(rp).int_('q', Q).uint('yBits', yb).int_('C', st['C']).int_('x', st['x'])
    e = signed_e(t.int_('S', S).int_('T', T).int_('A', A).int_('gamma', gamma), pr)
    return {'S': S, 'T': T, 'A': A, 'gamma': gamma, 'z1': alpha + e * wit['y'], 'z2': nu + e * mu, 'w': r * pow(wit['rho'], e, N0) % N0}


def p_mul(st, wit, t, rng, pr):
    N = st['N']
    N2 = N * N
    alpha, r, s = rng.below(N), rng.unit(N), rng.unit(N)
    A = pow(st['Y'], alpha, N2) * pow(r, N, N2) % N2
    B = enc(N, alpha, s)
    t.domain('tkey-tss/zk/mul/v1').int_('N', N).int_('X', st['X']).int_('Y', st['Y']).int_('C', st['C'])
    e = signed_e(t.int_('A', A).int_('B', B), pr)
    return {'A': A, 'B': B, 'z': alpha + e * wit['x'], 'u': r * pow(wit['rho'], e, N) % N, 'v': s * pow(wit['rhoX'], e, N) % N}


def p_mulstar(st, wit, t, rng, pr):
    N0, rp = st['N0'], st['rp']
    Nh = rp[0]
    ell, eps = pr['ell'], pr['eps']
    alpha = alpha_nonzero_mod_q(rng, 1 << (ell + eps))
    m = rng.signed((1 << ell) * Nh)
    gamma = rng.signed((1 << (ell + eps)) * Nh)
    r = rng.unit(N0)
    N2 = N0 * N0
    c = {'A': pow(st['C'], alpha, N2) * pow(r, N0, N2) % N2, 'Bx': pmul(alpha, G), 'E': rp_commit(rp, alpha, gamma), 'S': rp_commit(rp, wit['x'], m)}
    t.domain('tkey-tss/zk/mulstar/v1').int_('N0', N0).ring_pedersen(rp).int_('C', st['C']).int_('D', st['D']).point('X', st['X'])
    e = signed_e(t.int_('A', c['A']).point('Bx', c['Bx']).int_('E', c['E']).int_('S', c['S']), pr)
    c.update(z1=alpha + e * wit['x'], z2=gamma + e * m, w=r * pow(wit['rho'], e, N0) % N0)
    return c


PROVERS = {'sch': p_sch, 'mod': p_mod, 'prm': p_prm, 'fac': p_fac, 'enc': p_enc, 'logstar': p_logstar,
           'affg': p_affg, 'dec': p_dec, 'mul': p_mul, 'mulstar': p_mulstar}


def prove(kind, statement, witness, transcript, seed, profile):
    return PROVERS[kind](statement, witness, transcript, Drbg(seed), PROFILES[profile])
