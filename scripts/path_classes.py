"""Path classes of a synthesized ECP5 netlist: the slowest register groups, estimated.

    python -m scripts.path_classes build/fpga/synth/board.json [--top board] [--limit 15]

nextpnr reports one critical path per clock. To see what else stands between the design
and a faster clock, this walks Yosys' ``synth_ecp5`` netlist (``write_json``) and
estimates every register input's arrival time with a unit-delay model, then keeps the
worst endpoint of each *group*: the register's hierarchical name with tile numbers folded
(``chip.tileN.tile.engine.pos``), so the three tiles' copies count once.

The model (ns) is rough on purpose: a flip-flop's clock-to-out 0.6, a block RAM's 5.8 (as
nextpnr reports DP16KD on the LFE5U-85F-6), a LUT4 0.45, a carry cell 0.8 into its chain
and 0.06 per cell along it, a multiplier 4.5, the slice muxes (PFUMX, L6MUX21) 0.25 from
their LUTs, and 0.9 of routing per general net. Placement decides the real figure; the
*ranking* is what this is for (``docs/fpga.md`` compares it with nextpnr's critical path).
``scripts/fpga.py`` adds the classes to its report.
"""

import argparse
import json
import re
import sys

ROUTE = 0.9
CLOCK_TO_OUT = {"TRELLIS_FF": 0.6, "DP16KD": 5.8, "PDPW16KD": 5.8}
#: Cells that start and end paths (their outputs are registered or external).
SOURCES = {"TRELLIS_FF", "DP16KD", "PDPW16KD", "TRELLIS_IO", "EHXPLLL", "DCCA"}


class _Netlist:
    def __init__(self, module):
        self.cells = module["cells"]
        self.names = {}
        for name, net in module["netnames"].items():
            for b in net["bits"]:
                if isinstance(b, int) and (b not in self.names or len(name) < len(self.names[b])):
                    self.names[b] = name
        self.driver = {}
        for cn, c in self.cells.items():
            for port, bits in c["connections"].items():
                if c["port_directions"].get(port) == "output":
                    for b in bits:
                        if isinstance(b, int):
                            self.driver[b] = (cn, port)
        self._memo = {}

    def arrival(self, bit):
        """(ns, logic levels, previous bit on the worst path) at net ``bit``'s driver."""
        stack, visiting = [bit], set()
        while stack:       # iterative depth-first walk: paths are thousands of cells deep
            b = stack[-1]
            if b in self._memo:
                stack.pop()
                continue
            visiting.add(b)
            pending = [x for x, _, _ in self._inputs(b)
                       if x not in self._memo and x not in visiting]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            self._memo[b] = self._eval(b)
        return self._memo[bit]

    def _inputs(self, b):
        """(input bit, cell delay, routing) of the cell driving ``b``."""
        if b not in self.driver:
            return []
        cn, port = self.driver[b]
        c = self.cells[cn]
        t, conns = c["type"], c["connections"]
        if t in SOURCES:
            return []

        def bits(ports, delay, route=ROUTE):
            return [(x, delay, route) for p in ports for x in conns.get(p, [])
                    if isinstance(x, int)]
        if t == "CCU2C":
            carry = 0.06 if port == "COUT" else 0.35
            return (bits(["A0", "B0", "C0", "D0", "A1", "B1", "C1", "D1"], 0.8)
                    + bits(["CIN"], carry, 0.0))
        if t == "MULT18X18D":
            return bits([p for p in conns if re.fullmatch(r"[AB]\d+", p)], 4.5)
        if t == "TRELLIS_DPR16X4":
            return bits(["RAD0", "RAD1", "RAD2", "RAD3"], 0.8)
        if t == "PFUMX":
            return bits(["ALUT", "BLUT"], 0.25, 0.0) + bits(["C0"], 0.3)
        if t == "L6MUX21":
            return bits(["D0", "D1"], 0.25, 0.0) + bits(["SD"], 0.3)
        ins = [p for p in conns if c["port_directions"].get(p) == "input"]
        return bits(ins, 0.45 if t == "LUT4" else 0.5)

    def _eval(self, b):
        if b not in self.driver:
            return 0.0, 0, None
        cn, _ = self.driver[b]
        t = self.cells[cn]["type"]
        if t in SOURCES:
            return CLOCK_TO_OUT.get(t, 0.0), 0, None
        best = (0.0, 0, None)
        for x, delay, route in self._inputs(b):
            ns, levels, _ = self._memo.get(x, (0.0, 0, None))    # (a loop: cut)
            cand = (ns + route + delay, levels + (route > 0), x)
            if cand[0] > best[0]:
                best = cand
        return best

    def start_of(self, bit):
        """The group of the register (or RAM) the worst path into ``bit`` starts from."""
        while (prev := self.arrival(bit)[2]) is not None:
            bit = prev
        return _group(self.driver[bit][0]) if bit in self.driver else "(constant or input)"

    def endpoints(self):
        for cn, c in self.cells.items():
            t, conns = c["type"], c["connections"]
            if t == "TRELLIS_FF":
                ports = ["DI", "CE", "LSR"]
            elif t in ("DP16KD", "PDPW16KD"):
                ports = [p for p in conns if c["port_directions"].get(p) == "input"
                         and not p.startswith("CLK")]
            elif t == "TRELLIS_DPR16X4":
                ports = [p for p in conns if p.startswith(("WAD", "DI", "WRE"))]
            else:
                continue
            for p in ports:
                for b in conns.get(p, []):
                    if isinstance(b, int):
                        yield cn, p, b


def _group(cell_name):
    """A register's group: its name without Yosys' mapping suffixes, tiles folded."""
    name = re.sub(r"(_TRELLIS_FF|_DP16KD|_DPR16X4|\$).*", "", cell_name)
    name = re.sub(r"\.\d+\.\d+$", "", name)            # a memory's block-RAM tile
    return re.sub(r"tile\d+", "tileN", name)


def path_classes(netlist, top="board", limit=15):
    """The ``limit`` slowest register groups of ``netlist`` (a parsed ``write_json``):
    ``[{"end", "start", "estimated_ns", "levels"}]``, slowest first."""
    n = _Netlist(netlist["modules"][top])
    worst = {}
    for cn, _, b in n.endpoints():
        ns, levels, _ = n.arrival(b)
        ns, g = ns + ROUTE, _group(cn)
        if g not in worst or ns > worst[g][0]:
            worst[g] = (ns, levels, b)
    ranked = sorted(worst.items(), key=lambda kv: -kv[1][0])[:limit]
    return [{"end": g, "start": n.start_of(b), "estimated_ns": round(ns, 1), "levels": lv}
            for g, (ns, lv, b) in ranked]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("netlist", help="Yosys write_json output (board.json of scripts.fpga)")
    ap.add_argument("--top", default="board")
    ap.add_argument("--limit", type=int, default=15)
    args = ap.parse_args(argv)
    with open(args.netlist) as f:
        classes = path_classes(json.load(f), args.top, args.limit)
    for c in classes:
        print(f"{c['estimated_ns']:6.1f} ns {c['levels']:3d} levels  {c['start']} -> {c['end']}")


if __name__ == "__main__":
    sys.exit(main())
