"""Train the digits network and write the models the demo uses (kept in the repository).

    python -m scripts.train_digits [--out sw/models] [--noise 0.1]

Writes ``digits_mlp.onnx`` (float, scikit-learn MLPClassifier, 64-64-10 ReLU on raw 0..16
pixels), ``digits_mlp_noise_aware.onnx`` (the same, fine-tuned with weight noise injected)
and ``digits_mlp.json`` (split, seeds and float accuracies). Deterministic: the same files
on every run (``sw/test_network.py`` retrains and compares).
"""

import argparse
import json
from pathlib import Path

from sw.network import to_onnx
from sw.train import HIDDEN, SPLIT_SEED, accuracy, digits_split, train_float, train_noise_aware

ROOT = Path(__file__).resolve().parent.parent
NOISE = 0.1
NOISE_EPOCHS = 30


def train(noise=NOISE, epochs=NOISE_EPOCHS):
    """``(float network, noise-aware network, summary dict)``."""
    split = digits_split()
    net = train_float(split)
    robust = train_noise_aware(net, split, noise=noise, epochs=epochs)
    summary = {
        "data": "sklearn.datasets.load_digits, 8 x 8 pixels 0..16",
        "split": {"test_size": 0.2, "stratified": True, "seed": SPLIT_SEED,
                  "train": len(split.y_train), "test": len(split.y_test)},
        "layers": [HIDDEN, 10],
        "float_test_accuracy": accuracy(net, split.x_test, split.y_test),
        "noise_aware": {"weight_noise": noise, "epochs": epochs,
                        "float_test_accuracy": accuracy(robust, split.x_test, split.y_test)},
    }
    return net, robust, summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "sw" / "models")
    ap.add_argument("--noise", type=float, default=NOISE)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    net, robust, summary = train(args.noise)
    to_onnx(net, args.out / "digits_mlp.onnx", name="digits_mlp")
    to_onnx(robust, args.out / "digits_mlp_noise_aware.onnx", name="digits_mlp_noise_aware")
    (args.out / "digits_mlp.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"float test accuracy {summary['float_test_accuracy']:.4f}, noise-aware "
          f"{summary['noise_aware']['float_test_accuracy']:.4f} -> {args.out}")


if __name__ == "__main__":
    main()
