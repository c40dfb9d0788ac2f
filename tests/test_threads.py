"""Python threads calling fastdrop at once get exactly the serial results."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastdrop

N_THREADS = 8


def test_threads_with_different_seeds_match_serial():
    x = np.linspace(-1, 1, 300_000, dtype=np.float32)
    serial = [fastdrop.dropout_forward(x, 0.5, seed=s) for s in range(N_THREADS)]
    barrier = threading.Barrier(N_THREADS)

    def work(s):
        barrier.wait()
        results = [fastdrop.dropout_forward(x, 0.5, seed=s) for _ in range(5)]
        return results, fastdrop.dropout_backward(x, results[0][1])

    with ThreadPoolExecutor(N_THREADS) as pool:
        outcomes = list(pool.map(work, range(N_THREADS)))
    for s, (results, grad) in enumerate(outcomes):
        for y, mask in results:
            np.testing.assert_array_equal(y, serial[s][0])
            np.testing.assert_array_equal(mask.bits, serial[s][1].bits)
        np.testing.assert_array_equal(grad, serial[s][0])  # backward(x, mask) == forward(x)


def test_shared_generator_hands_out_each_offset_once():
    gen = fastdrop.Generator(seed=123)
    sizes = [1 + (i * 37) % 500 for i in range(400)]
    barrier = threading.Barrier(N_THREADS)

    def work(chunk):
        barrier.wait()
        return [gen.dropout_forward(np.ones(n, np.float32), 0.5) for n in chunk]

    chunks = [sizes[i::N_THREADS] for i in range(N_THREADS)]
    with ThreadPoolExecutor(N_THREADS) as pool:
        results = [r for rs in pool.map(work, chunks) for r in rs]
    spans = sorted((m.offset, m.offset + m.size) for _, m in results)
    assert spans[0][0] == 0 and spans[-1][1] == sum(sizes) == gen.offset
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # no gap, no overlap
    for y, m in results:  # each result is the serial result of its range
        np.testing.assert_array_equal(y, fastdrop.dropout(np.ones(m.size, np.float32), 0.5,
                                                          seed=123, offset=m.offset))


def _mixed_calls(seed):
    """Every kind of call, for one seed: fast path, float16 strided, seed masks, in place."""
    x32 = np.linspace(-1, 1, 300_000, dtype=np.float32)
    x16 = np.linspace(-4, 4, 2 * 200_001, dtype=np.float16)[::2]
    y, mask = fastdrop.dropout_forward(x16, 0.3, seed=seed, offset=seed * 7, store="seed")
    inplace = x32.copy()
    fastdrop.dropout(inplace, 0.7, seed=seed, out=inplace, scaling="classic")
    return [fastdrop.dropout(x32, 0.5, seed=seed), y, fastdrop.dropout_backward(x16, mask),
            inplace]


def test_mixed_calls_from_many_threads_match_serial():
    """16 threads, each repeating a mix of calls large enough to use OpenMP threads too."""
    seeds = list(range(100, 116))
    serial = {s: _mixed_calls(s) for s in seeds}
    barrier = threading.Barrier(len(seeds))

    def work(s):
        barrier.wait()
        return [_mixed_calls(s) for _ in range(4)]

    with ThreadPoolExecutor(len(seeds)) as pool:
        for s, repeats in zip(seeds, pool.map(work, seeds)):
            for results in repeats:
                for got, want in zip(results, serial[s]):
                    assert got.tobytes() == want.tobytes(), s


def test_kernel_and_thread_settings_changed_while_threads_run():
    """Changing the ISA and the thread count mid-flight never changes a result.

    Each call uses the kernels and thread count it found when it started
    (every combination gives the same bits); under ThreadSanitizer this is
    also the test that those settings are read and written without a data
    race (docs/thread-sanitizer.md).
    """
    from fastdrop import _core

    isas = [i for i in range(len(_core.isa_names())) if _core.isa_supported(i)]
    x = np.linspace(-1, 1, 3 * (1 << 16) + 5, dtype=np.float32)  # splits over 2 threads
    want = {s: fastdrop.dropout(x, 0.5, seed=s).tobytes() for s in range(4)}
    stop = threading.Event()
    before = _core.active_isa()

    def toggle():
        k = 0
        while not stop.is_set():
            _core.set_isa(isas[k % len(isas)])
            fastdrop.set_num_threads((None, 1, 2)[k % 3])
            k += 1
        return k

    def work(s):
        return [fastdrop.dropout(x, 0.5, seed=s).tobytes() == want[s] for _ in range(20)]

    try:
        with ThreadPoolExecutor(5) as pool:
            toggler = pool.submit(toggle)
            try:
                outcomes = list(pool.map(work, range(4)))
            finally:
                stop.set()
            switches = toggler.result()
    finally:
        _core.set_isa(before)
        fastdrop.set_num_threads(None)
    assert switches > 0
    assert all(all(o) for o in outcomes)
