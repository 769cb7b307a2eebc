"""The network importer (ONNX, scikit-learn) and the digits workload."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from scripts.train_digits import train
from sw.network import DenseLayer, Network, NetworkError, from_onnx, from_sklearn, to_onnx
from sw.train import digits_split

MODELS = __import__("pathlib").Path(__file__).resolve().parent / "models"


def _random_net(rng, sizes=(64, 20, 10)):
    return Network(tuple(
        DenseLayer(f"d{i}", rng.normal(size=(a, b)), rng.normal(size=b),
                   "relu" if i < len(sizes) - 2 else "identity")
        for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False))))


def test_onnx_round_trip():
    rng = np.random.default_rng(1)
    net = _random_net(rng)
    back = from_onnx(to_onnx(net))
    x = rng.normal(size=(5, 64))
    assert [(layer.inputs, layer.outputs, layer.activation) for layer in back.layers] == \
        [(layer.inputs, layer.outputs, layer.activation) for layer in net.layers]
    np.testing.assert_allclose(back.forward(x), net.forward(x), rtol=1e-5, atol=1e-4)


def _graph(nodes, inits, n_in=4, n_out=3):
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", n_in])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", n_out])],
        [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def test_gemm_with_transposed_weight():
    rng = np.random.default_rng(2)
    w, b = rng.normal(size=(3, 4)), rng.normal(size=3)
    model = _graph([helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="fc"),
                    helper.make_node("Relu", ["h"], ["y"], name="act")], {"w": w, "b": b})
    net = from_onnx(model)
    x = rng.normal(size=(6, 4))
    np.testing.assert_allclose(net.forward(x), np.maximum(x @ w.T + b, 0), rtol=1e-5,
                               atol=1e-5)
    assert net.layers[0].name == "fc" and net.layers[0].activation == "relu"


def test_unnamed_layers_are_numbered_in_order():
    rng = np.random.default_rng(4)
    w0, w1, w2 = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=(3, 2))
    model = _graph([helper.make_node("MatMul", ["x", "w0"], ["h0"]),
                    helper.make_node("Relu", ["h0"], ["a0"]),
                    helper.make_node("Gemm", ["a0", "w1"], ["h1"]),
                    helper.make_node("MatMul", ["h1", "w2"], ["y"])],
                   {"w0": w0, "w1": w1, "w2": w2})
    assert [layer.name for layer in from_onnx(model).layers] == ["dense0", "dense1", "dense2"]


def test_unsupported_operator_is_refused_by_name():
    model = _graph([helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"),
                    helper.make_node("Sigmoid", ["h"], ["y"], name="squash")],
                   {"w": np.ones((4, 3))})
    with pytest.raises(NetworkError, match=r"node 'squash' \(Sigmoid\): operator not "
                                           r"supported"):
        from_onnx(model)


def test_shapes_that_do_not_chain_are_refused_by_layer():
    model = _graph([helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
                    helper.make_node("MatMul", ["h", "w2"], ["y"], name="fc2")],
                   {"w1": np.ones((4, 5)), "w2": np.ones((6, 3))})
    with pytest.raises(NetworkError, match=r"layer 'fc2': takes 6 inputs but layer 'fc1' "
                                           r"gives 5"):
        from_onnx(model)


def test_bias_without_a_dense_layer_and_branches_are_refused():
    model = _graph([helper.make_node("Add", ["x", "b"], ["y"], name="shift")],
                   {"b": np.ones(4)}, n_out=4)
    with pytest.raises(NetworkError, match="'shift' \\(Add\\): an Add must add a constant bias"):
        from_onnx(model)
    model = _graph([helper.make_node("MatMul", ["x", "w"], ["h"], name="fc"),
                    helper.make_node("Add", ["h", "x"], ["y"], name="skip")],
                   {"w": np.ones((4, 4))}, n_out=4)
    with pytest.raises(NetworkError, match="'skip' \\(Add\\): the graph is not one chain"):
        from_onnx(model)


def test_bad_layers_name_themselves():
    with pytest.raises(NetworkError, match="layer 'x': activation 'tanh'"):
        DenseLayer("x", np.ones((2, 2)), np.ones(2), "tanh")
    with pytest.raises(NetworkError, match="layer 'x': bias has shape"):
        DenseLayer("x", np.ones((2, 2)), np.ones(3))
    with pytest.raises(NetworkError, match="no layer"):
        Network(())


def test_sklearn_import_predicts_as_sklearn():
    from sklearn.neural_network import MLPClassifier

    split = digits_split()
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    with pytest.warns(Warning):
        mlp.fit(split.x_train[:300], split.y_train[:300])
    net = from_sklearn(mlp)
    np.testing.assert_array_equal(net.predict(split.x_test), mlp.predict(split.x_test))


def test_committed_models_are_what_the_training_script_makes():
    """The ONNX files in sw/models are reproducible: retraining gives the same weights, and
    the float model reaches the accuracy its summary records."""
    net, robust, summary = train()
    for name, expect in (("digits_mlp.onnx", net), ("digits_mlp_noise_aware.onnx", robust)):
        kept = from_onnx(MODELS / name)
        for a, b in zip(kept.layers, expect.layers, strict=True):
            np.testing.assert_allclose(a.weight, b.weight, rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(a.bias, b.bias, rtol=1e-4, atol=1e-4)
    split = digits_split()
    kept = from_onnx(MODELS / "digits_mlp.onnx")
    assert np.mean(kept.predict(split.x_test) == split.y_test) == pytest.approx(
        summary["float_test_accuracy"], abs=1e-9)
    assert summary["float_test_accuracy"] > 0.95
    assert onnx.load(str(MODELS / "digits_mlp.onnx")).graph.node[0].op_type == "MatMul"


def test_pair_codes_cover_every_difference_with_the_cheapest_pair():
    from sw.quantize import pair_codes

    levels = (10, 30, 60, 90, 120)
    codes = pair_codes(levels)
    diffs = sorted({a - b for a in levels for b in levels})
    assert [c.diff for c in codes] == diffs
    for c in codes:
        assert levels[c.plus] - levels[c.minus] == c.diff
        cheapest = min(a + b for a in levels for b in levels if a - b == c.diff)
        assert levels[c.plus] + levels[c.minus] == cheapest


def test_quantize_maps_each_weight_to_its_nearest_difference():
    from sw.quantize import quantize

    levels = (10, 30, 60, 90, 120)
    rng = np.random.default_rng(3)
    w = rng.normal(size=(64, 32))
    q = quantize(w, levels)
    grid = np.array(sorted({a - b for a in levels for b in levels}))
    assert np.array_equal(np.asarray(levels)[q.plus] - np.asarray(levels)[q.minus], q.diff)
    # Nearest on the grid for the chosen scale (ties may go either way).
    err = np.abs(q.diff * q.scale - w)
    best = np.min(np.abs(grid[None, None, :] * q.scale - w[..., None]), axis=-1)
    np.testing.assert_allclose(err, best, atol=1e-12)
    # The chosen scale beats "largest weight on the largest difference".
    naive = np.max(np.abs(w)) / grid.max()
    naive_err = np.min(np.abs(grid[None, None, :] * naive - w[..., None]), axis=-1)
    assert np.sum(err ** 2) <= np.sum(naive_err ** 2)
