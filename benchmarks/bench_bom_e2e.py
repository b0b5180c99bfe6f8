"""BENCH bom-e2e: ``pcf bom rollup`` of a 1,000,000-row BOM CSV, end to end, against the time
pandas takes to read the same file.

Here ``ratio = ours / baseline`` and LOWER is better (the line says so): the target is that the
whole user path costs at most 4 reads of the file with ``pandas.read_csv``.

The BOM (generated once into ``benchmarks/.cache``, seeded): 1,000,000 rows, one root row and
999,999 BOM lines over ~910,000 parts; part ``j`` is a component of a random earlier part (a
tree of depth ~15, as :mod:`benchmarks.bench_bom`) plus extra lines for shared components, part
ids shuffled; every part is counted in kg, and 10 % of the shared-component lines state
their quantity in grams. Leaves take their footprint from one of the 20,000 activities of the synthetic
background (:mod:`benchmarks.synthetic`, the system the other benches use, written with its
method into a Brightway directory of the engine's own layout in ``benchmarks/.cache``), from a
supplier PCF (a 2,000-row PCF table passed with ``--pcf``), or from own direct emissions;
suppliers and countries are set so the hotspot tables have something to group.

``ours``: ``pcf --data-dir DIR bom rollup BOM.csv --pcf PCFS.csv --method synthetic|... --json``
invoked in-process (Typer's ``CliRunner``, as the tests do) on a warm project (imports done, the
background system built once before timing, as a second ``pcf`` call in a session finds it
cached on disk). ``baseline``: ``pandas.read_csv`` of the same file, in the same run. The root's
footprint is checked against the array kernel :func:`supply_chain.bom_math.rollup_csr` fed with
the generator's own arrays (relative difference printed; must be <= 1e-9). Peak RSS is the
``pcf`` process's (``VmHWM``, :mod:`benchmarks._rss`).

A second reference is printed beside them (not in the ratio): the same file rolled up the
direct way with pandas and scipy (:func:`_direct`), which checks nothing and links nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from ._rss import peak_gib

TARGET = 4
ROWS = 1_000_000
N_PCFS = 2000
SEED = 13
CACHE = Path(__file__).resolve().parent / ".cache"
COUNTRIES = ("CN", "DE", "US", "JP", "KR", "VN", "IN", "MX", "PL", "FR")


def make_arrays(rows: int = ROWS, seed: int = SEED, n_activities: int = 20_000) -> dict:
    """The BOM as arrays: ``rows - 1`` lines ``parent -> child`` over parts ``0..n-1`` (0 is
    the root), quantities per line and each part's source."""
    rng = np.random.default_rng(seed)
    lines = rows - 1
    n = int(lines / 1.1)
    child = np.arange(1, n)
    parent = (rng.random(n - 1) * child).astype(np.int64)
    extra = lines - (n - 1)
    ec = rng.integers(1, n, 2 * extra)
    ep = (rng.random(2 * extra) * ec).astype(np.int64)
    tree = set(zip(parent.tolist(), child.tolist()))
    seen, ep2, ec2 = set(), [], []
    for a, b in zip(ep.tolist(), ec.tolist()):
        if (a, b) not in tree and (a, b) not in seen:
            seen.add((a, b))
            ep2.append(a)
            ec2.append(b)
            if len(ep2) == extra:
                break
    p = np.r_[parent, np.array(ep2, dtype=np.int64)]
    c = np.r_[child, np.array(ec2, dtype=np.int64)]
    tree_line = np.r_[np.ones(n - 1, dtype=bool), np.zeros(len(ep2), dtype=bool)]
    order = np.argsort(c, kind="stable")  # rows ordered by component: parents come first
    p, c, tree_line = p[order], c[order], tree_line[order]
    qty = np.round(rng.uniform(0.05, 1.0, len(p)), 6)
    # every part is counted in kg (its first line, the tree line, says kg); 10 % of the other
    # lines state the quantity in g
    grams = (rng.random(len(p)) < 0.1) & ~tree_line
    loss = np.where(rng.random(len(p)) < 0.2, np.round(rng.uniform(0, 0.2, len(p)), 3), 0.0)
    leaf = np.ones(n, dtype=bool)
    leaf[p] = False
    kind = rng.random(n)  # leaves: < 0.6 Brightway, < 0.8 supplier PCF, else direct
    act = rng.integers(0, n_activities, n)
    pcf = rng.integers(0, N_PCFS, n)
    direct = np.round(rng.uniform(0.0, 2.0, n), 4)
    has_direct = (~leaf & (rng.random(n) < 0.1)) | (leaf & (kind >= 0.8))
    return {
        "n": n,
        "labels": rng.permutation(n),
        "parent": p,
        "child": c,
        "qty": qty,
        "grams": grams,
        "loss": loss,
        "leaf": leaf,
        "kind": kind,
        "act": act,
        "pcf": pcf,
        "direct": np.where(has_direct, direct, 0.0),
        "has_direct": has_direct,
        "supplier": rng.integers(0, 500, n),
        "country": rng.integers(0, len(COUNTRIES), n),
        "pcf_values": np.round(rng.uniform(0.5, 20.0, N_PCFS), 3),
    }


def write_files(arrs: dict, directory: Path, rows: int = ROWS) -> tuple[Path, Path]:
    """The BOM CSV and the PCF table (written once; kept in the cache)."""
    import pandas as pd

    directory.mkdir(parents=True, exist_ok=True)
    bom, pcfs = directory / f"bom-{rows}-{SEED}.csv", directory / f"pcfs-{N_PCFS}-{rows}-{SEED}.csv"
    if not pcfs.exists():
        pd.DataFrame(
            {
                "id": [f"pcf-{k:04d}" for k in range(N_PCFS)],
                "value": arrs["pcf_values"],
                "unit": "kilogram",
                "product": [f"bench product {k}" for k in range(N_PCFS)],
                "company": [f"supplier-{k % 500}" for k in range(N_PCFS)],
                "primary_data_share": 50,
                "status": "Active",
            }
        ).to_csv(pcfs, index=False)
    if bom.exists():
        return bom, pcfs
    n, lab = arrs["n"], arrs["labels"]
    part_id = np.array([f"P{k:07d}" for k in lab.tolist()], dtype=object)
    leaf, kind = arrs["leaf"], arrs["kind"]
    activity = np.where(
        leaf & (kind < 0.6), [f"synthetic|a{a:06d}" for a in arrs["act"].tolist()], ""
    )
    pcf_id = np.where(leaf & (kind >= 0.6) & (kind < 0.8),
                      [f"pcf-{k:04d}" for k in arrs["pcf"].tolist()], "")  # fmt: skip
    direct = np.where(arrs["has_direct"], arrs["direct"].astype(str), "")
    supplier = np.array([f"supplier-{k}" for k in arrs["supplier"].tolist()], dtype=object)
    country = np.array(COUNTRIES, dtype=object)[arrs["country"]]
    p, c = arrs["parent"], arrs["child"]
    qty = np.where(arrs["grams"], arrs["qty"] * 1000, arrs["qty"])
    df = pd.DataFrame(
        {
            "part": np.r_[part_id[:1], part_id[c]],
            "parent": np.r_[[""], part_id[p]],
            "quantity": np.r_[[""], [f"{v:.10g}" for v in qty.tolist()]],
            "unit": np.r_[["piece"], np.where(arrs["grams"], "g", "kg")],
            "loss": np.r_[[""], np.where(arrs["loss"] > 0, arrs["loss"].astype(str), "")],
            "supplier": np.r_[supplier[:1], supplier[c]],
            "country": np.r_[country[:1], country[c]],
            "activity": np.r_[activity[:1], activity[c]],
            "pcf_id": np.r_[pcf_id[:1], pcf_id[c]],
            "direct": np.r_[direct[:1], direct[c]],
        }
    )
    tmp = bom.with_suffix(".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, bom)
    del n
    return bom, pcfs


def project_dir(system) -> Path:
    """A Brightway directory of the engine's layout (project ``pcf``: biosphere and climate
    methods, as ``pcf`` creates it) holding the synthetic background and its method; built on
    first use (~1 min), then reused."""
    from lca.project import open_project

    from .synthetic import write_brightway

    directory = CACHE / "bom-e2e" / f"bw-{system.spec.key()}"
    proj = open_project(directory)
    marker = directory / "complete-synthetic"
    if not marker.exists() or "synthetic" not in proj.bd.databases:
        if "synthetic" in proj.bd.databases:
            del proj.bd.databases["synthetic"]
        write_brightway(system, "synthetic")
        marker.write_text(system.spec.key())
    return directory


def _run_pcf(args: list[str]) -> tuple[float, float, dict]:
    """``pcf ARGS`` in-process (CliRunner): seconds, this process's peak RSS (GiB), the JSON.

    The peak is the kernel's high-water mark of this process's memory (``VmHWM``), not
    ``getrusage``'s ``ru_maxrss``, which in a spawned child keeps the parent's peak from before
    the ``exec``."""
    from typer.testing import CliRunner

    from pcf.app import app

    t = time.perf_counter()
    r = CliRunner().invoke(app, args)
    dt = time.perf_counter() - t
    if r.exit_code != 0:
        raise RuntimeError(f"pcf {' '.join(args)} failed ({r.exit_code}): {r.stderr}")
    return dt, peak_gib(), json.loads(r.stdout)


def _in_child(ctx, target, *args):
    """``target(*args, conn)`` in a new process of ``ctx``: what it sends back (an exception
    it sends is raised here)."""
    recv, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=target, args=(*args, send))
    child.start()
    try:
        got = recv.recv()
    finally:
        child.join()
    if isinstance(got, Exception):
        raise got
    return got


def _prepare(conn) -> None:
    """:func:`project_dir` of the synthetic system; sends its path."""
    try:
        from .synthetic import generate

        conn.send(str(project_dir(generate())))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        conn.send(exc)
    finally:
        conn.close()


#: The steps of the user path timed apart in the breakdown line: (module, function, label).
STEPS = (
    ("supply_chain.bom", "read_bom_arrays", "read BOM"),
    ("supply_chain.bom_read", "_table", "CSV parse"),
    ("supply_chain.bom_read", "_id_codes", "part ids"),
    ("supply_chain.bom_math", "bom_levels", "levels"),
    ("supply_chain", "read_pcf_table", "PCF table"),
    ("supply_chain", "select_pcfs", "PCF choice"),
    ("lca.project", "open_project", "open project"),
    ("supply_chain.roll_up", "choose_sources", "sources"),
    ("supply_chain.roll_up", "_background", "background"),
    ("supply_chain.roll_up", "_rolled_edges", "edges"),
    ("supply_chain.roll_up", "_solve", "solve"),
    ("supply_chain", "rollup", "roll-up"),
    ("supply_chain", "hotspots", "hotspots"),
)


def _timed_steps() -> dict:
    """Wrap each of :data:`STEPS` (looked up through its module at call time by the command)
    with a wall-clock timer; returns the dict the seconds add up in."""
    import importlib

    spent: dict = {}
    for mod, name, label in STEPS:
        m = importlib.import_module(mod)
        f = getattr(m, name)

        def timed(*a, _f=f, _label=label, **k):
            t = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t

        setattr(m, name, timed)
    return spent


def _ours(args: list[str], warm: list[str], conn) -> None:
    """In a fresh (spawned) process, so its peak RSS is the command's alone: one warm-up call
    on a 4-line BOM linking one background activity (imports; the background's intensities
    computed, or found in the project's cache, as a first call of a session leaves them), then
    the timed call (its steps timed apart too: :data:`STEPS`)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            spent = _timed_steps()
            _run_pcf(warm)
            before = peak_gib()
            spent.clear()
            conn.send((*_run_pcf(args), before, dict(spent)))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        conn.send(exc)
    finally:
        conn.close()


def _direct(bom: str, conn) -> None:
    """In a fresh (spawned) process, as ours: a roll-up of the file with one hotspot table
    written the direct way, each step by a field library or the roll-up kernel, with no check
    of any rule, no unit, no footprint source but the ``direct`` column; sends ``(seconds,
    {step: seconds})``. A second reference beside the baseline: what the same file costs
    with the libraries' own tools, without the engine's array reader.

    Steps: ``pandas.read_csv`` (the baseline itself); ``pandas.factorize`` of the part and
    parent ids together (integer nodes); the CSR matrix ``Q`` (scipy); the roll-up
    ``x = (I - Q)^-1 d`` and the root's supply ``m = (I - Q^T)^-1 f`` (the kernels of
    :mod:`supply_chain.bom_math`, ``BENCH bom``); one hotspot table (contributions ``m d``
    summed by supplier, ``numpy.bincount``). What ``pcf bom rollup`` does beyond this (every
    rule of the BOM format checked with the row it names, units converted, each part's source
    chosen among background, supplier PCF, spend and own emissions, five hotspot tables, the
    JSON) is not in it."""
    try:
        import pandas as pd
        import scipy.sparse as sp

        from supply_chain.bom_math import rollup_csr, supply_vector

        spent: dict = {}
        t0 = t = time.perf_counter()

        def lap(label: str) -> None:
            nonlocal t
            now = time.perf_counter()
            spent[label] = now - t
            t = now

        df = pd.read_csv(bom)
        lap("read_csv")
        n = len(df)
        codes, uniq = pd.factorize(pd.concat([df["part"], df["parent"]], ignore_index=True))
        part, parent = codes[:n], codes[n:]
        lap("factorize ids")
        size = len(uniq)
        line = parent >= 0
        Q = sp.csr_matrix(
            (df["quantity"].to_numpy()[line], (parent[line], part[line])), shape=(size, size)
        )
        lap("CSR")
        d = np.zeros(size)
        d[part] = df["direct"].fillna(0.0).to_numpy()
        x = rollup_csr(Q, d)
        f = np.zeros(size)
        f[part[~line][0]] = 1.0
        m = supply_vector(Q, f)
        lap("roll-up and supply")
        sup, _ = pd.factorize(df["supplier"])
        by = np.zeros(size, dtype=np.int64)
        by[part] = sup
        np.bincount(by, weights=m * d)
        lap("one hotspot table")
        del x
        conn.send((time.perf_counter() - t0, spent))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        conn.send(exc)
    finally:
        conn.close()


def _reference_total(arrs: dict, system) -> float:
    """The root's footprint from the generator's arrays, in kilograms throughout, with the
    background intensities from the synthetic arrays (``λ = c B A⁻¹``, scipy's solver) and the
    roll-up kernel :func:`supply_chain.bom_math.rollup_csr`: nothing of the user path."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from supply_chain.bom_math import rollup_csr

    n = arrs["n"]
    c = np.asarray(system.cf, dtype=np.float32).astype(np.float64)  # as bw2calc stores them
    e = c @ system.B
    lam = spsolve(sp.csc_matrix(system.A.T), e)
    p, ch = arrs["parent"], arrs["child"]
    leaf, kind = arrs["leaf"], arrs["kind"]
    d = np.where(arrs["has_direct"], arrs["direct"], 0.0)  # per kg of the part
    bw = leaf & (kind < 0.6)
    d[bw] = lam[arrs["act"][bw]]
    pc = leaf & (kind >= 0.6) & (kind < 0.8)
    d[pc] = arrs["pcf_values"][arrs["pcf"][pc]]
    Q = sp.csr_matrix((arrs["qty"] / (1.0 - arrs["loss"]), (p, ch)), shape=(n, n))
    return float(rollup_csr(Q, d)[0])


def main(rows: int = ROWS) -> dict:
    import multiprocessing as mp

    import pandas as pd

    from .synthetic import METHOD, generate

    system = generate()
    # spawned, not forked: a forked child would count this process's pages (the synthetic
    # system, the generator's arrays) in its resident memory
    ctx = mp.get_context("spawn")
    # the Brightway directory is written in a process of its own: bw2data, once configured
    # for a directory, stays so, and the benchmarks run after this one open others
    directory = Path(_in_child(ctx, _prepare))
    arrs = make_arrays(rows)
    bom, pcfs = write_files(arrs, CACHE / "bom-e2e", rows)
    small = CACHE / "bom-e2e" / "warm-up.csv"
    # the warm-up links one background activity too: its intensities are computed (or found
    # cached) there, as a first call of a session leaves them on disk for the next
    small.write_text(
        "part,parent,quantity,unit,pcf_id,activity\nP,,,piece,,\nA,P,2,kg,pcf-0000,\n"
        "B,P,1,kg,,synthetic|a000000\n"
    )
    method = "|".join(METHOD)
    base = ["--data-dir", str(directory), "bom", "rollup"]
    tail = ["--pcf", str(pcfs), "--method", method, "--json"]
    ours, rss, summary, rss_before, steps = _in_child(
        ctx, _ours, [*base, str(bom), *tail], [*base, str(small), *tail]
    )
    baseline = []
    for _ in range(3):
        t = time.perf_counter()
        pd.read_csv(bom)
        baseline.append(time.perf_counter() - t)
    t = time.perf_counter()
    pd.read_csv(bom, dtype=str, keep_default_na=False)
    as_text = time.perf_counter() - t
    base_t = min(baseline)
    direct, direct_steps = _in_child(ctx, _direct, str(bom))
    ref = _reference_total(arrs, system)
    err = abs(summary["footprint"] - ref) / abs(ref)
    if err > 1e-9:
        raise AssertionError(f"bom-e2e: root footprint {summary['footprint']} != {ref} ({err})")
    load = os.getloadavg()[0]
    print(
        f"bom-e2e: {rows:,} rows ({bom.stat().st_size / 2**20:.0f} MiB), sources "
        f"{summary['sources']}; root footprint {summary['footprint']:.6g} {summary['unit']}, "
        f"relative difference to the kernel on the generator's arrays {err:.1e}"
    )
    print(
        f"bom-e2e: peak RSS of the pcf process {rss:.2f} GiB (after the warm-up call "
        f"{rss_before:.2f} GiB); pandas.read_csv {base_t:.3f} s (all columns as text, as the "
        f"old reader did: {as_text:.3f} s); load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    # inside read BOM / roll-up
    inner = ("CSV parse", "part ids", "levels", "sources", "background", "edges", "solve")
    rest = ours - sum(v for k, v in steps.items() if k not in inner)
    print(
        "bom-e2e: breakdown of ours (wall s): "
        + ", ".join(
            f"{k} {v:.2f}" if k not in inner else f"({k} {v:.2f})" for k, v in steps.items()
        )
        + f", the rest (CLI, JSON) {rest:.2f}"
    )
    print(
        f"bom-e2e: the pcf process grew by {rss - rss_before:.2f} GiB in the timed call (each "
        "page it touches first is a page fault, part of ours)"
    )
    print(
        f"bom-e2e: the same file rolled up the direct way with pandas and scipy in a fresh "
        f"process (no rule checked, no unit, no source but 'direct', one hotspot table): "
        f"{direct:.3f} s = {direct / base_t:.1f}x the baseline ("
        + ", ".join(f"{k} {v:.3f}" for k, v in direct_steps.items())
        + ")"
    )
    print("bom-e2e: ratio = ours / baseline here: LOWER is better (target: at most 4)")
    print(
        f"BENCH bom-e2e: ours={ours:.3f} baseline={base_t:.3f} ratio={ours / base_t:.1f} "
        f"target={TARGET}",
        flush=True,
    )
    return {
        "ours": ours,
        "baseline": base_t,
        "ratio": ours / base_t,
        "target": TARGET,
        "direct": direct,
        "rss": rss,
        "rss_workers": rss,  # the spawned pcf process (benchmarks/_rss.py)
    }


if __name__ == "__main__":
    main()
