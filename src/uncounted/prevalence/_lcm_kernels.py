"""Numba kernels of the latent-class capture–recapture Gibbs sampler (LCMCR).

The sampler follows ``CNPLCM_CR_Basic_Freq`` of the R package LCMCR 0.4.14 (Manrique-Vallier,
GPL >= 2; file ``src/NPLCM_CR_Basic_Freq.cpp``) step for step, re-implemented here from the
model of Manrique-Vallier (2016, *Biometrics* 72:1246–1254):

* individual ``i`` belongs to latent class ``z_i`` with ``P(z_i = k) = nu_k`` (truncated
  stick-breaking prior with ``K`` sticks and concentration ``alpha``);
* given ``z_i = k``, list ``j`` records ``i`` with probability ``lambda_jk`` (independently
  over lists), ``lambda_jk ~ Beta(1, 1)``;
* ``alpha ~ Gamma(a_alpha, rate=b_alpha)``; ``N`` has the improper prior ``p(N) ∝ 1/N``, so
  that the number of unseen people ``n0`` given everything else is negative binomial.

One sweep, in LCMCR's order:

1. class counts of the observed people, one multinomial draw per capture pattern (everyone
   with the same pattern shares the same class probabilities ``nu_k prod_j lambda_jk^x_j
   (1-lambda_jk)^(1-x_j)``);
2. ``lambda_jk ~ Beta(1 + #{in class k, on list j}, 1 + #{in class k, not on list j})``,
   counting the ``n0`` augmented unseen people (all-zero pattern) of the previous sweep;
3. sticks ``V_k ~ Beta(1 + m_k, alpha + n + n0 - sum_{l<=k} m_l)``, ``nu_k = V_k prod_{l<k}
   (1 - V_l)``, drawn on the log scale from two gamma variates (LCMCR's ``dan_log_gamma_1``)
   or, for an empty class (``m_k = 0``, so ``V_k ~ Beta(1, b)``), exactly by inversion;
4. ``p0 = sum_k nu_k prod_j (1 - lambda_jk)``, ``n0 ~ NegBin(n, 1 - p0)`` (failures before
   ``n`` successes), redrawn while ``n0 > 20 n`` as LCMCR does: the prior on ``N`` is
   ``1/N`` truncated at ``N <= 21 n``;
5. class counts of the ``n0`` unseen people, one multinomial draw;
6. ``alpha ~ Gamma(a_alpha + K - 1, rate = b_alpha - log nu_K)``.

Initialisation as LCMCR: ``lambda_jk`` = list j's share of the observed, ``nu`` from one
stick-breaking draw with ``V_k ~ Beta(1, 1)``, ``alpha = 0.3/K``, 500 warm-up sweeps without
the ``alpha`` step, classes re-ordered by decreasing ``nu``; then burn-in and thinned sampling.
The posterior of ``N`` is multimodal on some tables (Ned_5, UKdat) and a chain of 110 000
sweeps rarely crosses between modes, so where chains *start* shapes the pooled answer: the
initial weights follow LCMCR's (an earlier version started at fixed weights, which sent more
chains into Ned_5's low mode than R does).

Per sweep the cost is O(patterns × K × J), independent of the number of people.

Random numbers come from a NumPy :class:`numpy.random.Generator` (PCG64) passed in and used
inside ``njit`` through numba's implementation of NumPy's own algorithms: ziggurat normals,
Marsaglia–Tsang gammas, Beta as a ratio of gammas. A seed gives the same chain; it cannot give
R's digits. The variate generators differ from GSL's where an exact shortcut is cheaper
(Beta(1, b) and Beta(a, 1) by inversion, binomials by inversion below n·p = 14 as GSL, BTPE
above): the chain has LCMCR's law, not its stream. (Until December 2026 the kernels used
NumPy's legacy ``RandomState`` algorithms, whose polar-method normals made each gamma variate
about 2.7 times and each Beta about 2.2 times as costly; the Beta draws of step 2 and the
gammas of step 3 are most of a sweep, so the sampler now takes about two thirds of the time.)
"""

from __future__ import annotations

import math

import numpy as np

# numba's BTPE (Kachitvichyanukul & Schmeiser 1988), drawing from the Generator's bits; the
# module comes with numba's support for NumPy Generators, which the kernels need anyway
from numba.np.random.distributions import random_binomial_btpe

from uncounted.prevalence._numba import njit

WARMUP_SWEEPS = 500
MAX_UNSEEN_FACTOR = 20  # LCMCR's sam_n0 rejects n0 > 20 n
BTPE_MIN_MEAN = 14.0
SMALL_MULTINOMIAL = 12  # below this, n categorical draws beat K-1 binomial draws


@njit(cache=True)
def _log_gamma_variate(rng: np.random.Generator, shape: float) -> float:
    """log(G), G ~ Gamma(shape, 1); for shape < 0.5 via G = G' U^(1/shape), G' ~ Gamma(1+shape).

    Robert & Casella (2004, p. 45), as LCMCR's ``dan_log_gamma_1``: avoids underflow of G.
    """
    if shape < 0.5:
        u = rng.random()
        while u <= 0.0:
            u = rng.random()
        return math.log(u) / shape + math.log(rng.standard_gamma(1.0 + shape))
    return math.log(rng.standard_gamma(shape))


@njit(cache=True)
def _uniform_pos(rng: np.random.Generator) -> float:
    u = rng.random()
    while u <= 0.0:
        u = rng.random()
    return u


@njit(cache=True)
def _beta_plus_one(rng: np.random.Generator, on: int, off: int) -> float:
    """Beta(1 + on, 1 + off); exact inverse-CDF shortcuts when either count is zero."""
    if on == 0:
        if off == 0:
            return float(rng.random())
        return 1.0 - math.pow(_uniform_pos(rng), 1.0 / (1.0 + off))
    if off == 0:
        return math.pow(_uniform_pos(rng), 1.0 / (1.0 + on))
    return float(rng.beta(1.0 + on, 1.0 + off))


@njit(cache=True)
def _binomial(rng: np.random.Generator, n: int, p: float) -> int:
    """Binomial(n, p), 0 < p < 1: inversion (BINV) when n·min(p, 1-p) < 14, else BTPE.

    The switch point 14 is GSL's (``gsl_ran_binomial``, which LCMCR calls); numba's own
    ``np.random.binomial`` inverts up to n·p = 30, about three times slower at n·p = 30.
    """
    flipped = p > 0.5
    if flipped:
        p = 1.0 - p
    q = 1.0 - p
    if n * p >= BTPE_MIN_MEAN:
        x = int(random_binomial_btpe(rng.bit_generator, n, p))  # type: ignore[no-untyped-call]
        return n - x if flipped else x
    qn = q**n
    bound = min(float(n), n * p + 10.0 * math.sqrt(n * p * q + 1.0))
    while True:
        x = 0
        px = qn
        u = rng.random()
        while x <= bound:
            if u <= px:
                return n - x if flipped else x
            u -= px
            x += 1
            px = ((n - x + 1) * p * px) / (x * q)


@njit(cache=True)
def _categorical(rng: np.random.Generator, probs: np.ndarray, total: float) -> int:
    u = rng.random() * total
    cum = 0.0
    last: int = probs.shape[0] - 1
    for k in range(last):
        cum += probs[k]
        if u < cum:
            return k
    return last


@njit(cache=True)
def _multinomial(rng: np.random.Generator, n: int, probs: np.ndarray, out: np.ndarray) -> None:
    """Multinomial(n, probs / sum(probs)) into ``out``, by conditional binomials."""
    K = probs.shape[0]
    total = 0.0
    for k in range(K):
        out[k] = 0
        total += probs[k]
    if n == 0:
        return
    if n <= SMALL_MULTINOMIAL:
        for _ in range(n):
            out[_categorical(rng, probs, total)] += 1
        return
    remaining = n
    mass = total
    for k in range(K - 1):
        if remaining == 0:
            return
        p = probs[k] / mass if mass > 0.0 else 1.0
        if p >= 1.0:
            out[k] = remaining
            return
        if p > 0.0:
            c = _binomial(rng, remaining, p)
            out[k] = c
            remaining -= c
        mass -= probs[k]
    out[K - 1] = remaining


@njit(cache=True)
def _sweep(
    rng: np.random.Generator,
    patterns: np.ndarray,
    counts: np.ndarray,
    n_obs: int,
    lam: np.ndarray,
    nu: np.ndarray,
    log_nu: np.ndarray,
    count_mk: np.ndarray,
    count0: np.ndarray,
    state: np.ndarray,
    work: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    update_alpha: bool,
    a_alpha: float,
    b_alpha: float,
) -> None:
    """One Gibbs sweep; ``state`` = [alpha, n0, k_star] (floats), updated in place."""
    M, J = patterns.shape
    K = nu.shape[0]
    alpha = state[0]
    n0 = int(state[1])
    # f[k, j, x] = P(x_j | class k): lambda_jk if on list j, 1 - lambda_jk if not
    probs, f, countK, on = work
    for k in range(K):
        for j in range(J):
            f[k, j, 1] = lam[j, k]
            f[k, j, 0] = 1.0 - lam[j, k]
    countK[:] = count0
    on[:] = 0
    # 1. class counts of the observed, one draw per pattern (LCMCR sam_countzIK)
    for m in range(M):
        cell = patterns[m]
        total = 0.0
        for k in range(K):
            prod = nu[k]
            for j in range(J):
                prod *= f[k, j, cell[j]]
            probs[k] = prod
            total += prod
        row = count_mk[m]
        if counts[m] > 1:
            _multinomial(rng, counts[m], probs, row)
        else:
            for k in range(K):
                row[k] = 0
            row[_categorical(rng, probs, total)] = 1
        for k in range(K):
            c = row[k]
            if c > 0:
                countK[k] += c
                for j in range(J):
                    on[j, k] += c * cell[j]
    # 2. lambda (sam_lambda): the unseen of the previous sweep count as "not on list"
    for j in range(J):
        for k in range(K):
            lam[j, k] = _beta_plus_one(rng, on[j, k], countK[k] - on[j, k])
    # 3. sticks (sam_nu)
    k_star = 0
    for k in range(K):
        if countK[k] > 0:
            k_star += 1
    n_acc = 0
    l_acc = 0.0
    for k in range(K - 1):
        n_acc += countK[k]
        b = alpha + (n0 + n_obs - n_acc)
        if countK[k] == 0:
            # V ~ Beta(1, b) exactly by inversion: log(1 - V) = log(U) / b
            log_1mv = math.log(_uniform_pos(rng)) / b
            log_v = math.log(-math.expm1(log_1mv))
        else:  # V = G1 / (G1 + G2), on the log scale (LCMCR's dan_log_gamma_1 / dan_log_sum)
            lg1 = _log_gamma_variate(rng, 1.0 + countK[k])
            lg2 = _log_gamma_variate(rng, b)
            hi = max(lg1, lg2)
            lsum = hi + math.log1p(math.exp(min(lg1, lg2) - hi))
            log_v = lg1 - lsum
            log_1mv = lg2 - lsum
        log_nu[k] = log_v + l_acc
        l_acc += log_1mv
        nu[k] = math.exp(log_nu[k])
    log_nu[K - 1] = l_acc
    nu[K - 1] = math.exp(l_acc)
    # 4. probability of the all-zero pattern and the number unseen (compute_probs_miss, sam_n0)
    p0 = 0.0
    for k in range(K):
        prod = nu[k]
        for j in range(J):
            prod *= 1.0 - lam[j, k]
        probs[k] = prod
        p0 += prod
    p_success = 1.0 - p0
    if p_success < 1e-12:
        p_success = 1e-12
    # LCMCR redraws until n0 <= 20 n (``sam_n0``): the prior on N is 1/N truncated at 21 n
    n0 = rng.negative_binomial(n_obs, p_success)
    while n0 > MAX_UNSEEN_FACTOR * n_obs:
        n0 = rng.negative_binomial(n_obs, p_success)
    # 5. class counts of the unseen (sam_z0x0)
    _multinomial(rng, n0, probs, count0)
    # 6. concentration (sam_alpha)
    if update_alpha:
        alpha = rng.gamma(a_alpha + K - 1.0, 1.0 / (b_alpha - log_nu[K - 1]))
    state[0] = alpha
    state[1] = n0
    state[2] = k_star


@njit(cache=True)
def run_sampler(
    patterns: np.ndarray,
    counts: np.ndarray,
    n_classes: int,
    a_alpha: float,
    b_alpha: float,
    burnin: int,
    samples: int,
    thinning: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run LCMCR's chain; return (N, alpha, k_star) at every ``thinning``-th sweep after burn-in.

    ``patterns`` is an (M, J) int64 0/1 array of the observed capture patterns (no all-zero
    row), ``counts`` the (M,) int64 number of people with each (all > 0). ``k_star`` is the
    number of latent classes holding at least one (observed or imputed) person.
    """
    M, J = patterns.shape
    K = n_classes
    n_obs = 0
    for m in range(M):
        n_obs += counts[m]
    lam = np.empty((J, K))
    for j in range(J):
        on = 0
        for m in range(M):
            if patterns[m, j] == 1:
                on += counts[m]
        for k in range(K):
            lam[j, k] = on / n_obs
    # weights of the first sweep: stick-breaking with V_k ~ Beta(1, 1), as LCMCR's
    # ``Initializes`` sets ``log_nuK`` (the 0.9/4, 0.1/(K-4) it then writes into ``nuK`` is
    # never read: the first class draw uses ``log_nuK`` and ``sam_nu`` overwrites ``nuK``)
    nu = np.empty(K)
    log_nu = np.empty(K)
    l_acc = 0.0
    for k in range(K - 1):
        v = _uniform_pos(rng)
        log_nu[k] = math.log(v) + l_acc
        l_acc += math.log1p(-v) if v < 1.0 else -745.0
    log_nu[K - 1] = l_acc
    for k in range(K):
        nu[k] = math.exp(log_nu[k])
    count_mk = np.zeros((M, K), dtype=np.int64)
    count0 = np.zeros(K, dtype=np.int64)
    work = (
        np.empty(K),
        np.empty((K, J, 2)),
        np.empty(K, dtype=np.int64),
        np.empty((J, K), dtype=np.int64),
    )
    state = np.array([0.3 / K, 0.0, 0.0])
    for _ in range(WARMUP_SWEEPS):
        _sweep(
            rng,
            patterns,
            counts,
            n_obs,
            lam,
            nu,
            log_nu,
            count_mk,
            count0,
            state,
            work,
            False,
            a_alpha,
            b_alpha,
        )
    # re-order the classes by decreasing weight (LCMCR permute_latent_classes_by_nu)
    order = np.argsort(-nu, kind="mergesort")
    lam = lam[:, order].copy()
    nu = nu[order].copy()
    log_nu = log_nu[order].copy()
    count0 = count0[order].copy()
    for _ in range(burnin):
        _sweep(
            rng,
            patterns,
            counts,
            n_obs,
            lam,
            nu,
            log_nu,
            count_mk,
            count0,
            state,
            work,
            True,
            a_alpha,
            b_alpha,
        )
    n_out = np.empty(samples, dtype=np.int64)
    alpha_out = np.empty(samples)
    kstar_out = np.empty(samples, dtype=np.int64)
    for s in range(samples):
        for _ in range(thinning):
            _sweep(
                rng,
                patterns,
                counts,
                n_obs,
                lam,
                nu,
                log_nu,
                count_mk,
                count0,
                state,
                work,
                True,
                a_alpha,
                b_alpha,
            )
        n_out[s] = n_obs + int(state[1])
        alpha_out[s] = state[0]
        kstar_out[s] = int(state[2])
    return n_out, alpha_out, kstar_out
