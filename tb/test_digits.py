"""The digits on the ``default`` chip, end to end, Icarus and Verilator: a handful of test
images through the same job as ``make demo`` (``sw/job.py``: ONNX import, compiler,
runtime, driver), and a user's own ONNX file of a small MLP through the same path.

The weights go in by the back door (LOAD_CELL) to keep the runs short (the write-verify
path of a whole array costs ~400 000 engine cycles; ``make demo`` and ``tb/test_host.py``
run it). Even so, loading three 64 x 64 arrays is ~200 000 cycles: 1-2 minutes on
Verilator, more than 15 on Icarus, so the RTL runs here are ``slow`` (``make test-all``);
``make demo`` runs all 360 digits on the RTL (Verilator) and compares every logit. The
user's file runs on the golden model in ``make test`` (``test_user_onnx_on_the_golden_model``),
and the regression's end-to-end networks on the RTL run on both simulators on the small
``chip-pipe`` (``tb/test_chip_network.py``: a first layer split by rows and columns).

Every logit, the clipped conversions and every tile counter (MVMs, conversions, BUSY
cycles) must equal the golden model's, and the logits must equal the compiler's
arithmetic on the target conductances (``ideal_forward``).
"""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from hdl.spec.config import preset
from sim.driver import run_on_model
from sw.compiler import ideal_forward
from sw.job import DEFAULT_MODEL, inference_program, prepare
from sw.train import PIXEL_MAX, digits_split
from tb.harness import run_cocotb, simulators

IMAGES = 4


def user_onnx(path, hidden=16, seed=3):
    """A small MLP as a user would bring it: trained with scikit-learn on 0..1 pixels, then
    written with ``onnx.helper`` the way PyTorch exports ``nn.Linear`` (Gemm, transB = 1,
    weights (out, in)) with the pixel scale as a leading Mul; not ``sw.network.to_onnx``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    split = digits_split()
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=60, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(split.x_train / PIXEL_MAX, split.y_train)
    (w0, w1), (b0, b1) = mlp.coefs_, mlp.intercepts_
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), name) for name, v in (
        ("fc1.weight", w0.T / PIXEL_MAX), ("fc1.bias", b0),
        ("fc2.weight", w1.T), ("fc2.bias", b1))]
    nodes = [helper.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h"], transB=1),
             helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "fc2.weight", "fc2.bias"], ["logits"], transB=1)]
    graph = helper.make_graph(
        nodes, "user_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, producer_name="a user")
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _cases():
    """(network, simulator), all ``slow``: on a fresh 2-core machine the digits on Verilator
    took 594 s (generating and building the 3-tile ``default`` chip, then ~200 000 cycles
    of loading), a third of the regression's budget; Icarus did not finish the loading in
    15 minutes."""
    for network in ("digits", "user-onnx"):
        for sim in simulators():
            yield pytest.param(network, sim, marks=pytest.mark.slow, id=f"{network}-{sim}")


@pytest.mark.sim
@pytest.mark.parametrize(("network", "sim"), list(_cases()))
def test_digits_on_default(network, sim, tmp_path):
    cfg = preset("default")
    path = DEFAULT_MODEL if network == "digits" else user_onnx(tmp_path / "user_mlp.onnx")
    out = tmp_path / "rtl.json"
    run_cocotb("chip", cfg, "tb.demo_network", "demo", sim,
               params={"model": str(path), "images": IMAGES, "out": str(out),
                       "backdoor": True})
    rtl = json.loads(out.read_text())
    job = prepare(path, cfg, IMAGES)
    want, _ = run_on_model(cfg, inference_program(job.compiled, job.x_codes, backdoor=True))
    for key in ("logits", "counters", "pipelined", "window"):
        assert rtl[key] == want[key], f"{key}: RTL {rtl[key]} != golden model {want[key]}"
    assert np.array_equal(np.array(rtl["logits"]), ideal_forward(job.compiled, job.x_codes)[-1])
    busy = [c["busy"] for c in rtl["counters"].values()]
    assert all(c["mvms"] == IMAGES for c in rtl["counters"].values()) and min(busy) > 0
    print(f"{network} on {sim}: {IMAGES} images, {rtl['cycles']['latency']:.0f} cycles for the "
          f"first, tile BUSY {busy}")


def test_user_onnx_on_the_golden_model(tmp_path):
    """A user's own ONNX file through the demo's job on the golden model (write-verify
    programming, default variability): it compiles, programs and runs, and with back-door
    weights equals the compiler's arithmetic."""
    cfg = preset("default")
    path = user_onnx(tmp_path / "user_mlp.onnx")
    job = prepare(path, cfg, 40)
    # Unnamed Gemm nodes, numbered in chain order.
    assert [layer.name for layer in job.network.layers] == ["dense0", "dense1"]
    exact, _ = run_on_model(cfg, inference_program(job.compiled, job.x_codes, backdoor=True))
    assert np.array_equal(np.array(exact["logits"]), ideal_forward(job.compiled, job.x_codes)[-1])
    programmed, _ = run_on_model(cfg, inference_program(job.compiled, job.x_codes))
    assert sum(p["pulses"] for p in programmed["program"]) > 0
    assert all(p["failures"] == 0 for p in programmed["program"]), programmed["program"]
    acc = np.mean(np.argmax(programmed["logits"], 1) == job.y)
    assert acc >= 0.8, acc
