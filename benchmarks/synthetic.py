"""A seeded synthetic technosphere at ecoinvent scale, as plain arrays or as a bw2data database.

Structure (what makes LU factorisation behave like on ecoinvent): activities sit in blocks of
``block`` consecutive activities; most inputs come from a window of nearby activities, a few from
a small set of hub activities (electricity, transport, heat...), a very few from anywhere. A purely
random matrix of the same density fills in almost completely under LU; this one does not.

Sign convention is Brightway's after assembly: production +1 on the diagonal, inputs negative.
Each activity's inputs add up to ``input_share`` units per unit of output (0.2-0.6), so the
system is productive (``A⁻¹ ≥ 0`` through a converging Neumann series) and nonsingular, also
after lognormal perturbation.

Uncertainty: lognormal (stats_arrays id 2) on a share of the input and emission exchanges,
``loc = ln|amount|`` (the static amount is the median, as in ecoinvent), ``scale`` (σ of the
underlying normal) uniform in a range. Parameters are stored with the *magnitude* of the amount,
as bw2data stores technosphere inputs (positive amounts, sign flipped when the matrix is built).

Usage::

    system = generate(SyntheticSpec())                  # plain arrays (no Brightway import)
    write_brightway(system, database="synthetic")        # into the current bw2data project
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from bw_processing import UNCERTAINTY_DTYPE  # stats_arrays records, float32 as Brightway stores
from stats_arrays import LognormalUncertainty, UndefinedUncertainty

#: The three greenhouse gases: (biosphere3 name, categories), GWP100 (IPCC AR6, as bw2io's
#: bundled 'IPCC 2021' method).
GHG_FLOWS = (
    ("Carbon dioxide, fossil", ("air",), 1.0),
    ("Methane, fossil", ("air",), 29.8),
    ("Dinitrogen monoxide", ("air",), 273.0),
)
METHOD = ("synthetic", "IPCC 2021", "climate change", "GWP100")


@dataclass(frozen=True)
class SyntheticSpec:
    """Parameters of a synthetic system (all of them enter the cache key)."""

    n_activities: int = 20_000
    inputs_per_activity: int = 14
    block: int = 40
    window: int = 60
    n_hubs: int = 60
    hub_inputs: int = 3
    far_share: float = 0.06
    input_share: tuple[float, float] = (0.2, 0.6)
    uncertain_share_technosphere: float = 0.6
    uncertain_share_biosphere: float = 0.8
    sigma_technosphere: tuple[float, float] = (0.05, 0.3)
    sigma_biosphere: tuple[float, float] = (0.1, 0.5)
    seed: int = 42

    def key(self) -> str:
        """Short hash of the parameters, for cache file names."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:12]


@dataclass
class SyntheticSystem:
    """Plain arrays of a synthetic system.

    Technosphere entries ``(tech_row, tech_col, tech_amount)`` are in the assembled sign
    convention (production positive, inputs negative), diagonal included. ``tech_params`` is a
    stats_arrays parameter array aligned with them, holding the magnitude (``loc = ln|amount|``)
    and ``tech_flip`` marks the entries whose sign is flipped (inputs), as bw_processing does.
    Biosphere entries ``(bio_row, bio_col, bio_amount)``: row ``k`` is ``GHG_FLOWS[k]``.
    ``cf`` holds the characterisation factors of :data:`METHOD`, one per biosphere row.
    """

    spec: SyntheticSpec
    tech_row: np.ndarray
    tech_col: np.ndarray
    tech_amount: np.ndarray
    tech_flip: np.ndarray
    tech_params: np.ndarray
    bio_row: np.ndarray
    bio_col: np.ndarray
    bio_amount: np.ndarray
    bio_params: np.ndarray
    cf: np.ndarray

    @property
    def n(self) -> int:
        return self.spec.n_activities

    @property
    def A(self) -> sp.csr_matrix:
        return sp.csr_matrix(
            (self.tech_amount, (self.tech_row, self.tech_col)), shape=(self.n, self.n)
        )

    @property
    def B(self) -> sp.csr_matrix:
        return sp.csr_matrix(
            (self.bio_amount, (self.bio_row, self.bio_col)), shape=(len(self.cf), self.n)
        )

    def codes(self) -> list[str]:
        return [f"a{j:06d}" for j in range(self.n)]


def _f32(x: np.ndarray) -> np.ndarray:
    """Round to float32 precision: bw_processing stores amounts as float32, so the plain arrays
    and the Brightway database then hold exactly the same numbers."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _params(amount: np.ndarray, uncertain: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    p = np.zeros(len(amount), dtype=UNCERTAINTY_DTYPE)
    p["uncertainty_type"] = UndefinedUncertainty.id
    p["loc"] = np.abs(amount)
    p["scale"] = p["shape"] = p["minimum"] = p["maximum"] = np.nan
    p["loc"][uncertain] = np.log(np.abs(amount[uncertain]))
    p["scale"][uncertain] = sigma[uncertain]
    p["uncertainty_type"][uncertain] = LognormalUncertainty.id
    return p


def generate(spec: SyntheticSpec | None = None) -> SyntheticSystem:
    """Generate the system described by ``spec`` (deterministic for a given spec)."""
    spec = spec or SyntheticSpec()
    rng = np.random.default_rng(spec.seed)
    n = spec.n_activities
    # hubs (electricity, transport, ...) and far suppliers sit upstream (lower index), so the
    # system is block triangular apart from local loops, as supply chains are; this is what keeps
    # LU fill-in at ecoinvent's level
    hubs = rng.choice(max(spec.n_hubs, n // 20), size=spec.n_hubs, replace=False)
    n_local = spec.inputs_per_activity - spec.hub_inputs
    rows, cols = [], []
    for j in range(n):
        block_start = (j // spec.block) * spec.block
        lo = max(0, block_start - spec.window // 2)
        hi = min(n, block_start + spec.block + spec.window // 2)
        near = rng.choice(np.arange(lo, hi), size=min(n_local + 1, hi - lo), replace=False)
        chosen = set(near[near != j][:n_local].tolist())
        chosen.update(int(h) for h in rng.choice(hubs, size=spec.hub_inputs, replace=False))
        if j and rng.random() < spec.far_share:
            chosen.add(int(rng.integers(0, j)))
        chosen.discard(j)
        ins = np.fromiter(sorted(chosen), dtype=np.int64)
        rows.append(ins)
        cols.append(np.full(len(ins), j, dtype=np.int64))
    in_row, in_col = np.concatenate(rows), np.concatenate(cols)
    # input coefficients: random weights per column, normalised to the column's input share
    w = rng.lognormal(0.0, 1.0, size=len(in_row))
    share = rng.uniform(*spec.input_share, size=n)
    colsum = np.bincount(in_col, weights=w, minlength=n)
    in_amount = _f32(-w / colsum[in_col] * share[in_col])

    diag = np.arange(n, dtype=np.int64)
    tech_row = np.concatenate([diag, in_row])
    tech_col = np.concatenate([diag, in_col])
    tech_amount = np.concatenate([np.ones(n), in_amount])
    tech_flip = np.concatenate([np.zeros(n, bool), np.ones(len(in_row), bool)])
    unc = np.concatenate(
        [np.zeros(n, bool), rng.random(len(in_row)) < spec.uncertain_share_technosphere]
    )
    sig = rng.uniform(*spec.sigma_technosphere, size=len(tech_row))
    tech_params = _params(tech_amount, unc, sig)

    # emissions: CO2 from every activity, CH4 from 30 %, N2O from 15 %
    b_rows, b_cols, b_amt = [diag * 0], [diag], [rng.lognormal(0.0, 1.2, size=n)]
    for k, (p, scale) in enumerate(((0.3, 0.02), (0.15, 0.002)), start=1):
        sel = np.flatnonzero(rng.random(n) < p)
        b_rows.append(np.full(len(sel), k, dtype=np.int64))
        b_cols.append(sel)
        b_amt.append(scale * rng.lognormal(0.0, 1.2, size=len(sel)))
    bio_row, bio_col, bio_amount = map(np.concatenate, (b_rows, b_cols, b_amt))
    bio_amount = _f32(bio_amount)
    order = np.lexsort((bio_row, bio_col))
    bio_row, bio_col, bio_amount = bio_row[order], bio_col[order], bio_amount[order]
    bunc = rng.random(len(bio_row)) < spec.uncertain_share_biosphere
    bsig = rng.uniform(*spec.sigma_biosphere, size=len(bio_row))
    bio_params = _params(bio_amount, bunc, bsig)
    cf = _f32(np.array([g[2] for g in GHG_FLOWS]))  # CFs are stored as float32 too
    return SyntheticSystem(
        spec, tech_row, tech_col, tech_amount, tech_flip, tech_params,
        bio_row, bio_col, bio_amount, bio_params, cf,
    )  # fmt: skip


def _exchange(input_key, amount: float, kind: str, p) -> dict:
    exc = {"input": input_key, "amount": float(amount), "type": kind}
    if p["uncertainty_type"] == LognormalUncertainty.id:
        exc.update({"uncertainty type": 2, "loc": float(p["loc"]), "scale": float(p["scale"])})
    return exc


def ghg_flow_keys() -> list[tuple[str, str]]:
    """Keys of :data:`GHG_FLOWS` in ``biosphere3`` (created offline if missing)."""
    import bw2data as bd  # late on purpose: the caller sets BRIGHTWAY2_DIR first (brightway.py)

    if "biosphere3" not in bd.databases:
        import bw2io  # late on purpose, as bw2data above

        bw2io.create_default_biosphere3()
    wanted = {(name, cats): i for i, (name, cats, _) in enumerate(GHG_FLOWS)}
    keys: list = [None] * len(GHG_FLOWS)
    for flow in bd.Database("biosphere3"):
        i = wanted.get((flow["name"], tuple(flow["categories"])))
        if i is not None:
            keys[i] = flow.key
    missing = [GHG_FLOWS[i][0] for i, k in enumerate(keys) if k is None]
    if missing:
        raise LookupError(f"biosphere3 lacks {missing}")
    return keys


def write_brightway(system: SyntheticSystem, database: str = "synthetic") -> tuple:
    """Write ``system`` as bw2data database ``database`` in the *current* project.

    Also writes the GWP100 method :data:`METHOD` over the three real biosphere3 flows. Returns the
    method tuple. bw2data must already be configured (``BRIGHTWAY2_DIR`` set before its import).
    """
    import bw2data as bd  # late on purpose: BRIGHTWAY2_DIR is set before bw2data is imported

    flows = ghg_flow_keys()
    codes = system.codes()
    data: dict = {}
    t_order = np.argsort(system.tech_col, kind="stable")
    t_bounds = np.searchsorted(system.tech_col[t_order], np.arange(system.n + 1))
    b_bounds = np.searchsorted(system.bio_col, np.arange(system.n + 1))  # bio sorted by col
    for j, code in enumerate(codes):
        excs = []
        for e in t_order[t_bounds[j] : t_bounds[j + 1]]:
            i = int(system.tech_row[e])
            kind = "production" if i == j else "technosphere"
            excs.append(
                _exchange((database, codes[i]), abs(system.tech_amount[e]), kind,
                          system.tech_params[e])
            )  # fmt: skip
        for e in range(b_bounds[j], b_bounds[j + 1]):
            excs.append(
                _exchange(flows[system.bio_row[e]], system.bio_amount[e], "biosphere",
                          system.bio_params[e])
            )  # fmt: skip
        data[(database, code)] = {
            "name": f"synthetic activity {j}",
            "unit": "kilogram",
            "location": "GLO",
            "reference product": f"product {j}",
            "type": "process",
            "exchanges": excs,
        }
    db = bd.Database(database)
    db.write(data)
    method = bd.Method(METHOD)
    if METHOD not in bd.methods:
        method.register(unit="kg CO2-Eq")
    method.write([(flow, float(cf)) for flow, cf in zip(flows, system.cf)])
    return METHOD
