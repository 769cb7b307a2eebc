"""Write the Verilog of every top-level block for one configuration.

    python -m scripts.generate --config default [--out build/default]
"""

import argparse
import sys
from pathlib import Path

from hdl.spec.config import ConfigError, preset
from scripts.blocks import BLOCKS, generate_verilog

ROOT = Path(__file__).resolve().parent.parent


def write_all(cfg, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in BLOCKS:
        path = out_dir / f"{name}.v"
        path.write_text(generate_verilog(name, cfg))
        paths.append(path)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default", help="preset: tiny, default or fpga")
    ap.add_argument("--out", type=Path, help="output folder (default build/<config>)")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
    except ConfigError as e:
        sys.exit(f"error: {e}")
    for path in write_all(cfg, args.out or ROOT / "build" / cfg.name):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
