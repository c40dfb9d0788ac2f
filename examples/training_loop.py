"""A training loop with fastdrop.Dropout: softmax regression on a hidden layer, in NumPy.

A two-layer network learns a synthetic three-class problem (points on
three noisy spirals), with dropout on its hidden layer. The layer's forward
returns its Mask with ``return_mask=True`` and backward takes it back, so a
layer is never paired with the wrong mask; ``eval()`` switches dropout off
for evaluation. ``fastdrop demo`` is a larger version on real digits.

    python examples/training_loop.py
"""

import numpy as np

import fastdrop


def spirals(n_per_class, rng):
    t = rng.uniform(0.0, 1.0, (3, n_per_class))
    angle = 4.0 * t + np.arange(3)[:, None] * (2 * np.pi / 3)
    pts = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=-1).reshape(-1, 2)
    pts += rng.normal(0, 0.02, pts.shape)
    return pts.astype(np.float32), np.repeat(np.arange(3), n_per_class)


def main():
    fastdrop.manual_seed(0)  # makes every seed=None below reproducible
    rng = np.random.default_rng(0)
    x, y = spirals(300, rng)
    w1 = rng.standard_normal((2, 128)).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    w2 = (rng.standard_normal((128, 3)) * 0.1).astype(np.float32)
    b2 = np.zeros(3, np.float32)
    drop = fastdrop.Dropout(0.3, name="hidden")
    lr, losses = 0.5, []
    for step in range(400):
        h = np.maximum(x @ w1 + b1, 0)
        hd, mask = drop(h, return_mask=True)
        logits = hd @ w2 + b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        losses.append(-np.log(p[np.arange(len(y)), y]).mean())
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gw2, gb2 = hd.T @ g, g.sum(axis=0)
        gh = drop.backward(g @ w2.T, mask) * (h > 0)
        gw1, gb1 = x.T @ gh, gh.sum(axis=0)
        for param, grad in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            param -= lr * grad
    drop.eval()
    logits = drop(np.maximum(x @ w1 + b1, 0)) @ w2 + b2
    accuracy = (logits.argmax(axis=1) == y).mean()
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} over 400 steps; training accuracy "
          f"(dropout off) {accuracy:.3f}")
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.8
    print("ok")


if __name__ == "__main__":
    main()
