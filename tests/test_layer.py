"""The Dropout layer: each backward differentiates the forward it belongs to, or raises."""

import pickle

import numpy as np
import pytest
from test_forward import assert_same_bits

import fastdrop
from fastdrop import _reference

X = np.linspace(-1, 1, 600, dtype=np.float32).reshape(20, 30)
G = np.full_like(X, 2.0)


def _grad_of(mask, grad=G):
    """The reference gradient of grad through a Mask's forward."""
    keep = _reference.keep_mask(mask.seed, mask.offset, mask.p, mask.size).reshape(mask.shape)
    return _reference.dropout_backward(grad, keep, mask.p, mask.scaling)


@pytest.mark.parametrize("store", ["bits", "seed"])
@pytest.mark.parametrize("scaling", ["inverted", "classic"])
def test_layer_train_and_eval(store, scaling):
    layer = fastdrop.Dropout(0.4, seed=3, scaling=scaling, store=store)
    assert layer.training
    y1 = layer(X)
    dx = layer.backward(G)
    keep = layer.mask.to_bool()
    assert_same_bits(y1, _reference.dropout(X, 0.4, seed=3, scaling=scaling))
    assert_same_bits(dx, _reference.dropout_backward(G, keep, 0.4, scaling))
    y2 = layer.forward(X)
    assert layer.mask.offset == 600 and not np.array_equal(y1, y2)
    assert layer.eval() is layer and not layer.training
    expected_eval = X if scaling == "inverted" else X * np.float32(0.6)
    assert_same_bits(layer(X), expected_eval)
    assert_same_bits(layer.backward(G), G if scaling == "inverted" else G * np.float32(0.6))
    assert layer.train() is layer and layer.training


def test_reused_layer_refuses_to_guess_which_mask():
    """d(a); d(b); d.backward(ga) used to give ga b's mask, silently."""
    layer = fastdrop.Dropout(0.5, seed=0)
    layer(X)
    layer(2 * X)
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0.5.*ambiguous.*2 forward passes"):
        layer.backward(G)


def test_the_error_names_a_named_layer():
    layer = fastdrop.Dropout(0.5, seed=0, name="hidden1")
    layer(X)
    layer(X)
    with pytest.raises(RuntimeError, match=r"^Dropout 'hidden1': backward\(\) is ambiguous"):
        layer.backward(G)


def test_reused_layer_with_explicit_masks_gives_each_forward_its_gradient():
    layer = fastdrop.Dropout(0.5, seed=0)
    ya, mask_a = layer(X, return_mask=True)
    yb, mask_b = layer(2 * X, return_mask=True)
    assert mask_a.offset == 0 and mask_b.offset == X.size
    assert_same_bits(layer.backward(G, mask_a), _grad_of(mask_a))
    assert_same_bits(layer.backward(G, mask_b), _grad_of(mask_b))
    with pytest.raises(RuntimeError, match="without a pending forward"):
        layer.backward(G)  # both were differentiated


def test_explicit_mask_of_an_older_forward_leaves_the_latest_pending():
    layer = fastdrop.Dropout(0.5, seed=1)
    _, mask_a = layer(X, return_mask=True)
    layer(X)
    layer.backward(G, mask_a)
    assert_same_bits(layer.backward(G), _grad_of(layer.mask))


def test_eval_between_forward_and_backward_is_not_an_identity_gradient():
    """forward, eval(), backward used to return grad unchanged (the inference rule)."""
    layer = fastdrop.Dropout(0.5, seed=2)
    layer(X)
    mask = layer.mask
    layer.eval()
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0.5.*without a pending forward.*eval\(\)"):
        layer.backward(G)
    assert_same_bits(layer.backward(G, mask), _grad_of(mask))  # the explicit route still works


def test_attribute_mode_change_keeps_the_forward_mode():
    """backward follows the pending forward's mode, not the attribute assigned since."""
    layer = fastdrop.Dropout(0.5, seed=4)
    layer(X)
    layer.training = False
    assert_same_bits(layer.backward(G), _grad_of(layer.mask))


def test_backward_twice_needs_the_mask_again():
    layer = fastdrop.Dropout(0.5, seed=5)
    layer(X)
    first = layer.backward(G)
    with pytest.raises(RuntimeError, match="without a pending forward"):
        layer.backward(G)
    assert_same_bits(layer.backward(G, layer.mask), first)


def test_a_failed_backward_keeps_the_forward_pending():
    layer = fastdrop.Dropout(0.5, seed=6)
    layer(X)
    with pytest.raises(ValueError, match="grad"):
        layer.backward(np.ones(3, np.float32))
    assert_same_bits(layer.backward(G), _grad_of(layer.mask))


@pytest.mark.parametrize("layer_mode", [True, False])
def test_training_per_call_overrides_the_layer_mode(layer_mode):
    layer = fastdrop.Dropout(0.5, seed=7).train(layer_mode)
    y, mask = layer(X, training=True, return_mask=True)
    assert_same_bits(y, _reference.dropout(X, 0.5, seed=7))
    assert layer.backward(G) is not None and layer.training is layer_mode
    y, mask = layer(X, training=False, return_mask=True)
    assert mask is None and layer.generator.offset == X.size
    assert_same_bits(y, X)
    assert_same_bits(layer.backward(G), G)  # the inference forward's gradient


def test_inference_forwards_count_as_pending():
    """A training forward followed by an inference one: backward cannot tell which is meant."""
    layer = fastdrop.Dropout(0.5, seed=8)
    layer(X)
    layer(X, training=False)
    with pytest.raises(RuntimeError, match="ambiguous"):
        layer.backward(G)


def test_many_forwards_without_backward_hold_no_masks():
    """Monte Carlo dropout calls the layer many times; it keeps one Mask, not all of them."""
    layer = fastdrop.Dropout(0.5, seed=9)
    masks = [layer(X, return_mask=True)[1] for _ in range(50)]
    assert layer.mask is masks[-1] and layer._pending == 50
    assert_same_bits(layer.backward(G, masks[10]), _grad_of(masks[10]))


@pytest.mark.parametrize("training", [True, False])
def test_layer_pickles_with_its_stream_and_no_pending_forward(training):
    layer = fastdrop.Dropout(0.3, seed=11, name="drop")
    layer(X, training=training)
    clone = pickle.loads(pickle.dumps(layer))
    assert clone.name == "drop" and clone.generator.offset == layer.generator.offset
    with pytest.raises(RuntimeError, match="without a pending forward"):
        clone.backward(G)
    assert_same_bits(clone(X, training=training), layer(X, training=training))
    clone.backward(G)


def test_layer_backward_before_forward():
    with pytest.raises(RuntimeError, match="without a pending forward"):
        fastdrop.Dropout(0.5, seed=0).backward(np.ones(3))
