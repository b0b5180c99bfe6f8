"""The supplier carbon portal: a FastAPI application mounted under ``/app`` of the node's ASGI
app (:func:`pcf.node.api.create_app`, ``pcf serve``).

Pages are rendered on the server with Jinja2 and work as plain HTML forms; ``static/portal.js``
(about a hundred lines of vanilla JavaScript, no framework) adds client-side sorting and
filtering of tables and polls a background job's status. Why not htmx: every interaction here
is a form post followed by a page (upload, solve, request, save), which needs no partial-page
swapping, and plain forms keep CSRF handling, tests and accessibility simple; nothing third-party
is served, so the portal works offline with no CDN and no vendored library.

Security: users sign in with a name and an argon2id-hashed password (:mod:`pcf.portal.data`);
the session is a cookie signed with itsdangerous (Starlette's ``SessionMiddleware``, the key
created once and kept in the store's settings, ``SameSite=Lax``, ``HttpOnly``). Every POST must
carry the session's CSRF token (a form field ``csrf`` or an ``X-CSRF-Token`` header, compared in
constant time) or it is refused with 403 before anything else happens. Roles: viewers read;
buyers upload, compute, request and edit suppliers; admins also manage users and API clients.

Long computations (roll-ups with their Monte Carlo rank stability, plans, scenario runs) run in
one background thread (:mod:`pcf.portal.jobs`); each reports its steps (fraction done and the
step's label), the page that started one polls ``/app/jobs/{id}/status``, shows a progress bar
and moves on when it is done.

Reduction planning: the levers table is a form (tick to use a lever, edit its cost, year,
share or factor; or upload a file), the plan is solved with the MILP and verified by the exact
re-solve, and a plan can be saved (table ``portal_plans``, revision 0004) and compared with
others side by side. Scenarios: a scenario set (``pcf scenario run``'s YAML/JSON) is saved
(``portal_scenario_sets``) and run on background activities, as the CLI does, and carried to a
product of the portfolio (:func:`pcf.portal.compute.run_scenario_set`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import logging
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pcf.node.store import Store

from . import data
from .charts import bar_chart, fmt, macc_chart, sankey_chart
from .compute import LEVER_EDITABLE, InputFile, edit_levers, lever_rows, traffic_light
from .i18n import label, translate
from .jobs import JobRunner

__all__ = ["create_portal"]

log = logging.getLogger(__name__)

PKG = resources.files("pcf.portal")
SESSION_HOURS = 8
MAX_UPLOAD = 20_000_000


class Refused(Exception):
    """A request refused: ``status`` and the label key of the message."""

    def __init__(self, status: int, key: str, detail: str = ""):
        super().__init__(key)
        self.status, self.key, self.detail = status, key, detail


def _example_dir() -> Path:
    from lca.data import inventories_dir

    return inventories_dir() / "bom"


#: The shipped example (ILLUSTRATIVE, inventories/bom/README.md): BOM, supplier PCFs, levers.
EXAMPLE = {
    "bom": "battery-pack-bom.csv",
    "pcfs": ("battery-pack-cathode-pcf.json", "battery-pack-supplier-pcfs.csv"),
    "levers": "battery-pack-levers.csv",
    "baseline": "battery-pack-baseline.csv",
    "scenarios": "battery-pack-scenarios.yaml",
}


def create_portal(
    store: Store,
    engine_loader: Callable[[], object],
    *,
    method=None,
    public_url: str | None = None,
    https_cookies: bool = False,
    today: Callable[[], dt.date] = dt.date.today,
    outbound_transport=None,
) -> FastAPI:
    """The portal over ``store``.

    Parameters
    ----------
    engine_loader
        Returns the :class:`lca.footprint.FootprintEngine` of the project holding the
        background datasets; called once, in the worker thread, on the first computation.
    method
        The impact method (default: :data:`lca.methods.DEFAULT`, as the CLI).
    public_url
        Our node's public base URL, for the ``source`` of PCF requests (default: the request's).
    https_cookies
        Mark the session cookie ``Secure`` (behind a TLS proxy).
    today
        The date supplier-PCF validity is checked on (tests fix it).
    """
    from lca.methods import DEFAULT

    method = method or DEFAULT
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    secret = store.setting("portal_session_key", lambda: secrets.token_urlsafe(48))
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="pcf_portal",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=https_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(PKG / "static")), name="static")
    templates = Jinja2Templates(directory=str(PKG / "templates"))
    templates.env.filters["fmt"] = fmt
    templates.env.globals["quote"] = lambda s: quote(str(s), safe="")
    jobs = JobRunner()
    engine_box: dict = {}
    app.state.jobs = jobs

    def engine():
        if "engine" not in engine_box:
            engine_box["engine"] = engine_loader()
        return engine_box["engine"]

    # -- sessions, roles, CSRF ----------------------------------------------------------------
    def csrf_token(request: Request) -> str:
        tok = request.session.get("csrf")
        if not tok:
            tok = request.session["csrf"] = secrets.token_urlsafe(32)
        return tok

    def current_user(request: Request) -> dict | None:
        uid = request.session.get("uid")
        return data.user(store, uid) if isinstance(uid, int) else None

    async def check_post(request: Request, role: str | None) -> tuple[dict | None, dict]:
        """The user and form of a POST: signed in with ``role`` or more, the CSRF token right."""
        form = await request.form(max_part_size=MAX_UPLOAD)
        user = await run_in_threadpool(current_user, request)
        try:
            if role is not None:
                if user is None:
                    raise Refused(401, "sign_in")
                if data.RANK[user["role"]] < data.RANK[role]:
                    raise Refused(403, "forbidden")
            sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
            expected = request.session.get("csrf") or ""
            if not expected or not hmac.compare_digest(str(sent).encode(), expected.encode()):
                raise Refused(403, "csrf_failed")
        except Refused:
            await form.close()  # uploaded files spooled to disk go at once
            raise
        return user, form

    def need_user(request: Request, role: str = "viewer") -> dict:
        user = current_user(request)
        if user is None:
            raise Refused(303, "sign_in")
        if data.RANK[user["role"]] < data.RANK[role]:
            raise Refused(403, "forbidden")
        return user

    def lang_of(request: Request, user: dict | None) -> str:
        if user is not None:
            return user["lang"]
        return request.session.get("lang", "en")

    def render(request: Request, template: str, user: dict | None, status: int = 200, **ctx):
        lang = lang_of(request, user)
        ctx.update(
            request=request,
            user=user,
            lang=lang,
            t=lambda key: translate(key, lang),
            stage=lambda v: label("stage", v, lang),
            unit=lambda v: label("unit", v, lang),
            label=lambda kind, v: label(kind, v, lang),
            csrf=csrf_token(request),
            base=str(request.scope.get("root_path", "")).rstrip("/"),
            can_buy=user is not None and data.RANK[user["role"]] >= data.RANK["buyer"],
            is_admin=user is not None and user["role"] == "admin",
        )
        return templates.TemplateResponse(request, template, ctx, status_code=status)

    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def redirect(request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(base(request) + path, status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        if exc.status == 303:
            return redirect(request, "/login")
        user = await run_in_threadpool(current_user, request)
        return render(
            request, "message.html", user, status=exc.status, key=exc.key, detail=exc.detail
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        user = await run_in_threadpool(current_user, request)
        key = "not_found" if exc.status_code == 404 else "error"
        return render(request, "message.html", user, status=exc.status_code, key=key, detail="")

    def user_error(request: Request, user, exc: Exception, status: int = 400):
        return render(request, "message.html", user, status=status, key="error", detail=str(exc))

    @app.get("/fonts/NotoSansSC-Regular.otf", include_in_schema=False)
    def font():
        # Noto Sans SC (SIL OFL) from the pylopdf-fonts-zh-cn package the PDF reports use:
        # Chinese labels render on machines without a CJK font, offline.
        import pylopdf_fonts_zh_cn

        path = Path(pylopdf_fonts_zh_cn.__file__).parent / "NotoSansSC-Regular.otf"
        return FileResponse(
            path, media_type="font/otf", headers={"Cache-Control": "public, max-age=604800"}
        )

    # -- sign-in --------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def home(request: Request):
        return redirect(request, "/suppliers")

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request):
        return render(request, "login.html", None, failed=False)

    @app.post("/login")
    async def login(request: Request):
        _, form = await check_post(request, None)
        found = await run_in_threadpool(
            data.authenticate, store, str(form.get("name", "")), str(form.get("password", ""))
        )
        if found is None:
            return render(request, "login.html", None, status=401, failed=True)
        request.session.clear()  # a new session: no fixation
        request.session["uid"] = found["id"]
        request.session["csrf"] = secrets.token_urlsafe(32)
        return redirect(request, "/suppliers")

    @app.post("/logout")
    async def logout(request: Request):
        await check_post(request, None)
        request.session.clear()
        return redirect(request, "/login")

    @app.post("/lang")
    async def set_lang(request: Request):
        user, form = await check_post(request, None)
        lang = "zh" if form.get("lang") == "zh" else "en"
        if user is not None:
            await run_in_threadpool(data.update_user, store, user["name"], lang=lang)
        else:
            request.session["lang"] = lang
        back = str(form.get("next") or "/suppliers")
        return redirect(request, back if back.startswith("/") and "//" not in back else "/")

    # -- jobs -----------------------------------------------------------------------------------
    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str):
        user = need_user(request)
        job = jobs.get(job_id)
        if job is None:
            raise StarletteHTTPException(404)
        if job.status == "done" and job.redirect:
            return redirect(request, job.redirect)
        return render(request, "job.html", user, job=job)

    @app.get("/jobs/{job_id}/status")
    def job_status(request: Request, job_id: str):
        need_user(request)
        job = jobs.get(job_id)
        if job is None:
            return JSONResponse({"status": "unknown"}, status_code=404)
        lang = lang_of(request, current_user(request))
        return {
            "status": job.status,
            "progress": round(job.progress, 3),
            "stage": translate(job.stage, lang),
            "error": job.error,
            "redirect": base(request) + job.redirect if job.redirect else None,
            "seconds": round((job.finished or time.time()) - job.started, 1),
        }

    # -- products -------------------------------------------------------------------------------
    def store_docs() -> list[dict]:
        """PACT documents received from suppliers' nodes (not uploads)."""
        return [r for r in store.supplier_footprints() if not r["source"].startswith("upload:")]

    def start_rollup(product_id: int, owner: int):
        def run(report):
            got = data.product_inputs(store, product_id)
            if got is None:
                raise data.PortalInputError(f"product {product_id}", "does not exist")
            _product, bom, pcfs = got
            from .compute import rollup_product

            on = today()
            result = rollup_product(
                engine(), method, bom, pcfs, store_docs=store_docs(), on=on, report=report
            )
            data.save_rollup(store, product_id, on.isoformat(), result)
            return f"/products/{product_id}"

        return jobs.submit("rollup", owner, run)

    @app.get("/products", response_class=HTMLResponse)
    def products_page(request: Request):
        user = need_user(request)
        return render(request, "products.html", user, products=data.products(store))

    async def _files(form, name: str) -> list[tuple[str, bytes]]:
        out = []
        for f in form.getlist(name):
            if isinstance(f, UploadFile):
                if f.filename:
                    out.append((Path(f.filename).name, await f.read()))
                await f.close()
        return out

    def _record_uploaded_pcfs(files: list[tuple[str, bytes]], user: dict) -> None:
        """PACT files uploaded are read as the roll-up reads them (bad ones refused before
        anything is stored) and kept among the supplier footprints, with their provenance."""
        from lca.errors import PCFError
        from supply_chain import read_pact, read_pcf_table

        with tempfile.TemporaryDirectory() as d:
            for name, content in files:
                p = Path(d) / name
                p.write_bytes(content)
                if name.lower().endswith(".json"):
                    read_pact(p)
                else:
                    read_pcf_table(p)
        for name, content in files:
            if not name.lower().endswith(".json"):
                continue
            try:
                obj = json.loads(content.decode("utf-8-sig"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise PCFError(f"{name}: not JSON: {exc}") from None
            docs = obj.get("data", obj) if isinstance(obj, dict) else obj
            for doc in docs if isinstance(docs, list) else [docs]:
                store.add_supplier_footprint(doc, f"upload:{name} ({user['name']})")

    @app.post("/products")
    async def upload_product(request: Request):
        user, form = await check_post(request, "buyer")
        boms = await _files(form, "bom")
        pcfs = await _files(form, "pcfs")
        if not boms:
            return user_error(request, user, ValueError(translate("bom_file", user["lang"])))
        from lca.errors import PCFError

        try:
            await run_in_threadpool(_record_uploaded_pcfs, pcfs, user)
        except PCFError as exc:
            return user_error(request, user, exc)
        name, content = boms[0]
        pid = await run_in_threadpool(
            data.add_product, store, str(form.get("name") or ""), name, content, user["name"], pcfs
        )
        job = start_rollup(pid, user["id"])
        return redirect(request, f"/jobs/{job.id}")

    @app.post("/products/example")
    async def example_product(request: Request):
        user, _form = await check_post(request, "buyer")
        d = _example_dir()
        pcfs = [(n, (d / n).read_bytes()) for n in EXAMPLE["pcfs"]]
        await run_in_threadpool(_record_uploaded_pcfs, pcfs, user)
        pid = await run_in_threadpool(
            data.add_product,
            store,
            "battery-pack",
            EXAMPLE["bom"],
            (d / EXAMPLE["bom"]).read_bytes(),
            user["name"],
            pcfs,
        )
        job = start_rollup(pid, user["id"])
        return redirect(request, f"/jobs/{job.id}")

    @app.get("/products/{product_id}", response_class=HTMLResponse)
    def product_page(request: Request, product_id: int):
        user = need_user(request)
        prods = {p["id"]: p for p in data.products(store)}
        if product_id not in prods:
            raise StarletteHTTPException(404)
        r = data.latest_rollup(store, product_id)
        charts = {}
        if r is not None:
            lang = user["lang"]
            for by, rows in r["hotspots"].items():
                # the "rest" row of a complete breakdown is round-off (1e-13 of the total):
                # left out before the labels are translated (bar_chart knows it as "rest")
                biggest = max((abs(x["value"]) for x in rows), default=0.0)
                rows = [x for x in rows if x["item"] != "rest" or abs(x["value"]) > 1e-9 * biggest]
                name = (lambda v: label("stage", v, lang)) if by in ("stage", "node") else str
                charts[by] = bar_chart(
                    [(name(x["item"]), x["value"], x["share"]) for x in rows],
                    label("unit", r["unit"], lang),
                    f"{translate('hotspots', lang)} {translate('hot_' + by, lang)}",
                )
            if r.get("flows"):
                charts["sankey"] = sankey_chart(
                    r["flows"],
                    label("unit", r["unit"], lang),
                    translate("sankey", lang),
                    label=lambda v: label("stage", v, lang),
                    total=r["total"],
                )
        return render(request, "product.html", user, product=prods[product_id], r=r, charts=charts)

    @app.post("/products/{product_id}/rollup")
    async def recompute(request: Request, product_id: int):
        user, _form = await check_post(request, "buyer")
        job = start_rollup(product_id, user["id"])
        return redirect(request, f"/jobs/{job.id}")

    # -- suppliers ------------------------------------------------------------------------------
    def portfolio() -> list[dict]:
        records = data.supplier_records(store)
        rows: dict[str, dict] = {}
        for product, r in data.latest_rollups(store):
            for s in r["suppliers"]:
                row = rows.setdefault(
                    s["supplier"],
                    {
                        "supplier": s["supplier"],
                        "products": [],
                        "parts": [],
                        "spend": None,
                        "pcfs": [],
                        "background": 0,
                        "primary_share": None,
                        "dqr": {},
                        "verified": True,
                        "share": 0.0,
                    },
                )
                row["products"].append(
                    {
                        "id": product["id"],
                        "name": product["name"],
                        "contribution": s["contribution"],
                        "share": s["share"],
                        "unit": r["unit"],
                        "per": r["per"],
                    }
                )
                row["parts"] += s["parts"]
                if s["spend"] is not None:
                    row["spend"] = (row["spend"] or 0.0) + s["spend"]
                row["pcfs"] += s["pcfs"]
                row["background"] += s["background"]
                row["share"] = max(row["share"], s["share"] or 0.0)
                # data quality: the latest product's values for the supplier (one product:
                # exactly the roll-up's; several: listed per product on the supplier page)
                row["primary_share"] = s["primary_share"]
                row["dqr"] = s["dqr"]
                row["verified"] = row["verified"] and s.get("verified", False)
        out = []
        for name, row in rows.items():
            rec = records.get(name, {})
            row["engagement"] = rec.get("engagement", "not_contacted")
            row["light"], row["light_reason"] = traffic_light(row)
            ends = [p["validity_end"] for p in row["pcfs"] if p.get("validity_end")]
            row["validity_end"] = min(ends) if ends else None
            out.append(row)
        out.sort(key=lambda x: -x["share"])
        return out

    @app.get("/suppliers", response_class=HTMLResponse)
    def suppliers_page(request: Request, q: str = ""):
        user = need_user(request)
        rows = portfolio()
        if q:
            ql = q.lower()
            rows = [r for r in rows if ql in r["supplier"].lower() or ql in " ".join(r["parts"])]
        return render(request, "suppliers.html", user, rows=rows, q=q)

    @app.get("/suppliers.xlsx")
    def suppliers_xlsx(request: Request):
        user = need_user(request)
        lang = user["lang"]
        import xlsxwriter

        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        ws = wb.add_worksheet(translate("suppliers_title", lang)[:31])
        bold = wb.add_format({"bold": True})
        pct = wb.add_format({"num_format": "0.0%"})
        cols = [
            "col_supplier",
            "col_parts",
            "col_products",
            "col_spend",
            "col_footprint",
            "col_share",
            "col_declared",
            "col_primary",
            "col_dqr",
            "col_verification",
            "col_validity",
            "col_engagement",
            "col_light",
        ]
        for j, c in enumerate(cols):
            ws.write(0, j, translate(c, lang), bold)
        rows = portfolio()
        for i, r in enumerate(rows, start=1):
            dqr = "/".join(fmt(r["dqr"].get(k), 2) for k in ("ter", "ger", "tir"))
            ws.write(i, 0, r["supplier"])
            ws.write(i, 1, ", ".join(r["parts"]))
            ws.write(i, 2, ", ".join(p["name"] for p in r["products"]))
            if r["spend"] is not None:
                ws.write_number(i, 3, r["spend"])
            ws.write(
                i,
                4,
                "; ".join(
                    f"{p['name']}: {p['contribution']:.6g} {p['unit']}" for p in r["products"]
                ),
            )
            ws.write_number(i, 5, r["share"], pct)
            ws.write(
                i,
                6,
                f"{len(r['pcfs'])} {translate('declared_n', lang)} / "
                f"{r['background']} {translate('background_n', lang)}",
            )
            if r["primary_share"] is not None:
                ws.write_number(i, 7, r["primary_share"], pct)
            ws.write(i, 8, dqr if r["dqr"] else "")
            ws.write(i, 9, translate("verified_yes" if r["verified"] else "verified_no", lang))
            ws.write(i, 10, r["validity_end"] or "")
            ws.write(i, 11, translate("eng_" + r["engagement"], lang))
            ws.write(
                i,
                12,
                f"{translate('light_' + r['light'], lang)}: {translate(r['light_reason'], lang)}",
            )
        ws.write(
            len(rows) + 2,
            0,
            " ".join(translate(k, lang) for k in ("rule_red", "rule_amber", "rule_green")),
        )
        ws.set_column(0, 0, 28)
        ws.set_column(1, 12, 18)
        wb.close()
        return Response(
            buf.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="suppliers.xlsx"'},
        )

    def received_for(name: str, pcf_ids: set[str]) -> list[dict]:
        out = []
        for r in store.supplier_footprints():
            doc = r["document"]
            ids = {r["id"], *r["product_ids"]}
            if r["company_name"] == name or ids & pcf_ids:
                pcf = doc.get("pcf") or {}
                out.append(
                    {
                        **r,
                        "provenance": "upload" if r["source"].startswith("upload:") else "pact",
                        "value": pcf.get(
                            "pcfExcludingBiogenicUptake", pcf.get("pCfExcludingBiogenic")
                        ),
                        "unit": pcf.get("declaredUnitOfMeasurement", pcf.get("declaredUnit")),
                        "primary": pcf.get("primaryDataShare"),
                        "dqr": pcf.get("dqi") or {},
                        "preceding": doc.get("precedingPfIds") or [],
                    }
                )
        return out

    @app.get("/suppliers/{name}", response_class=HTMLResponse)
    def supplier_page(request: Request, name: str):
        user = need_user(request)
        row = next((r for r in portfolio() if r["supplier"] == name), None)
        rec = data.supplier_records(store).get(name, {})
        if row is None and not rec:
            raise StarletteHTTPException(404)
        pcf_ids = {p["id"] for p in (row or {}).get("pcfs", [])}
        history = data.supplier_history(store, name)
        return render(
            request,
            "supplier.html",
            user,
            name=name,
            row=row,
            rec=rec,
            received=received_for(name, pcf_ids),
            history=history,
            reqs=data.requests(store, name, today()),
            engagement=data.ENGAGEMENT,
        )

    @app.post("/suppliers/{name}")
    async def supplier_save(request: Request, name: str):
        user, form = await check_post(request, "buyer")
        try:
            await run_in_threadpool(
                data.set_supplier,
                store,
                name,
                engagement=str(form.get("engagement") or "") or None,
                contact=str(form.get("contact") or ""),
                events_url=str(form.get("events_url") or ""),
            )
        except data.PortalInputError as exc:
            return user_error(request, user, exc)
        return redirect(request, f"/suppliers/{quote(name, safe='')}")

    # -- reduction planning ---------------------------------------------------------------------
    def example_file(key: str) -> InputFile:
        return InputFile(EXAMPLE[key], (_example_dir() / EXAMPLE[key]).read_bytes())

    def levers_form(levers: InputFile) -> dict:
        header, rows = lever_rows(levers)
        return {
            "filename": levers.filename,
            "csv": levers.content.decode("utf-8-sig"),
            "header": header,
            "rows": rows,
            "editable": [c for c in LEVER_EDITABLE if c in header],
        }

    @app.get("/plans", response_class=HTMLResponse)
    def plans_page(request: Request, job: str | None = None, plan: int | None = None):
        user = need_user(request)
        lang = user["lang"]
        result = None
        levers = None
        if job:
            j = jobs.get(job)
            if j is not None and j.status == "done":
                result = j.result
                levers = InputFile(result["levers_file"], result["levers_csv"].encode())
        if plan is not None:
            saved = data.plans(store, [plan])
            if not saved:
                raise StarletteHTTPException(404)
            levers = InputFile(f"plan-{plan}-levers.csv", saved[0]["levers_csv"].encode())
        chart = None
        if result:
            chart = macc_chart(
                result["macc"],
                label("unit", result["unit"], lang),
                translate("macc", lang),
                result["plan"]["chosen"],
                y_title=translate("macc_y", lang),
                x_title=translate("macc_x", lang),
            )
        return render(
            request,
            "plans.html",
            user,
            products=data.products(store),
            result=result,
            job_id=job if result else None,
            chart=chart,
            levers=levers_form(levers or example_file("levers")),
            saved=data.plans(store),
        )

    @app.post("/plans")
    async def solve(request: Request):
        user, form = await check_post(request, "buyer")
        from lca.errors import PCFError

        try:
            product_id = int(form.get("product") or 0)
        except ValueError:
            product_id = 0
        got = await run_in_threadpool(data.product_inputs, store, product_id)
        if got is None:
            return user_error(
                request, user, ValueError(translate("plan_needs_product", user["lang"]))
            )
        product, bom, pcfs = got
        lev = await _files(form, "levers")
        bas = await _files(form, "baseline")
        try:
            if lev:  # an uploaded file replaces the table
                levers = InputFile(*lev[0])
                lever_rows(levers)
            else:
                base_csv = str(form.get("levers_csv") or "")
                name = str(form.get("levers_name") or "levers.csv")
                if not base_csv.strip():
                    levers = example_file("levers")
                else:
                    levers = edit_levers(
                        InputFile(name, base_csv.encode("utf-8")),
                        {k: str(v) for k, v in form.multi_items() if isinstance(v, str)},
                    )
        except PCFError as exc:
            return user_error(request, user, exc)
        baseline = InputFile(*bas[0]) if bas else example_file("baseline")
        target = str(form.get("target") or "30%").strip()
        year_text = str(form.get("year") or "").strip()
        year = int(year_text) if year_text.isdigit() else None

        def run(report):
            from .compute import plan_product

            result = plan_product(
                engine(),
                method,
                bom,
                pcfs,
                levers,
                baseline,
                target,
                year,
                on=today(),
                report=report,
            )
            result.update(
                product_id=product["id"],
                product_name=product["name"],
                levers_file=levers.filename,
                levers_csv=levers.content.decode("utf-8-sig"),
            )
            return f"/plans?job={job.id}", result

        job = jobs.submit("plan", user["id"], run)
        return redirect(request, f"/jobs/{job.id}")

    @app.post("/plans/save")
    async def save_plan(request: Request):
        user, form = await check_post(request, "buyer")
        j = jobs.get(str(form.get("job") or ""))
        if j is None or j.status != "done" or j.kind != "plan":
            raise StarletteHTTPException(404)
        r = j.result
        try:
            await run_in_threadpool(
                data.save_plan,
                store,
                r["product_id"],
                str(form.get("name") or ""),
                f"{r['target']['text']} {r['target']['year'] or ''}".strip(),
                r["levers_csv"],
                r,
                user["name"],
            )
        except data.PortalInputError as exc:
            return user_error(request, user, exc)
        return redirect(request, "/plans#saved")

    @app.get("/plans/compare", response_class=HTMLResponse)
    def compare_plans(request: Request):
        user = need_user(request)
        lang = user["lang"]
        try:
            ids = [int(x) for x in request.query_params.getlist("id")]
        except ValueError:
            ids = []
        chosen = data.plans(store, ids)
        if not chosen:
            return render(
                request, "message.html", user, status=400, key="compare_needs_two", detail=""
            )
        unit = chosen[0]["result"]["unit"]
        rows = []
        for p in chosen:
            r = p["result"]
            rows.append((p["name"], r["verification"]["footprint_exact"], None))
        before = {(p["product"], p["result"]["before"]) for p in chosen}
        chart = bar_chart(
            [(f"{translate('before', lang)}: {n}", b, None) for n, b in sorted(before)] + rows,
            label("unit", unit, lang),
            translate("after_chart", lang),
        )
        levers = sorted({lv for p in chosen for lv in p["result"]["plan"]["chosen"]})
        return render(
            request, "compare.html", user, plans=chosen, chart=chart, lever_ids=levers, unit=unit
        )

    # -- scenarios ------------------------------------------------------------------------------
    def background_activities() -> list[str]:
        """The Brightway activities the products' roll-ups use (``db|code``), for the form."""
        keys = set()
        for _p, r in data.latest_rollups(store):
            keys |= {x["source_ref"] for x in r["parts"] if x["source"] == "brightway"}
        return sorted(k for k in keys if "|" in k)

    @app.get("/scenarios", response_class=HTMLResponse)
    def scenarios_page(request: Request, job: str | None = None, set_id: int | None = None):
        user = need_user(request)
        lang = user["lang"]
        result, chart = None, None
        if job:
            j = jobs.get(job)
            if j is not None and j.status == "done" and j.kind == "scenarios":
                result = j.result
        if result:
            u = label("unit", result["unit"], lang)
            charts = []
            if result.get("bom"):
                b = result["bom"]
                charts.append(
                    (
                        b["name"],
                        bar_chart(
                            [
                                (
                                    translate("baseline", lang)
                                    if r["scenario"] == "baseline"
                                    else r["scenario"],
                                    r["score"],
                                    None,
                                )
                                for r in b["rows"]
                            ],
                            label("unit", b["unit"], lang),
                            f"{translate('scenario_chart', lang)}: {b['name']}",
                        ),
                    )
                )
            for prod in result["products"]:
                rows = [r for r in result["rows"] if r["product"] == prod]
                charts.append(
                    (
                        prod,
                        bar_chart(
                            [
                                (
                                    translate("baseline", lang)
                                    if r["scenario"] == "baseline"
                                    else r["scenario"],
                                    r["score"],
                                    None,
                                )
                                for r in rows
                            ],
                            u,
                            f"{translate('scenario_chart', lang)}: {prod}",
                        ),
                    )
                )
            chart = charts
        return render(
            request,
            "scenarios.html",
            user,
            sets=data.scenario_sets(store),
            activities=background_activities(),
            result=result,
            charts=chart or [],
            chosen_set=set_id,
            bom_products=[p for p, _r in data.latest_rollups(store)],
        )

    @app.post("/scenarios/sets")
    async def save_scenario_set(request: Request):
        user, form = await check_post(request, "buyer")
        from lca.errors import PCFError

        files = await _files(form, "file")
        if form.get("example"):
            files = [(EXAMPLE["scenarios"], (_example_dir() / EXAMPLE["scenarios"]).read_bytes())]
        if not files:
            return user_error(request, user, ValueError(translate("set_file", user["lang"])))
        name, content = files[0]

        def check_and_save():
            from supply_chain.scenarios import load_scenarios

            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / name
                p.write_bytes(content)
                load_scenarios(p)  # refused here, naming the file, if it is not a scenario set
            return data.save_scenario_set(
                store, str(form.get("name") or ""), name, content, user["name"]
            )

        try:
            sid = await run_in_threadpool(check_and_save)
        except PCFError as exc:
            return user_error(request, user, exc)
        return redirect(request, f"/scenarios?set_id={sid}")

    @app.post("/scenarios/run")
    async def run_scenarios(request: Request):
        user, form = await check_post(request, "buyer")
        try:
            sid = int(form.get("set") or 0)
        except ValueError:
            sid = 0
        chosen = next((x for x in data.scenario_sets(store) if x["id"] == sid), None)
        if chosen is None:
            raise StarletteHTTPException(404)
        products = [x.strip() for x in str(form.get("products") or "").splitlines() if x.strip()]
        rollup = None
        bom_text = str(form.get("bom_product") or "").strip()
        if bom_text:
            try:
                rollup = await run_in_threadpool(data.latest_rollup, store, int(bom_text))
            except ValueError:
                rollup = None
            if rollup is None or not all("amount" in p for p in rollup["parts"]):
                # no roll-up yet, or one of an earlier version without the parts' amounts
                return user_error(
                    request, user, ValueError(translate("scenario_needs_rollup", user["lang"]))
                )
            rollup["name"] = next(
                (p["name"] for p in data.products(store) if p["id"] == int(bom_text)), ""
            )
        if not products and rollup is None:
            return user_error(
                request, user, ValueError(translate("scenario_product", user["lang"]))
            )
        sc = InputFile(chosen["filename"], chosen["content"].encode("utf-8"))

        def run(report):
            from .compute import run_scenario_set

            report(0.1, "step_scenarios")
            result = run_scenario_set(engine(), method, sc, products, rollup=rollup)
            if rollup is not None:
                result["bom"]["name"] = rollup["name"]
            result["set"] = chosen["name"]
            return f"/scenarios?job={job.id}", result

        job = jobs.submit("scenarios", user["id"], run)
        return redirect(request, f"/jobs/{job.id}")

    # -- requests -------------------------------------------------------------------------------
    @app.get("/requests", response_class=HTMLResponse)
    def requests_page(request: Request, supplier: str = ""):
        user = need_user(request)
        names = sorted({r["supplier"] for r in portfolio()} | set(data.supplier_records(store)))
        return render(
            request,
            "requests.html",
            user,
            reqs=data.requests(store, None, today()),
            suppliers=names,
            chosen=supplier,
            default_due=(today() + dt.timedelta(days=30)).isoformat(),
        )

    @app.post("/requests")
    async def new_request(request: Request):
        user, form = await check_post(request, "buyer")
        from lca.errors import PCFError

        supplier = str(form.get("supplier") or "").strip()
        ids = [x.strip() for x in str(form.get("product_ids") or "").splitlines() if x.strip()]
        channel = "pact" if form.get("channel") == "pact" else "letter"
        due_text = str(form.get("due") or "").strip()
        try:
            due = dt.date.fromisoformat(due_text) if due_text else None
        except ValueError:
            return user_error(request, user, ValueError(f"due {due_text!r}: use YYYY-MM-DD"))
        if not supplier or not ids:
            return user_error(
                request,
                user,
                ValueError(
                    translate("col_supplier", user["lang"])
                    + " / "
                    + translate("product_ids", user["lang"])
                ),
            )
        note = str(form.get("note") or "").strip() or None
        rid = None
        if channel == "pact":
            rec = (await run_in_threadpool(data.supplier_records, store)).get(supplier, {})
            url = rec.get("events_url")
            if not url:
                return user_error(request, user, ValueError(translate("no_node", user["lang"])))
            from pcf.node.api import TYPE_OF
            from pcf.node.errors import RemoteError
            from pcf.node.remote import send_event

            our = (public_url or str(request.base_url).split("/app")[0]).rstrip("/")
            payload: dict = {"productId": ids}
            if note:
                payload["comment"] = note
            event = {
                "type": TYPE_OF[("created", "3")],
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": f"{our}/3/events",
                "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": payload,
            }
            ex_id = await run_in_threadpool(
                store.record_request, "outgoing", event["id"], url, payload
            )
            status = "sent"
            try:
                partner = await run_in_threadpool(store.partner, url)
                await send_event(url, event, partner=partner, transport=outbound_transport)
            except (RemoteError, PCFError) as exc:
                await run_in_threadpool(store.answer_request, ex_id, "failed", {"error": str(exc)})
                status = "failed"
            await run_in_threadpool(
                lambda: data.add_request(
                    store,
                    supplier=supplier,
                    part=None,
                    product_ids=ids,
                    channel="pact",
                    due=due,
                    by=user["name"],
                    note=note,
                    event_id=event["id"],
                    data_request_id=ex_id,
                    status=status,
                )
            )
        else:
            rid = await run_in_threadpool(
                lambda: data.add_request(
                    store,
                    supplier=supplier,
                    part=None,
                    product_ids=ids,
                    channel="letter",
                    due=due,
                    by=user["name"],
                    note=note,
                    status="pending",
                )
            )
        rec = (await run_in_threadpool(data.supplier_records, store)).get(supplier, {})
        if rec.get("engagement", "not_contacted") == "not_contacted":
            await run_in_threadpool(
                lambda: data.set_supplier(store, supplier, engagement="requested")
            )
        return redirect(request, f"/requests#r{rid}" if rid else "/requests")

    @app.post("/requests/{request_id}/close")
    async def close_request(request: Request, request_id: int):
        user, _form = await check_post(request, "buyer")
        try:
            await run_in_threadpool(data.update_request, store, request_id, status="closed")
        except data.PortalInputError as exc:
            return user_error(request, user, exc, 404)
        return redirect(request, "/requests")

    @app.get("/requests/{request_id}/letter")
    def letter(request: Request, request_id: int):
        user = need_user(request)
        r = next((x for x in data.requests(store, None, today()) if x["id"] == request_id), None)
        if r is None:
            raise StarletteHTTPException(404)
        text = templates.get_template("letter.txt").render(
            r=r, lang=user["lang"], sender=user["name"]
        )
        return Response(
            text,
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="pcf-request-{request_id}.txt"'},
        )

    # -- administration -------------------------------------------------------------------------
    def admin_view(request: Request, user: dict, new_secret: dict | None = None):
        return render(
            request,
            "admin.html",
            user,
            users=data.users(store),
            clients=store.list_clients(),
            roles=data.ROLES,
            new_secret=new_secret,
        )

    @app.get("/admin", response_class=HTMLResponse)
    def admin_page(request: Request):
        return admin_view(request, need_user(request, "admin"))

    @app.post("/admin/users")
    async def admin_add_user(request: Request):
        user, form = await check_post(request, "admin")
        try:
            await run_in_threadpool(
                data.add_user,
                store,
                str(form.get("name") or ""),
                str(form.get("password") or ""),
                str(form.get("role") or ""),
                str(form.get("lang") or "en"),
            )
        except data.PortalInputError as exc:
            return user_error(request, user, exc)
        return redirect(request, "/admin")

    @app.post("/admin/users/{name}")
    async def admin_edit_user(request: Request, name: str):
        user, form = await check_post(request, "admin")
        role = str(form.get("role") or "") or None
        disabled = {"1": True, "0": False}.get(str(form.get("disabled") or ""))
        try:
            await run_in_threadpool(
                lambda: data.update_user(store, name, role=role, disabled=disabled)
            )
        except data.PortalInputError as exc:
            return user_error(request, user, exc)
        return redirect(request, "/admin")

    @app.post("/admin/clients")
    async def admin_add_client(request: Request):
        user, form = await check_post(request, "admin")
        from pcf.node.errors import StoreError

        try:
            cid, secret_ = await run_in_threadpool(store.add_client, str(form.get("name") or ""))
        except StoreError as exc:
            return user_error(request, user, exc)
        # shown in this answer only: the session cookie is signed, not encrypted
        return admin_view(request, user, {"client_id": cid, "client_secret": secret_})

    @app.post("/admin/clients/{client_id}/revoke")
    async def admin_revoke(request: Request, client_id: str):
        user, _form = await check_post(request, "admin")
        from pcf.node.errors import UnknownClient

        try:
            await run_in_threadpool(store.revoke_client, client_id)
        except UnknownClient as exc:
            return user_error(request, user, exc, 404)
        return redirect(request, "/admin")

    return app
