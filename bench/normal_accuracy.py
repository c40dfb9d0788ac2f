"""Accuracy of the normal stream's transform (SPEC.md 11.5) against 34-digit mpmath.

Run from the repository root: ``PYTHONPATH=. python bench/normal_accuracy.py``
(needs mpmath; about a minute). Prints, per AS 241 region, the largest
relative error of a(q) against Phi^-1(1 - q), the same in units of the last
place, and the number of words; then the logarithm's largest relative error.
"""
import numpy as np, mpmath
from fastdrop import _reference_gaussian as R
mpmath.mp.dps = 34
rng = np.random.default_rng(7)
# m spread over all magnitudes: uniform, log-uniform, and the smallest
m = np.concatenate([rng.integers(0, 2**52, 20000, dtype=np.uint64),
                    (2.0 ** rng.uniform(0, 52, 20000)).astype(np.uint64),
                    np.arange(0, 2000, dtype=np.uint64)])
q = R.tail_probability(m)
a = R.magnitude(q)
ulp = np.spacing(a)
worst = {}
for qi, ai, ui in zip(q, a, ulp):
    ex = -mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(float(qi)) - 1)
    err = float(abs(mpmath.mpf(float(ai)) - ex) / ex)
    e_ulp = float(abs(mpmath.mpf(float(ai)) - ex) / mpmath.mpf(float(ui)))
    reg = "central" if qi >= 0.075 else ("middle" if np.sqrt(-R.log_q(np.array([qi])))[0] <= 5 else "tail")
    w = worst.get(reg, (0, 0, 0))
    worst[reg] = (max(w[0], err), max(w[1], e_ulp), w[2] + 1)
print(worst)
lq = R.log_q(q[::5])
print("log max rel", max(float(abs((mpmath.mpf(float(l)) - mpmath.log(float(x))) / mpmath.log(float(x)))) for l, x in zip(lq, q[::5])))
