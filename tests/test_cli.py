"""The fastdrop command: info, check, bench, demo, and the run without a subcommand."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

import fastdrop
from fastdrop import _reference, _reference_gaussian
from fastdrop.cli import bench, cases, check, demo, info, main

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "fastdrop", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_import_fastdrop_imports_no_cli_and_no_optional_library():
    code = ("import sys, fastdrop; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'rich', 'tqdm', 'matplotlib', 'sklearn', 'scipy', 'torch', 'cupy', 'threadpoolctl'} "
            "or m.startswith('fastdrop.cli')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_info_names_version_stream_kernels_and_threads(tmp_path):
    path = tmp_path / "info.json"
    proc = run_cli("info", "--json", str(path))
    assert proc.returncode == 0, proc.stderr
    d = json.loads(path.read_text())
    assert d["fastdrop"] == fastdrop.__version__ and d["rng_spec"] == fastdrop.RNG_SPEC
    assert d["kernel"] == fastdrop.simd_info()["active"]
    assert d["kernels_available"] == fastdrop.simd_info()["available"]
    assert d["threads"] == fastdrop.get_num_threads()
    assert set(d["gpu"]) >= {"cupy", "devices", "usable"}
    for line in info.lines(d):
        assert line in proc.stdout


def test_info_reads_the_cpu_flags_that_pick_kernels():
    flags = info.cpu()["flags"]
    if "avx2" in fastdrop.simd_info()["available"]:
        assert "avx2" in flags and "f16c" in flags
    assert set(flags) <= set(info.CPU_FLAGS)


def test_check_passes_and_counts_every_kernel():
    cases_run, failures = check.self_check()
    kernels = len(fastdrop.simd_info()["available"])
    assert failures == []
    assert cases_run == kernels * len(check.SHAPES) * (
        len(check.DTYPES) * len(check.PS) + len(check.NORMAL_DTYPES))


def test_check_reports_a_kernel_that_disagrees(monkeypatch, capsys):
    """A reference that differs in one element must make the check fail, naming the cases."""
    real = _reference.dropout

    def off_by_one(x, p, **kw):
        y = real(x, p, **kw)
        if y.size:
            y.reshape(-1)[0] = 123
        return y

    monkeypatch.setattr(_reference, "dropout", off_by_one)
    assert check.run() == 1
    out = capsys.readouterr().out
    assert "self-check: FAILED" in out and "n=17 offset=5" in out


def test_check_reports_normals_that_disagree(monkeypatch, capsys):
    """A normal-stream reference that differs in one variate must fail the check."""
    real = _reference_gaussian.normals

    def off(seed, offset, n, dtype=np.float64):
        z = real(seed, offset, n, dtype)
        if z.size:
            z[-1] = 7
        return z

    monkeypatch.setattr(_reference_gaussian, "normals", off)
    assert check.run() == 1
    out = capsys.readouterr().out
    assert "normals and gaussian_dropout n=17 offset=5" in out


def test_every_case_computes_what_its_name_says():
    x = np.random.default_rng(3).standard_normal(5000).astype(np.float32)
    expected = _reference.dropout(x, cases.P, seed=cases.SEED)
    for name in ("forward, mask bits", "dropout, no mask", "backward from bits", "backward from seed"):
        y = np.full_like(x, np.nan)
        cases.by_name(name).make(x, y)()
        assert y.tobytes() == expected.tobytes(), name
    y = np.empty_like(x)
    cases.by_name("np.copyto").make(x, y)()
    assert (y == x).all()
    y = np.empty_like(x)
    cases.by_name("numpy one-liner").make(x, y)()
    kept = y != 0
    assert 0.45 < kept.mean() < 0.55 and (y[kept] == 2 * x[kept]).all()


@pytest.mark.parametrize("text,sizes", [("1000", [1000]), ("64K,1m", [65536, 1 << 20]),
                                        (" 7 , 2G", [7, 2 << 30])])
def test_parse_sizes(text, sizes):
    assert bench.parse_sizes(text) == sizes


@pytest.mark.parametrize("args,flag", [(["bench", "--sizes", "0"], "--sizes"),
                                       (["bench", "--sizes", "1e3"], "--sizes"),
                                       (["bench", "--threads", "0"], "--threads"),
                                       (["bench", "--threads", "two"], "--threads"),
                                       (["demo", "--epochs", "-1"], "--epochs"),
                                       (["demo", "--seed", "x"], "--seed"),
                                       (["frobnicate"], "invalid choice")])
def test_bad_arguments_exit_2_naming_the_flag(args, flag, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert flag in capsys.readouterr().err


def test_bench_rows_json_and_plot(tmp_path, capsys):
    js, png = tmp_path / "b.json", tmp_path / "b.png"
    assert main(["bench", "--sizes", "1000,4K", "--threads", "1,2", "--quick", "--no-progress",
                 "--json", str(js), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    results = json.loads(js.read_text())["results"]
    available = [c for c in cases.CASES if c.available()]
    per_size = sum(2 if c.fastdrop else 1 for c in available)
    assert len(results) == 2 * per_size
    for r in results:
        case = cases.by_name(r["case"])
        assert r["gb_per_s"] == pytest.approx(r["elements"] * case.bytes_per_element / r["seconds"] / 1e9)
        assert r["threads"] in ((1, 2) if case.fastdrop else (None,))
        if r["case"] == cases.COPY:
            assert r["copy_pct"] == pytest.approx(100)
    assert {r["elements"] for r in results} == {1000, 4096}
    assert all(line in out for line in bench.table(results))
    assert png.read_bytes()[:8] == PNG


def test_demo_is_reproducible_and_learns(tmp_path):
    with demo.one_blas_thread():
        a = demo.run_demo(epochs=3, seed=5, mc_samples=4, progress=False)
        b = demo.run_demo(epochs=3, seed=5, mc_samples=4, progress=False)
    assert a == b
    for m in a["models"].values():
        assert m["test_acc"] > 0.5  # 10 classes: chance is 0.1
        assert len(m["curves"]["train_loss"]) == 3
    mc = a["mc"]
    assert len(mc["entropy_correct"]) + len(mc["entropy_wrong"]) == a["n_test"]
    assert 0 <= min(mc["entropy_correct"] + mc["entropy_wrong"]) <= np.log(10) + 1e-9
    png = tmp_path / "d.png"
    demo.plot(a, str(png))
    assert png.read_bytes()[:8] == PNG


def test_demo_mlp_gradients_match_finite_differences():
    """The hand-written backward (dropout included, its mask reused) against central differences."""
    rng = np.random.default_rng(0)
    model = demo.MLP((6, 5, 4, 3), (0.2, 0.5, 0.5), init_seed=1, drop_seed=2)
    model.weights = [w.astype(np.float64) for w in model.weights]
    # Nonzero biases: a row whose inputs are all dropped would sit on ReLU's kink at 0.
    model.biases = [rng.standard_normal(b.shape) for b in model.biases]
    model.params = model.weights + model.biases
    x, y = rng.standard_normal((7, 6)), rng.integers(0, 3, 7)
    logits, cache = model.forward(x, training=True)
    _, dlogits = demo.loss_and_grad(logits, y)
    grads = model.backward(dlogits.astype(np.float64), cache)
    masks = [m for _, m, _ in cache]

    def loss_with_masks():  # the same masks, applied by hand
        a = x
        for i, (w, b) in enumerate(zip(model.weights, model.biases)):
            a = fastdrop.dropout_backward(a, masks[i])
            a = a @ w + b
            if i < 2:
                a = np.maximum(a, 0)
        return demo.loss_and_grad(a, y)[0]

    for param, grad in zip(model.params, grads):
        flat, g = param.reshape(-1), grad.reshape(-1)
        for k in range(0, flat.size, max(1, flat.size // 5)):
            old = flat[k]
            flat[k] = old + 1e-6
            up = loss_with_masks()
            flat[k] = old - 1e-6
            down = loss_with_masks()
            flat[k] = old
            assert g[k] == pytest.approx((up - down) / 2e-6, abs=1e-5)


@pytest.mark.slow
def test_main_without_subcommand_runs_info_check_and_a_quick_bench():
    proc = run_cli("--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"fastdrop {fastdrop.__version__}" in proc.stdout and fastdrop.RNG_SPEC in proc.stdout
    assert "self-check: ok" in proc.stdout
    for n in cases.QUICK_SIZES:
        assert f"{n:>11,}  forward   {cases.COPY}" in proc.stdout


def test_a_missing_optional_library_is_named_before_any_work(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    for args in (["bench", "--plot", "b.png"], ["demo", "--plot", "d.png"]):
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert "needs matplotlib" in str(exc.value) and "fastdropout[" in str(exc.value)
