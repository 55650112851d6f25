"""The layer editor's pure functions: insert, remove, move, set a parameter; inputs never change."""
import copy

import pytest

from cifar_demo import models
from cifar_demo import spec as specs

SPEC = [{"type": "conv", "filters": 32}, {"type": "pool"}, {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"}]


@pytest.fixture
def spec():
    original = copy.deepcopy(SPEC)
    yield original
    assert original == SPEC, "an editing function changed its input"


def types(spec):
    return [layer["type"] for layer in spec]


def test_insert_by_type_gets_the_defaults(spec):
    out = specs.insert_layer(spec, 1, "dropout")
    assert types(out) == ["conv", "dropout", "pool", "flatten", "dense"]
    assert out[1] == {"type": "dropout", "rate": 0.25}


def test_insert_a_dict_is_copied(spec):
    layer = {"type": "dense", "units": 64, "activation": "relu"}
    out = specs.insert_layer(spec, 3, layer)
    assert types(out) == ["conv", "pool", "flatten", "dense", "dense"]
    out[3]["units"] = 1
    assert layer["units"] == 64


@pytest.mark.parametrize("index, position", [(0, 0), (4, 4), (99, 4), (-5, 0)])
def test_insert_position_is_clamped(spec, index, position):
    out = specs.insert_layer(spec, index, "batchnorm")
    assert len(out) == 5 and out[position] == {"type": "batchnorm"}


def test_insert_into_an_empty_spec():
    assert specs.insert_layer([], 0, "gap") == [{"type": "gap"}]


def test_remove(spec):
    assert types(specs.remove_layer(spec, 1)) == ["conv", "flatten", "dense"]
    assert types(specs.remove_layer(spec, 3)) == ["conv", "pool", "flatten"]
    with pytest.raises(IndexError, match="no layer 5"):
        specs.remove_layer(spec, 4)
    with pytest.raises(IndexError):
        specs.remove_layer(spec, -1)


def test_move_up_and_down(spec):
    assert types(specs.move_layer(spec, 1, -1)) == ["pool", "conv", "flatten", "dense"]
    assert types(specs.move_layer(spec, 1, +1)) == ["conv", "flatten", "pool", "dense"]
    assert types(specs.move_layer(spec, 0, +3)) == ["pool", "flatten", "dense", "conv"]


def test_move_stops_at_the_ends(spec):
    assert specs.move_layer(spec, 0, -1) == spec
    assert specs.move_layer(spec, 3, +1) == spec
    assert types(specs.move_layer(spec, 2, -10)) == ["flatten", "conv", "pool", "dense"]


def test_moved_layer_keeps_its_parameters(spec):
    out = specs.move_layer(spec, 0, 1)
    assert out[1] == {"type": "conv", "filters": 32}


def test_set_param(spec):
    out = specs.set_param(spec, 0, "filters", 64)
    assert out[0] == {"type": "conv", "filters": 64}
    assert out[1:] == spec[1:]
    with pytest.raises(ValueError, match="type"):
        specs.set_param(spec, 0, "type", "dense")
    with pytest.raises(IndexError):
        specs.set_param(spec, 9, "units", 3)


def test_edited_spec_still_builds_and_the_summary_follows():
    spec = specs.insert_layer(SPEC, 1, {"type": "conv", "filters": 8, "padding": "valid"})
    rows = models.summarize(spec)
    assert [r.kind for r in rows] == ["conv", "conv", "pool", "flatten", "dense"]
    assert rows[1].output_shape == (30, 30, 8)
    assert rows[2].output_shape == (15, 15, 8)
    # moving the dense layer before flatten breaks the spec, and the error names the layer
    with pytest.raises(specs.SpecError, match="layer 3 \\(dense"):
        models.summarize(specs.move_layer(SPEC, 3, -1))
