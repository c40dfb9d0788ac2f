"""Child streams (Generator.spawn), seed sources and the default stream behind seed=None."""

import pickle
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from entry_points import spec_child_seed
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference

X = np.linspace(-1, 1, 3000, dtype=np.float32)


@pytest.fixture(autouse=True)
def _restore_default_stream():
    """Each test leaves the default Generator reseeded, not in a state another test made."""
    yield
    fastdrop.manual_seed(2026)


# ---- spawn --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2**63, 2**64 - 1])
def test_spawned_seeds_follow_the_spec(seed):
    children = fastdrop.Generator(seed).spawn(5)
    assert [c.seed for c in children] == [spec_child_seed(seed, k) for k in range(5)]
    assert all(c.offset == 0 and c.n_children_spawned == 0 for c in children)


def test_spawn_numbers_children_over_all_calls():
    gen = fastdrop.Generator(7, offset=123)
    first, second = gen.spawn(2), gen.spawn(3)
    assert [c.seed for c in first + second] == [c.seed for c in fastdrop.Generator(7).spawn(5)]
    assert gen.n_children_spawned == 5 and gen.offset == 123  # the parent's stream is untouched
    assert gen.spawn(0) == [] and gen.n_children_spawned == 5


def test_children_are_distinct_and_give_other_masks():
    gen = fastdrop.Generator(11)
    children = gen.spawn(64)
    seeds = {c.seed for c in children} | {gen.seed}
    assert len(seeds) == 65
    masks = {c.dropout_forward(X, 0.5)[1].packed_bits().tobytes() for c in children}
    assert len(masks) == 64


def test_grandchildren_are_reproducible_from_the_root_seed():
    a = fastdrop.Generator(3).spawn(2)[1].spawn(2)[0]
    assert a.seed == spec_child_seed(spec_child_seed(3, 1), 0)


def test_pickle_keeps_the_spawn_count():
    gen = fastdrop.Generator(5)
    gen.spawn(3)
    clone = pickle.loads(pickle.dumps(gen))
    assert clone.n_children_spawned == 3
    assert clone.spawn(1)[0].seed == gen.spawn(1)[0].seed == spec_child_seed(5, 3)


def test_spawn_from_threads_hands_out_each_child_once():
    gen = fastdrop.Generator(9)
    barrier = threading.Barrier(8)

    def work(_):
        barrier.wait()
        return [c.seed for _ in range(25) for c in gen.spawn(2)]

    with ThreadPoolExecutor(8) as pool:
        seeds = [s for chunk in pool.map(work, range(8)) for s in chunk]
    assert sorted(seeds) == sorted(spec_child_seed(9, k) for k in range(400))


def _worker_masks(gen):
    return gen.dropout_forward(X, 0.5)[1].packed_bits().tobytes()


def test_pickled_generators_in_workers_repeat_one_stream_and_spawned_ones_do_not():
    """The documented trap and its fix, in real worker processes."""
    gen = fastdrop.Generator(21)
    with ProcessPoolExecutor(2) as pool:
        same = list(pool.map(_worker_masks, [gen, gen]))
        spawned = list(pool.map(_worker_masks, gen.spawn(2)))
    assert same[0] == same[1]
    assert spawned[0] != spawned[1]
    assert spawned == [_worker_masks(c) for c in fastdrop.Generator(21).spawn(2)]


# ---- seed sources ------------------------------------------------------------------------

def test_seed_sequence_gives_its_first_64_bit_word():
    seq = np.random.SeedSequence(2026)
    want = int(seq.generate_state(1, np.uint64)[0])
    y, mask = fastdrop.dropout_forward(X, 0.5, seed=seq)
    assert mask.seed == want and fastdrop.Generator(seq).seed == want
    assert_same_bits(y, _reference.dropout(X, 0.5, seed=want))


def test_numpy_generator_draws_one_seed_per_use():
    rng = np.random.default_rng(5)
    want = np.random.default_rng(5).integers(0, 2**64, size=2, dtype=np.uint64)
    _, first = fastdrop.dropout_forward(X, 0.5, seed=rng)
    _, second = fastdrop.dropout_forward(X, 0.5, seed=rng)
    assert [first.seed, second.seed] == [int(w) for w in want]
    assert fastdrop.Dropout(seed=np.random.default_rng(5)).generator.seed == int(want[0])


# ---- the default stream ------------------------------------------------------------------

def test_manual_seed_makes_seed_none_reproducible():
    def run():
        fastdrop.manual_seed(42)
        y = fastdrop.dropout(X, 0.5)
        _, mask = fastdrop.dropout_forward(X, 0.5, offset=10)
        layer = fastdrop.Dropout(0.5)
        return y, mask, layer(X), fastdrop.Generator().seed

    y1, m1, l1, g1 = run()
    y2, m2, l2, g2 = run()
    assert_same_bits(y1, y2)
    assert_same_bits(l1, l2)
    assert (m1.seed, m1.offset, g1) == (m2.seed, 10, g2)
    seeds = [spec_child_seed(42, k) for k in range(4)]
    assert_same_bits(y1, _reference.dropout(X, 0.5, seed=seeds[0]))
    assert m1.seed == seeds[1] and g1 == seeds[3]
    assert_same_bits(l1, _reference.dropout(X, 0.5, seed=seeds[2]))


def test_manual_seed_returns_the_default_generator():
    gen = fastdrop.manual_seed(np.random.SeedSequence(1))
    assert gen is fastdrop.default_generator()
    assert gen.seed == int(np.random.SeedSequence(1).generate_state(1, np.uint64)[0])


def test_a_call_that_raises_draws_nothing():
    fastdrop.manual_seed(8)
    for bad in (dict(p=2.0), dict(offset=2**64), dict(store="no"), dict(x=np.arange(3))):
        with pytest.raises((TypeError, ValueError)):
            fastdrop.dropout_forward(**{"x": X, "p": 0.5, **bad})
    with pytest.raises(ValueError, match="offset"):
        fastdrop.Generator(offset=-1)
    with pytest.raises(ValueError, match=r"\bp\b"):
        fastdrop.Dropout(2.0)
    with pytest.raises(TypeError, match="name"):
        fastdrop.Dropout(0.5, name=1)
    assert fastdrop.dropout_forward(X, 0.5)[1].seed == spec_child_seed(8, 0)


def test_seed_none_from_threads_gets_every_child_once():
    fastdrop.manual_seed(77)
    barrier = threading.Barrier(8)

    def work(_):
        barrier.wait()
        return [fastdrop.dropout_forward(X[:100], 0.5)[1].seed for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        seeds = [s for chunk in pool.map(work, range(8)) for s in chunk]
    assert sorted(seeds) == sorted(spec_child_seed(77, k) for k in range(400))


_FRESH = """
import threading, fastdrop
from fastdrop import _generator
assert _generator._default is None  # made at first use, not at import
gens, barrier = [], threading.Barrier(8)
def use():
    barrier.wait()
    gens.append(fastdrop.default_generator())
threads = [threading.Thread(target=use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert len({id(g) for g in gens}) == 1
print(gens[0].seed)
"""


def test_default_stream_is_seeded_from_os_entropy_once_at_first_use():
    seeds = [subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True,
                            check=True).stdout.strip() for _ in range(2)]
    assert seeds[0] != seeds[1]
