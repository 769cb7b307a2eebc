"""A network as the chip's compiler sees it: a chain of dense layers.

Networks come in as ONNX files (what users export from PyTorch, Keras or scikit-learn) or as
a scikit-learn ``MLPClassifier``. Supported now: dense layers (``MatMul`` + ``Add``, or
``Gemm``), ``Relu`` and ``Identity``. Anything else is refused before anything runs, with
a :class:`NetworkError` that names the node or layer and what is wrong.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["DenseLayer", "Network", "NetworkError", "from_onnx", "from_sklearn", "to_onnx",
           "random_network",
           "ACTIVATIONS", "SUPPORTED_OPS"]

#: Activations a dense layer may end with (the tile's output unit has both).
ACTIVATIONS = ("identity", "relu")
#: ONNX operators the importer takes.
SUPPORTED_OPS = ("MatMul", "Add", "Gemm", "Relu", "Identity")


class NetworkError(ValueError):
    """The network cannot be imported or mapped; the message names the layer or node."""


@dataclass(frozen=True)
class DenseLayer:
    """``y = act(x @ weight + bias)``.

    Attributes
    ----------
    name : str
    weight : ndarray (inputs, outputs), float
    bias : ndarray (outputs,), float
    activation : str
        ``"identity"`` or ``"relu"``.
    """

    name: str
    weight: np.ndarray
    bias: np.ndarray
    activation: str = "identity"

    def __post_init__(self):
        w = np.asarray(self.weight, np.float64)
        b = np.asarray(self.bias, np.float64)
        if w.ndim != 2 or 0 in w.shape:
            raise NetworkError(f"layer {self.name!r}: weight must be a non-empty 2-D matrix, "
                               f"got shape {w.shape}")
        if b.shape != (w.shape[1],):
            raise NetworkError(f"layer {self.name!r}: bias has shape {b.shape}, the weight "
                               f"{w.shape} needs ({w.shape[1]},)")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise NetworkError(f"layer {self.name!r}: weight or bias is not finite")
        if self.activation not in ACTIVATIONS:
            raise NetworkError(f"layer {self.name!r}: activation {self.activation!r} is not "
                               f"supported; choose one of {', '.join(ACTIVATIONS)}")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", b)

    @property
    def inputs(self):
        return self.weight.shape[0]

    @property
    def outputs(self):
        return self.weight.shape[1]

    def forward(self, x):
        y = np.asarray(x, np.float64) @ self.weight + self.bias
        return np.maximum(y, 0) if self.activation == "relu" else y


@dataclass(frozen=True)
class Network:
    """A chain of :class:`DenseLayer`; each layer's inputs are the previous one's outputs."""

    layers: tuple

    def __post_init__(self):
        layers = tuple(self.layers)
        if not layers:
            raise NetworkError("the network has no layer")
        for prev, layer in zip(layers, layers[1:], strict=False):
            if layer.inputs != prev.outputs:
                raise NetworkError(
                    f"layer {layer.name!r}: takes {layer.inputs} inputs but layer "
                    f"{prev.name!r} gives {prev.outputs}: the shapes do not chain")
        object.__setattr__(self, "layers", layers)

    @property
    def inputs(self):
        return self.layers[0].inputs

    @property
    def outputs(self):
        return self.layers[-1].outputs

    def forward(self, x):
        """Float logits of inputs ``x`` (n, inputs)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def predict(self, x):
        return np.argmax(self.forward(x), axis=-1)


def random_network(rng, sizes, bias_sigma=0.1):
    """A random MLP with layer widths ``sizes`` (ReLU hidden layers, identity output; He-like
    weights) from a numpy ``Generator``: test and benchmark networks."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        act = "relu" if i < len(sizes) - 2 else "identity"
        layers.append(DenseLayer(f"fc{i}", rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)),
                                 rng.normal(0, bias_sigma, n_out), act))
    return Network(tuple(layers))


# -- scikit-learn -------------------------------------------------------------------------------

def from_sklearn(mlp):
    """A :class:`Network` from a fitted ``sklearn.neural_network.MLPClassifier`` (its logits:
    the output softmax is left to the host, argmax does not need it)."""
    coefs = getattr(mlp, "coefs_", None)
    if coefs is None:
        raise NetworkError("the MLPClassifier is not fitted (no coefs_)")
    if mlp.activation not in ACTIVATIONS:
        raise NetworkError(f"MLPClassifier.activation = {mlp.activation!r}: only "
                           f"{', '.join(ACTIVATIONS)} map onto the tile's output unit")
    n = len(coefs)
    return Network(tuple(
        DenseLayer(f"dense{i}", w, b, mlp.activation if i < n - 1 else "identity")
        for i, (w, b) in enumerate(zip(coefs, mlp.intercepts_, strict=True))))


# -- ONNX ---------------------------------------------------------------------------------------

def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def from_onnx(model):
    """A :class:`Network` from an ONNX model (a path or a ``ModelProto``).

    The graph must be one chain from its single input to its single output of dense layers
    (``MatMul`` with a constant weight, optionally followed by ``Add`` of a constant bias;
    or ``Gemm`` with constant B and C, ``alpha = beta = 1``, ``transA = 0``), each optionally
    followed by ``Relu`` (``Identity`` nodes pass through).
    """
    import onnx
    from onnx import numpy_helper

    if not isinstance(model, onnx.ModelProto):
        model = onnx.load(str(model))
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    for node in g.node:
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(_attrs(node)["value"]).astype(
                np.float64)
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        raise NetworkError(f"the graph must have one input and one output, it has "
                           f"{len(inputs)} and {len(g.output)}")
    current = inputs[0].name
    layers = []
    pending = None   # [weight, bias, activation, name] of the layer being built

    def finish():
        nonlocal pending
        if pending is not None:
            w, b, act, name = pending
            layers.append(DenseLayer(name, w, np.zeros(w.shape[1]) if b is None else b, act))
            pending = None

    for node in g.node:
        if node.op_type == "Constant":
            continue
        where = f"node {node.name or node.output[0]!r} ({node.op_type})"
        if node.op_type not in SUPPORTED_OPS:
            raise NetworkError(f"{where}: operator not supported; the chip takes "
                               f"{', '.join(SUPPORTED_OPS)}")
        data_in = [i for i in node.input if i and i not in consts]
        if data_in != [current]:
            raise NetworkError(f"{where}: the graph is not one chain of layers (inputs "
                               f"{list(node.input)})")
        const_in = [consts[i] for i in node.input if i in consts]
        # An unnamed layer is named by its place in the chain (a pending layer is one).
        name = node.name or f"dense{len(layers) + (pending is not None)}"
        if node.op_type == "MatMul":
            if node.input[0] != current or len(const_in) != 1 or const_in[0].ndim != 2:
                raise NetworkError(f"{where}: needs the activations times a constant 2-D "
                                   "weight")
            finish()
            pending = [const_in[0], None, "identity", name]
        elif node.op_type == "Gemm":
            a = _attrs(node)
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                raise NetworkError(f"{where}: only transA = 0, alpha = beta = 1 are supported")
            if node.input[0] != current or not const_in or const_in[0].ndim != 2:
                raise NetworkError(f"{where}: needs the activations times a constant weight")
            w = const_in[0].T if a.get("transB", 0) else const_in[0]
            b = np.broadcast_to(const_in[1], (w.shape[1],)) if len(const_in) > 1 else None
            finish()
            pending = [w, None if b is None else np.array(b), "identity", name]
        elif node.op_type == "Add":
            if pending is None or pending[1] is not None or pending[2] != "identity" \
                    or len(const_in) != 1:
                raise NetworkError(f"{where}: an Add must add a constant bias right after a "
                                   "MatMul")
            b = const_in[0].reshape(-1)
            if b.size == 1:
                b = np.full(pending[0].shape[1], b[0])
            pending[1] = b
        elif node.op_type == "Relu":
            if pending is None or pending[2] != "identity":
                raise NetworkError(f"{where}: a Relu must follow a dense layer")
            pending[2] = "relu"
        current = node.output[0]
    finish()
    if current != g.output[0].name:
        raise NetworkError(f"the graph's output {g.output[0].name!r} is not the end of the "
                           "chain of layers")
    return Network(tuple(layers))


def to_onnx(network, path=None, name="rram_cim_mlp"):
    """An ONNX model (``MatMul``, ``Add``, ``Relu`` per layer) of ``network``; written to
    ``path`` if given. Returns the ``ModelProto``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    x = "input"
    for i, layer in enumerate(network.layers):
        w, b = f"{layer.name}.weight", f"{layer.name}.bias"
        inits += [numpy_helper.from_array(layer.weight.astype(np.float32), w),
                  numpy_helper.from_array(layer.bias.astype(np.float32), b)]
        nodes.append(helper.make_node("MatMul", [x, w], [f"{layer.name}.mm"], name=layer.name))
        y = f"{layer.name}.out" if layer.activation == "relu" else f"{layer.name}.add"
        if i == len(network.layers) - 1 and layer.activation == "identity":
            y = "logits"
        nodes.append(helper.make_node("Add", [f"{layer.name}.mm", b], [f"{layer.name}.add"
                     if layer.activation == "relu" else y], name=f"{layer.name}.bias_add"))
        if layer.activation == "relu":
            y = "logits" if i == len(network.layers) - 1 else f"{layer.name}.out"
            nodes.append(helper.make_node("Relu", [f"{layer.name}.add"], [y],
                                          name=f"{layer.name}.relu"))
        x = y
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", network.inputs])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", network.outputs])],
        inits)
    model = helper.make_model(graph, producer_name="rram-cim", opset_imports=[
        helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, str(path))
    return model
