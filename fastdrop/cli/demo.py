"""``fastdrop demo``: a NumPy MLP on scikit-learn's digits, with and without dropout.

Two copies of one multilayer perceptron (64-256-256-10, ReLU, softmax
cross-entropy, Adam) are trained from the same initial weights and the same
minibatch order: one plain, one with `fastdrop.Dropout` layers on its input
and hidden activations. Both report train and test accuracy and loss, and the
gap between them. The dropout model is then used for Monte Carlo dropout
(Gal and Ghahramani, 2016): the test images pass through it ``--mc-samples``
times with dropout on, the softmax outputs are averaged, and the predictive
entropy of that average is compared between the images it gets right and
those it gets wrong. The data set ships with scikit-learn (no download):
1797 grey 8x8 digits, split in half, stratified, with a fixed seed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json

import numpy as np

import fastdrop
from fastdrop.cli._extras import require
from fastdrop.cli._progress import Progress

HIDDEN = 256
P_INPUT, P_HIDDEN = 0.2, 0.5
BATCH = 32
LEARNING_RATE = 1e-3


def load_digits(seed: int):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], float32; half for testing."""
    require("sklearn", "fastdrop demo", "demo")
    from sklearn.datasets import load_digits as sk_load  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    data = sk_load()
    x = (data.data / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, data.target, test_size=0.5, random_state=seed,
                                              stratify=data.target)
    return x_tr, y_tr, x_te, y_te


class MLP:
    """Linear-ReLU-Linear-ReLU-Linear with optional dropout before each Linear.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths, input first.
    p : tuple of float
        Dropout probability before each Linear layer (0 for none).
    init_seed : int
        Seed of the initial weights (He normal), so two models can start equal.
    drop_seed : int
        Seed of the dropout layers' streams (each layer a child of it).
    """

    def __init__(self, sizes, p, init_seed, drop_seed):
        rng = np.random.default_rng(init_seed)
        self.weights = [(rng.standard_normal((m, n)) * np.sqrt(2.0 / m)).astype(np.float32)
                        for m, n in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(n, np.float32) for n in sizes[1:]]
        streams = fastdrop.Generator(drop_seed).spawn(len(p))
        self.drops = [fastdrop.Dropout(q, seed=s.seed, name=f"drop{i}") if q > 0 else None
                      for i, (q, s) in enumerate(zip(p, streams))]
        self.params = self.weights + self.biases
        self._m = [np.zeros_like(w) for w in self.params]
        self._v = [np.zeros_like(w) for w in self.params]
        self._t = 0

    def forward(self, x, training):
        """Logits, and what backward needs: each layer's activation, mask and Linear input."""
        cache, a = [], x
        for i, (w, b, drop) in enumerate(zip(self.weights, self.biases, self.drops)):
            h, mask = (a, None) if drop is None else drop(a, training=training, return_mask=True)
            cache.append((a, mask, h))
            a = h @ w + b
            if i < len(self.weights) - 1:
                a = np.maximum(a, 0)
        return a, cache

    def backward(self, dlogits, cache):
        """Gradients of every parameter, in ``params`` order."""
        n = len(self.weights)
        dw, db, g = [None] * n, [None] * n, dlogits
        for i in reversed(range(n)):
            a, mask, h = cache[i]
            dw[i] = h.T @ g
            db[i] = g.sum(axis=0)
            if i == 0:
                break
            g = g @ self.weights[i].T
            if self.drops[i] is not None:
                g = self.drops[i].backward(g, mask)
            g = g * (a > 0)  # a = relu(previous Linear's output)
        return dw + db

    def step(self, grads, lr=LEARNING_RATE, beta1=0.9, beta2=0.999, eps=1e-8):
        """One Adam update of every parameter, in place."""
        self._t += 1
        c1, c2 = 1 - beta1**self._t, 1 - beta2**self._t
        for w, g, m, v in zip(self.params, grads, self._m, self._v):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            w -= (lr * (m / c1) / (np.sqrt(v / c2) + eps)).astype(np.float32)


def softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def loss_and_grad(logits, y):
    """Mean cross-entropy and its gradient with respect to the logits."""
    probs = softmax(logits)
    n = len(y)
    loss = -np.log(probs[np.arange(n), y] + 1e-12).mean()
    grad = probs.copy()
    grad[np.arange(n), y] -= 1
    return float(loss), (grad / n).astype(np.float32)


def evaluate(model, x, y):
    """(accuracy, mean cross-entropy) in inference mode."""
    logits, _ = model.forward(x, training=False)
    loss, _ = loss_and_grad(logits, y)
    return float((logits.argmax(axis=1) == y).mean()), loss


def train(model, data, epochs, seed, bar, label):
    """Adam on shuffled minibatches; per-epoch curves of accuracy and loss."""
    x_tr, y_tr, x_te, y_te = data
    order = np.random.default_rng(seed)
    curves = {k: [] for k in ("train_acc", "train_loss", "test_acc", "test_loss")}
    for _ in range(epochs):
        idx = order.permutation(len(x_tr))
        for start in range(0, len(idx), BATCH):
            batch = idx[start:start + BATCH]
            logits, cache = model.forward(x_tr[batch], training=True)
            _, grad = loss_and_grad(logits, y_tr[batch])
            model.step(model.backward(grad, cache))
        for split, (x, y) in (("train", (x_tr, y_tr)), ("test", (x_te, y_te))):
            acc, loss = evaluate(model, x, y)
            curves[f"{split}_acc"].append(acc)
            curves[f"{split}_loss"].append(loss)
        bar.advance(1, label)
    return curves


def entropy(probs):
    return -(probs * np.log(np.clip(probs, 1e-12, None))).sum(axis=1)


def mc_dropout(model, x, y, samples):
    """Monte Carlo dropout: mean softmax over samples passes with dropout on.

    Returns the accuracy of the mean prediction, the predictive entropy per
    image, and which images it classifies correctly.
    """
    probs = np.zeros((len(x), 10))
    for _ in range(samples):
        logits, _ = model.forward(x, training=True)
        probs += softmax(logits)
    probs /= samples
    correct = probs.argmax(axis=1) == y
    return float(correct.mean()), entropy(probs), correct


def auroc(score_pos, score_neg):
    """Probability that a random positive scores above a random negative (ties count half)."""
    if len(score_pos) == 0 or len(score_neg) == 0:
        return float("nan")
    diff = score_pos[:, None] - score_neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def run_demo(epochs=60, seed=0, mc_samples=50, progress=True) -> dict:
    """Train both models and run Monte Carlo dropout; every number the demo reports.

    Parameters
    ----------
    epochs : int
        Passes over the training half.
    seed : int
        Seeds the split, the initial weights, the minibatch order and
        the dropout streams, so a run repeats exactly.
    mc_samples : int
        Stochastic passes per test image for Monte Carlo dropout.
    progress : bool
        Show a progress bar on stderr (rich or tqdm, when installed).
    """
    data = load_digits(seed)
    sizes = (data[0].shape[1], HIDDEN, HIDDEN, 10)
    result = {"epochs": epochs, "seed": seed, "sizes": sizes, "n_train": len(data[0]),
              "n_test": len(data[2]), "blas": blas_name(), "p": [P_INPUT, P_HIDDEN, P_HIDDEN],
              "models": {}}
    with Progress(2 * epochs, "demo", enabled=progress) as bar:
        for name, p in (("no dropout", (0.0, 0.0, 0.0)), ("dropout", (P_INPUT, P_HIDDEN, P_HIDDEN))):
            model = MLP(sizes, p, init_seed=seed, drop_seed=seed + 1)
            curves = train(model, data, epochs, seed + 2, bar, f"demo: {name}")
            result["models"][name] = {"curves": curves, **{k: v[-1] for k, v in curves.items()}}
    acc, ent, correct = mc_dropout(model, data[2], data[3], mc_samples)
    result["mc"] = {"samples": mc_samples, "accuracy": acc,
                    "entropy_correct": ent[correct].tolist(), "entropy_wrong": ent[~correct].tolist(),
                    "auroc": auroc(ent[~correct], ent[correct])}
    return result


def report(r: dict) -> list[str]:
    """The demo's printed lines."""
    lines = [f"digits: {r['n_train']} training and {r['n_test']} test images (8x8, 10 classes), "
             f"seed {r['seed']}",
             f"MLP {'-'.join(map(str, r['sizes']))}, ReLU, Adam (lr {LEARNING_RATE}), batch {BATCH}, "
             f"{r['epochs']} epochs; dropout model: p = {r['p'][0]} on the input, "
             f"{r['p'][1]} on each hidden layer",
             f"BLAS: {r['blas']}",
             "",
             f"{'':<12} {'train acc':>9} {'test acc':>9} {'train loss':>10} {'test loss':>9} "
             f"{'gap (acc)':>9} {'gap (loss)':>10}"]
    for name, m in r["models"].items():
        lines.append(f"{name:<12} {100 * m['train_acc']:>8.2f}% {100 * m['test_acc']:>8.2f}% "
                     f"{m['train_loss']:>10.4f} {m['test_loss']:>9.4f} "
                     f"{100 * (m['train_acc'] - m['test_acc']):>6.2f} pt "
                     f"{m['test_loss'] - m['train_loss']:>10.4f}")
    mc = r["mc"]
    ok, bad = np.array(mc["entropy_correct"]), np.array(mc["entropy_wrong"])
    lines += ["",
              f"Monte Carlo dropout, {mc['samples']} passes per test image: accuracy "
              f"{100 * mc['accuracy']:.2f}%",
              f"  predictive entropy (nats), correctly classified: mean {ok.mean():.3f}, "
              f"median {np.median(ok):.3f} ({len(ok)} images)"]
    if len(bad):
        lines += [f"  predictive entropy (nats), misclassified:        mean {bad.mean():.3f}, "
                  f"median {np.median(bad):.3f} ({len(bad)} images)",
                  f"  P(entropy of a misclassified image > that of a correct one) = {mc['auroc']:.3f}"]
    else:
        lines.append("  no misclassified test images")
    return lines


def plot(r: dict, path: str) -> None:
    """Learning curves (loss and accuracy) of both models and the entropy histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    epochs = np.arange(1, r["epochs"] + 1)
    for name, style in (("no dropout", "tab:red"), ("dropout", "tab:blue")):
        c = r["models"][name]["curves"]
        for split, dash in (("train", ":"), ("test", "-")):
            axes[0].plot(epochs, c[f"{split}_loss"], dash, color=style, label=f"{name}, {split}")
            axes[1].plot(epochs, 100 * np.array(c[f"{split}_acc"]), dash, color=style,
                         label=f"{name}, {split}")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy", ylim=(85, 100.5))
    mc = r["mc"]
    bins = np.linspace(0, max([*mc["entropy_correct"], *mc["entropy_wrong"], 1e-3]), 30)
    axes[2].hist(mc["entropy_correct"], bins=bins, alpha=0.6, density=True,
                 label=f"correct ({len(mc['entropy_correct'])})")
    axes[2].hist(mc["entropy_wrong"], bins=bins, alpha=0.6, density=True,
                 label=f"misclassified ({len(mc['entropy_wrong'])})")
    axes[2].set(xlabel="predictive entropy (nats)", ylabel="density",
                title=f"MC dropout, {mc['samples']} passes, test set")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle("fastdrop demo: NumPy MLP on scikit-learn's digits")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def blas_name() -> str:
    """NumPy's BLAS library, version and kernels (threadpoolctl), or "unknown".

    The demo's numbers depend on them: training amplifies the last-bit
    differences between two BLAS kernels' matrix products (OpenBLAS picks
    its kernels for the CPU, or as OPENBLAS_CORETYPE says), so two machines
    with the same fastdrop and seed can end a few test images apart.
    """
    if importlib.util.find_spec("threadpoolctl") is None:
        return "unknown (threadpoolctl is not installed)"
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libs:
        return "unknown"
    lib = libs[0]
    return f"{lib.get('internal_api')} {lib.get('version')}, {lib.get('architecture')} kernels"


def one_blas_thread():
    """A context in which NumPy's BLAS uses one thread (threadpoolctl), or a no-op without it.

    The demo's matrices are small (a batch of 32 by 256): threads cost more
    than they give there, and on a busy machine a threaded BLAS waiting for
    its other threads is many times slower.
    """
    if importlib.util.find_spec("threadpoolctl") is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(1, user_api="blas")


def run(args) -> int:
    """``fastdrop demo`` with parsed arguments (see `fastdrop.cli.main`)."""
    if args.plot:
        require("matplotlib", "fastdrop demo --plot", "demo")
    with one_blas_thread():
        r = run_demo(args.epochs, args.seed, args.mc_samples, progress=not args.no_progress)
    for line in report(r):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
        print(f"wrote {args.json}")
    if args.plot:
        plot(r, args.plot)
        print(f"wrote {args.plot}")
    return 0
