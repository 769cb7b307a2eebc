"""The compiler: placement, splitting, calibration and refusals (no simulator)."""

import dataclasses

import numpy as np
import onnx
import pytest

from hdl.spec.config import ArrayGeometry, ChipConfig, HostConfig, preset
from hdl.spec.tile import TileField
from sw.compiler import compile_network, ideal_forward, quantize_inputs
from sw.network import Network, NetworkError, from_onnx, random_network
from sw.train import digits_split

MODELS = __import__("pathlib").Path(__file__).parent / "models"


@pytest.fixture(scope="module")
def split():
    return digits_split()


def _agreement(compiled, network, x):
    logits = ideal_forward(compiled, quantize_inputs(compiled, x))[-1]
    return np.mean(np.argmax(logits, 1) == network.predict(x)), logits


def test_digits_on_default(split):
    net = from_onnx(onnx.load(MODELS / "digits_mlp.onnx"))
    c = compile_network(net, preset("default"), split.x_train)
    # 64 x 64 is two output blocks of 32 pairs (a column split), 64 x 10 fits one array:
    # three tiles, both halves of the hidden layer tile to tile into rows 0..31 and 32..63.
    assert [len(lp.all_tiles()) for lp in c.layers] == [2, 1]
    (a,), (b,) = c.layers[0].tiles
    second = c.layers[1].all_tiles()[0]
    assert (a.desc[TileField.DEST], a.desc[TileField.OFFSET]) == (second.node, 0)
    assert (b.desc[TileField.DEST], b.desc[TileField.OFFSET]) == (second.node, 32)
    assert second.expect == 64
    assert second.desc[TileField.DEST] == c.cfg.host_node
    assert second.desc[TileField.OUT_RAW] == 1 and a.desc[TileField.OUT_RAW] == 0
    # Pixels 0..16 are integers: five planes, no scaling.
    assert c.layers[0].in_bits == 5 and c.layers[0].in_scale == 1.0
    agree, logits = _agreement(c, net, split.x_test)
    assert agree >= 0.95, agree
    assert np.mean(np.argmax(logits, 1) == split.y_test) >= 0.93


def _small_chip(mesh=4):
    return ChipConfig(name="compile-test", mesh_width=mesh, mesh_height=mesh,
                      array=ArrayGeometry(rows=16, cols=16))


def test_split_by_rows_and_columns():
    rng = np.random.default_rng(1)
    cfg = _small_chip()
    net = random_network(rng, [40, 20, 10])
    x = rng.uniform(0, 1, (400, 40))
    c = compile_network(net, cfg, x)
    fc0, fc1 = c.layers
    # 40 inputs on 16-row arrays: 3 row blocks; 20 outputs on 8 pairs: 3 output blocks.
    assert [len(chain) for chain in fc0.tiles] == [3, 3, 3]
    assert [len(chain) for chain in fc1.tiles] == [2, 2]
    nodes = [t.node for t in c.tiles()]
    assert len(set(nodes)) == len(nodes) and cfg.host_node not in nodes
    for lp in c.layers:
        for chain in lp.tiles:
            for t, u in zip(chain, chain[1:], strict=False):
                # Raw partial sums to the next tile of the chain, which adds them.
                assert t.desc[TileField.DEST] == u.node and t.desc[TileField.OUT_RAW] == 1
                assert u.desc[TileField.PSUM_EN] == 1 and not t.bias.any()
            assert chain[0].desc[TileField.PSUM_EN] == 0
    # fc1 has two output blocks that both need all of fc0's outputs, and a tile sends its
    # outputs to one node: relayed through the host.
    assert fc0.relay and not fc1.relay
    # 4-bit inputs and ADCs: the logits (back in float units) follow the float network.
    x_test = rng.uniform(0, 1, (300, 40))
    logits = ideal_forward(c, quantize_inputs(c, x_test))[-1] * fc1.acc_scale
    r = np.corrcoef(logits.ravel(), net.forward(x_test).ravel())[0, 1]
    assert r >= 0.9, r


def test_direct_routing_when_blocks_line_up():
    rng = np.random.default_rng(2)
    cfg = _small_chip()
    net = random_network(rng, [16, 16, 4])
    c = compile_network(net, cfg, rng.uniform(0, 1, (300, 16)))
    fc0, fc1 = c.layers
    assert not fc0.relay
    # Two output blocks of 8 feed rows 0..7 and 8..15 of fc1's single tile.
    (a,), (b,) = fc0.tiles
    (u,) = fc1.tiles[0]
    assert (a.desc[TileField.DEST], a.desc[TileField.OFFSET]) == (u.node, 0)
    assert (b.desc[TileField.DEST], b.desc[TileField.OFFSET]) == (u.node, 8)
    assert u.expect == 16


def test_refuses_what_does_not_fit(split):
    net = from_onnx(onnx.load(MODELS / "digits_mlp.onnx"))
    tiny = preset("tiny")           # three 16 x 16 tiles; the first layer needs 4 x 8
    with pytest.raises(NetworkError, match=r"layer 'dense0' \(64 x 64\) needs 32 tiles .* "
                                           r"has 3 tiles"):
        compile_network(net, tiny, split.x_train)
    short = dataclasses.replace(preset("default"), host=HostConfig(resp_queue_words=8))
    with pytest.raises(NetworkError, match=r"layer 'dense1': an output packet of 34 words does "
                                           r"not fit the host's response queue \(8 words\)"):
        compile_network(net, short, split.x_train)
    with pytest.raises(NetworkError, match="calibration inputs have shape"):
        compile_network(net, preset("default"), split.x_train[:, :10])


def test_refuses_a_bias_beyond_its_width(split):
    net = from_onnx(onnx.load(MODELS / "digits_mlp.onnx"))
    big = dataclasses.replace(net.layers[1], bias=net.layers[1].bias + 1e6)
    with pytest.raises(NetworkError, match=r"layer 'dense1': bias .* beyond the 16-bit bias"):
        compile_network(Network((net.layers[0], big)), preset("default"), split.x_train)
