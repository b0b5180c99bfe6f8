"""Small Brightway CSV inventories written by tests (hand-checkable numbers)."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "name,reference product,amount,unit,location,database,categories,type,"
    "uncertainty type,loc,scale,minimum,maximum,comment"
)


def activity(name, code, unit, location, exchanges, stage=None, ref=None):
    lines = [
        f'Activity,"{name}"',
        f"code,{code}",
        f'reference product,"{ref or name}"',
        f"unit,{unit}",
        f"location,{location}",
    ]
    if stage:
        lines.append(f"stage,{stage}")
    lines += ["Exchanges", HEADER]
    lines.append(f'"{name}","{ref or name}",1,{unit},{location},,,production,,,,,,')
    for e in exchanges:
        lines.append(e)
    return "\n".join(lines) + "\n"


def bio(name, amount, categories="air", unit="kilogram", unc=("", "", "")):
    return (
        f'"{name}",,{amount},{unit},,biosphere3,{categories},biosphere,'
        f"{unc[0]},{unc[1]},{unc[2]},,,test"
    )


def tech(name, amount, unit, location, database="", ref=None):
    return f'"{name}","{ref or name}",{amount},{unit},{location},{database},,technosphere,,,,,,test'


def database(name, *activities):
    return f"Database,{name}\n\n" + "\n".join(activities)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def background(db="t-bg"):
    """Grid electricity: 0.5 kg CO2 fossil + 0.001 kg CH4 fossil + 0.0001 kg N2O per kWh.
    AR6 GWP100: 0.5 + 0.0298 + 0.0273 = 0.5571 kg CO2e/kWh.
    Wood pellets: 1.0 kg CO2 in air taken up, 0.002 kg CH4 non-fossil, 0.01 kg CO2 from soil or
    biomass stock per kg: 27 x 0.002 + 0.01 = 0.064 kg CO2e/kg (biogenic 0.054, land use 0.01).
    """
    return database(
        db,
        activity(
            "grid electricity",
            "elec",
            "kilowatt hour",
            "CN",
            [
                bio("Carbon dioxide, fossil", 0.5),
                bio("Methane, fossil", 0.001),
                bio("Dinitrogen monoxide", 0.0001),
            ],
        ),
        activity(
            "wood pellets",
            "pellets",
            "kilogram",
            "GLO",
            [
                bio("Carbon dioxide, in air", 1.0, "natural resource::in air"),
                bio("Methane, non-fossil", 0.002),
                bio("Carbon dioxide, from soil or biomass stock", 0.01),
            ],
        ),
    )


def products(db="t-prod", bg="t-bg"):
    """widget (production): 2 kWh + 1 part; part (raw materials): 3 kWh + 0.5 kg pellets, and
    direct 0.1 kg CO2 fossil; delivery (distribution) is consumed by widget: 0.2 kg CO2.

    widget total = 2 x 0.5571 + [3 x 0.5571 + 0.5 x 0.064 + 0.1] + 0.2
                 = 1.1142 + 1.8033 + 0.2 = 3.1175 kg CO2e
    by stage: production 1.1142, raw_material_acquisition 1.8033, distribution 0.2
    """
    return database(
        db,
        activity(
            "widget",
            "widget",
            "unit",
            "CN",
            [
                tech("grid electricity", 2, "kilowatt hour", "CN", bg),
                tech("part", 1, "unit", "CN"),
                tech("delivery", 1, "unit", "CN"),
            ],
            stage="production",
        ),
        activity(
            "part",
            "part",
            "unit",
            "CN",
            [
                tech("grid electricity", 3, "kilowatt hour", "CN", bg),
                tech("wood pellets", 0.5, "kilogram", "GLO", bg),
                bio("Carbon dioxide, fossil", 0.1),
            ],
            stage="raw_material_acquisition",
        ),
        activity(
            "delivery",
            "delivery",
            "unit",
            "CN",
            [
                bio("Carbon dioxide, fossil", 0.2),
            ],
            stage="distribution",
        ),
    )


def assert_stages_sources_uncertainty(engine, db, markers=("Source:", "bookkeeping")):
    """Every activity of shipped database ``db`` has a life-cycle stage, and every input
    exchange a comment naming its source (one of ``markers``) and an uncertainty (lognormal or
    uniform): the per-product check of the files under inventories/products/."""
    from lca.footprint import STAGES

    for act in engine.project.bd.Database(db):
        assert act.get("stage") in STAGES, act["code"]
        for exc in act.exchanges():
            if exc["type"] == "production":
                continue
            c = exc.get("comment", "")
            assert any(m in c for m in markers), (act["code"], c)
            assert exc.get("uncertainty type") in (2, 4), (act["code"], exc.input)
