"""Sparse variational dropout sparsifies a network (Molchanov, Ashukha and
Vetrov 2017), shown on scikit-learn's digits with fastdrop's variational_dense
and kl_sparse_vd: a 64-100-10 ReLU network in NumPy, trained on the ELBO
(the KL weight warmed up from 0 to 1 over the first 30% of the epochs), ends
with most weights at log alpha > 3, and removing them leaves the test
accuracy within one point. README ("Sparse variational dropout") quotes a run.
"""

import numpy as np
import pytest

import fastdrop

sklearn = pytest.importorskip("sklearn")  # in the test extras; CI installs it


def _log_alpha(w, log_sigma2):
    """log alpha = log sigma^2 - log w^2, clipped to [-8, 8] as in the paper's code."""
    raw = log_sigma2 - np.log(w * w + 1e-16)
    return np.clip(raw, -8.0, 8.0), (raw > -8.0) & (raw < 8.0)


def train_sparse_vd(epochs=150, hidden=100, seed=0, lr=3e-3, batch=64):
    """Train with Adam; return (test accuracy, pruned test accuracy, fraction of
    weights with log alpha > 3)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x / 16.0, y, test_size=0.25, random_state=seed,
                                          stratify=y)
    rng = np.random.default_rng(seed)
    # per layer: weight means w, biases b, log sigma^2 (the additive parameterisation:
    # the data gradient of w then does not carry the noise variance)
    params = []
    for fan_in, fan_out in [(64, hidden), (hidden, 10)]:
        params += [rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), np.zeros(fan_out),
                   np.full((fan_in, fan_out), -10.0)]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    n, step, offset = len(xtr), 0, 0
    for epoch in range(epochs):
        kl_weight = min(1.0, epoch / (0.3 * epochs))
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            inputs, records, alphas = [xtr[idx]], [], []
            for layer in range(2):
                w, b, ls2 = params[3 * layer:3 * layer + 3]
                la, live = _log_alpha(w, ls2)
                out, noise = fastdrop.variational_dense(inputs[-1], w, la, seed=seed,
                                                        offset=offset)
                offset += out.size
                records.append(noise)
                alphas.append((la, live))
                inputs.append(np.maximum(out + b, 0.0) if layer == 0 else out + b)
            logits = inputs[-1] - inputs[-1].max(axis=1, keepdims=True)
            g = np.exp(logits)
            g /= g.sum(axis=1, keepdims=True)
            g[np.arange(len(idx)), ytr[idx]] -= 1.0
            g /= len(idx)  # gradient of the mean cross-entropy
            grads = [None] * 6
            for layer in (1, 0):
                w, b, ls2 = params[3 * layer:3 * layer + 3]
                la, live = alphas[layer]
                dx, dw, dla = fastdrop.variational_dense_backward(g, inputs[layer], w, la,
                                                                   records[layer])
                dla = np.where(live, dla + kl_weight * fastdrop.kl_sparse_vd(la)[1] / n, 0.0)
                # la = ls2 - log w^2: d/d ls2 = dla, d/dw adds -2 dla / w
                grads[3 * layer:3 * layer + 3] = [dw - 2.0 * dla / w, g.sum(axis=0), dla]
                if layer == 1:
                    g = dx * (inputs[1] > 0)
            step += 1
            for p, gr, (m, v) in zip(params, grads, moments):
                m *= 0.9
                m += 0.1 * gr
                v *= 0.999
                v += 0.001 * gr * gr
                p -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)

    def accuracy(prune):
        h = xte
        for layer in range(2):
            w, b, ls2 = params[3 * layer:3 * layer + 3]
            if prune:
                w = np.where(_log_alpha(w, ls2)[0] > 3.0, 0.0, w)
            h = h @ w + b
            h = np.maximum(h, 0.0) if layer == 0 else h
        return float((h.argmax(axis=1) == yte).mean())

    las = np.concatenate([_log_alpha(params[3 * k], params[3 * k + 2])[0].ravel()
                          for k in range(2)])
    return accuracy(False), accuracy(True), float((las > 3.0).mean())


@pytest.mark.slow
def test_most_weights_are_pruned_without_losing_accuracy():
    acc, pruned, sparsity = train_sparse_vd()
    print(f"test accuracy {acc:.4f}, pruned {pruned:.4f}, log alpha > 3: {sparsity:.4f}")
    assert acc >= 0.93
    assert sparsity > 0.5  # most weights
    assert abs(pruned - acc) <= 0.01  # within one point
