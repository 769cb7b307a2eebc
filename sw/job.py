"""The demo's job, shared by the golden-model run and the RTL run (``tb/demo_network.py``):
the same network, compiled the same way, and the same driver program.

``prepare(model, cfg)`` loads the ONNX model and the digits split and compiles (all
deterministic, so the RTL process rebuilds exactly what the demo compiled);
``inference_program(compiled, x_codes, ...)`` is the driver program: open the chip,
program every weight through the write-verify engine, configure, run the images.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sw.compiler import compile_network, quantize_inputs
from sw.network import from_onnx
from sw.runtime import Runtime
from sw.train import digits_split

__all__ = ["Job", "prepare", "inference_program", "load_rows", "DEFAULT_MODEL",
           "NOISE_AWARE_MODEL"]

DEFAULT_MODEL = Path(__file__).parent / "models" / "digits_mlp.onnx"
#: The same network fine-tuned with weight noise (``scripts/train_digits.py``).
NOISE_AWARE_MODEL = Path(__file__).parent / "models" / "digits_mlp_noise_aware.onnx"


@dataclass
class Job:
    network: object
    split: object
    compiled: object
    x_codes: np.ndarray      # the test split's input codes
    y: np.ndarray            # its labels


def prepare(model, cfg, images=None):
    """Load ``model`` (an ONNX path), compile it for ``cfg`` with the training split as
    calibration data; the first ``images`` test images (all by default)."""
    import onnx

    network = from_onnx(onnx.load(str(model)))
    split = digits_split()
    compiled = compile_network(network, cfg, split.x_train)
    n = len(split.y_test) if images is None else min(images, len(split.y_test))
    x = quantize_inputs(compiled, split.x_test[:n])
    return Job(network, split, compiled, x, split.y_test[:n])


def load_rows(compiled):
    """``{node: rows}``: the conductance codes ``Runtime.load`` writes by LOAD_CELL into
    each used tile's rows ``0..k-1`` (every column), as lists (``run_cocotb(loads=...)``,
    ``sim.images.chip_images``)."""
    lv = np.asarray(compiled.levels, np.int64)
    return {int(t.node): lv[t.targets()].tolist() for t in compiled.tiles()}


def inference_program(compiled, x_codes, *, backdoor=False, preloaded=False, progress=None,
                      clock=None, first=1, after_program=None):
    """The driver program: returns a dict of plain values (equal on every backend).

    ``backdoor``: the weights go in by LOAD_CELL (``Runtime.load``) instead of the
    write-verify engine; ``preloaded``: neither, the chip already holds them
    (:func:`load_rows` as its power-on image, ``scripts/bench_rtl.py``).

    ``after_program`` (a function, called once the weights are in) lets the golden model
    age the arrays before the images run.

    ``clock`` (an async function returning the current cycle) times the phases: the first
    ``first`` images alone (latency), then the rest back to back (throughput)."""

    async def program(drv):
        await drv.open()
        rt = Runtime(drv, compiled)
        t = [await clock()] if clock else None
        if preloaded:
            reports = []
        elif backdoor:
            await rt.load()
            reports = []
        else:
            reports = await rt.program(progress=(lambda _t: progress("program", 1))
                                       if progress else None)
        if after_program:
            after_program()
        await rt.configure()
        if clock:
            t.append(await clock())
        step = (lambda k: progress("infer", k)) if progress else None
        head, _ = await rt.infer(x_codes[:first], step)
        if clock:
            t.append(await clock())
        tail, _ = await rt.infer(x_codes[first:], step)
        if clock:
            t.append(await clock())
        logits = np.concatenate([head, tail])
        out = {
            "logits": logits.tolist(),
            "program": [r.__dict__ for r in reports],
            "counters": {str(n): c for n, c in (await rt.counters()).items()},
            "pipelined": rt.pipelined,
            "window": rt.window(),
        }
        if clock:
            n_tail = len(x_codes) - first
            out["cycles"] = {
                "program": t[1] - t[0],
                "latency": (t[2] - t[1]) / max(first, 1),
                "per_image": (t[3] - t[2]) / n_tail if n_tail > 0 else None,
            }
        return out

    return program
