"""Every number ``pcf demo`` writes stays what it was when its snapshot was last written.

``tests/data/demo-numbers.json`` holds every numeric field of the demo's JSON and CSV outputs
(2,341 numbers: footprints, stage/gas/process tables, both supply chains, hotspots, the
reduction plan, the factory gap, the PACT and battery documents), written by
``pcf demo --iterations 0``. First written at commit 80c84cb (before the layout refactor of
issue 12, which moved no number); rewritten on 2026-12-05 for the intended changes of issues 10
and 11: Chinese electricity in product systems at the MEE/NBS/NEA 2024 carbon-footprint factor
at the consumer (0.6104 instead of 0.5306), the cell modelled as a cell, the packs as the
declared products with the EU Battery Regulation systems, and the new key products; rewritten
again the same day for the second round of issue 11: cell-factory energy from Degen et al. 2023
(LFP cell 48.91, pack 64.68, NMC811 pack 67.62), primary aluminium cradle-to-gate (14.95), the
PV module at the 2023 vintage (475.9 per kWp), steel routes and polypropylene; then 168
biogenic / land-use zeros of products whose chain does not assess them became empty (not
assessed) and the scorecard CSV got readable headers with units (no value changed); rewritten
for the third round (2026-12-05): polypropylene with its USLCI feedstock chain (1.7855), the
aluminium ingot with bauxite, anode materials and casting (15.768), the PV module with the 2023
granular-silicon share (462.3 per kWp), the NMC811 pack split cell -> module -> pack (same
total, last digits) and the carbon content of each product in footprints.json; then the GREET
2024 battery materials booked as their published gases (LFP pack 65.39, NMC811 pack 68.43; new
gas rows); then the laptop battery's GREET NMC622 materials booked as their gases the same way
(laptop manufacture 140.4232 -> 140.4730; 12 new gas rows); then the gas breakdowns keep the
part of CO2e aggregates in a row of its own ('CO2e aggregates', no longer counted as CO2) and
name the perfluorocarbons by formula (CF4, C2F6 for R-14, HFC-116): no total moved; then the
plan and MACC CSVs' headers carry their units (the marginal cost per tonne, x 1000), and the
plant trajectory counts its scope-1 lines (scope1_sources; 0 = none reported); the supplier
report's rank column is named for what it ranks by (score). Left out:
identifiers, timestamps, paths, run times and Monte Carlo draws (not reproducible across
processes before that commit: issue 9). Two cold projects order their matrices differently, so sums round
differently in the last bits: numbers are compared to 1e-9 relative (1e-12 absolute for values
that are zero up to round-off), far below any printed digit.

Regenerate (only for an intended change of numbers, said in the commit)::

    pcf demo --out OUT --iterations 0 && python tests/test_demo_numbers.py OUT
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "data" / "demo-numbers.json"
SKIP_FILES = {"montecarlo-draws.csv"}
SKIP_KEYS = {"uncertainty", "seconds", "files", "data_dir", "id", "created", "updated", "samples"}


def _leaves(o, prefix: str, out: dict) -> None:
    if isinstance(o, dict):
        for k, v in o.items():
            if k not in SKIP_KEYS:
                _leaves(v, f"{prefix}/{k}", out)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            _leaves(v, f"{prefix}[{i}]", out)
    elif isinstance(o, (int, float)) and not isinstance(o, bool):
        out[prefix] = o


def demo_numbers(root: Path) -> dict[str, float]:
    """Every numeric leaf of the JSON files and numeric cell of the CSV files under ``root``."""
    out: dict[str, float] = {}
    for f in sorted(Path(root).rglob("*")):
        rel = f.relative_to(root).as_posix()
        if f.name in SKIP_FILES:
            continue
        if f.suffix == ".json":
            _leaves(json.loads(f.read_text(encoding="utf-8")), rel, out)
        elif f.suffix == ".csv":
            with f.open(encoding="utf-8", newline="") as fh:
                for i, row in enumerate(csv.DictReader(fh)):
                    for k, v in row.items():
                        try:
                            out[f"{rel}[{i}]/{k}"] = float(v)
                        except (TypeError, ValueError):
                            pass
    return out


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12


def test_demo_numbers_unchanged(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PCF_DATA_DIR=str(tmp_path / "bw"))
    p = subprocess.run(
        [sys.executable, "-m", "pcf", "demo", "--out", str(out), "--iterations", "0", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    now = demo_numbers(out)
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(set(before) - set(now)) == [] and sorted(set(now) - set(before)) == []
    changed = {k: (before[k], now[k]) for k in before if not _same(before[k], now[k])}
    assert changed == {}


if __name__ == "__main__":  # python tests/test_demo_numbers.py OUT: rewrite the snapshot
    numbers = demo_numbers(Path(sys.argv[1]))
    SNAPSHOT.write_text(json.dumps(numbers, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(numbers)} numbers -> {SNAPSHOT}")
