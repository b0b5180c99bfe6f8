"""The portal's rows in the footprint store (tables of revisions 0003 and 0004,
:mod:`pcf.node.models`): users, products and their files, roll-ups, supplier engagement, PCF
requests, saved plans and saved scenario sets.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106's
second recommended option: 64 MiB, 3 passes) and compared by the library in constant time.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Sequence

from sqlalchemy import select

from pcf.node.errors import StoreError
from pcf.node.models import (
    PortalFile,
    PortalPlan,
    PortalProduct,
    PortalRequest,
    PortalRollup,
    PortalScenarioSet,
    PortalSupplier,
    PortalUser,
)
from pcf.node.store import Store, utcnow

__all__ = [
    "ENGAGEMENT",
    "LANGS",
    "ROLES",
    "PortalInputError",
    "add_user",
    "check_password",
    "hash_password",
    "users",
]

log = logging.getLogger(__name__)

ROLES = ("viewer", "buyer", "admin")
#: What each role may do beyond what the roles before it may: viewers read, buyers upload,
#: compute, request and edit suppliers; admins manage users and API clients.
RANK = {r: i for i, r in enumerate(ROLES)}
LANGS = ("en", "zh")
ENGAGEMENT = ("not_contacted", "requested", "engaged", "committed", "declined")
REQUEST_STATUS = ("pending", "sent", "fulfilled", "rejected", "failed", "overdue", "closed")
MIN_PASSWORD = 8


class PortalInputError(StoreError):
    """Bad input to a portal action (a name taken, an unknown role, a short password)."""

    def __init__(self, what: str, why: str):
        super().__init__(what, why)


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; an unknown user (``None``) costs one hash too,
    so the answer's timing does not tell which names exist."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    ph = PasswordHasher()
    try:
        ok = ph.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "h" not in _DUMMY:
        _DUMMY["h"] = hash_password("not a password of anyone")
    return _DUMMY["h"]


# -- users ----------------------------------------------------------------------------------------
def add_user(store: Store, name: str, password: str, role: str, lang: str = "en") -> dict:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise PortalInputError("user name", "give a name of 1 to 200 characters")
    if role not in ROLES:
        raise PortalInputError(f"role {role!r}", f"expected one of {', '.join(ROLES)}")
    if lang not in LANGS:
        raise PortalInputError(f"language {lang!r}", f"expected one of {', '.join(LANGS)}")
    if len(password or "") < MIN_PASSWORD:
        raise PortalInputError("password", f"use at least {MIN_PASSWORD} characters")
    with store.session() as s:
        if s.scalar(select(PortalUser).where(PortalUser.name == name)) is not None:
            raise PortalInputError(f"user {name!r}", "exists already")
        s.add(
            PortalUser(
                name=name,
                password_hash=hash_password(password),
                role=role,
                lang=lang,
                created_at=utcnow(),
            )
        )
    return {"name": name, "role": role, "lang": lang}


def _user_dict(u: PortalUser) -> dict:
    return {
        "id": u.id,
        "name": u.name,
        "role": u.role,
        "lang": u.lang,
        "created_at": u.created_at.isoformat(timespec="seconds") + "Z",
        "disabled": u.disabled_at is not None,
    }


def users(store: Store) -> list[dict]:
    with store.session() as s:
        return [_user_dict(u) for u in s.scalars(select(PortalUser).order_by(PortalUser.name))]


def user(store: Store, user_id: int) -> dict | None:
    with store.session() as s:
        u = s.get(PortalUser, user_id)
        return None if u is None or u.disabled_at is not None else _user_dict(u)


def authenticate(store: Store, name: str, password: str) -> dict | None:
    with store.session() as s:
        u = s.scalar(select(PortalUser).where(PortalUser.name == (name or "").strip()))
        stored = u.password_hash if u is not None and u.disabled_at is None else None
        found = _user_dict(u) if u is not None else None
    return found if check_password(stored, password or "") else None


def update_user(
    store: Store,
    name: str,
    *,
    role: str | None = None,
    lang: str | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> None:
    with store.session() as s:
        u = s.scalar(select(PortalUser).where(PortalUser.name == name))
        if u is None:
            raise PortalInputError(f"user {name!r}", "does not exist")
        if role is not None:
            if role not in ROLES:
                raise PortalInputError(f"role {role!r}", f"expected one of {', '.join(ROLES)}")
            u.role = role
        if lang is not None:
            if lang not in LANGS:
                raise PortalInputError(f"language {lang!r}", "expected en or zh")
            u.lang = lang
        if disabled is not None:
            u.disabled_at = utcnow() if disabled else None
        if password is not None:
            if len(password) < MIN_PASSWORD:
                raise PortalInputError("password", f"use at least {MIN_PASSWORD} characters")
            u.password_hash = hash_password(password)


# -- products ---------------------------------------------------------------------------------
def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def add_product(
    store: Store,
    name: str,
    filename: str,
    content: bytes,
    by: str,
    pcf_files: Sequence[tuple[str, bytes]] = (),
) -> int:
    name = (name or "").strip() or filename.rsplit(".", 1)[0]
    with store.session() as s:
        row = s.scalar(select(PortalProduct).where(PortalProduct.name == name))
        if row is None:
            row = PortalProduct(
                name=name[:200], filename=filename, content="", uploaded_by=by, uploaded_at=utcnow()
            )
            s.add(row)
        row.filename, row.content, row.uploaded_by, row.uploaded_at = (
            filename[:500],
            _b64(content),
            by,
            utcnow(),
        )
        s.flush()
        pid = row.id
        for fname, data in pcf_files:
            kind = "pact" if fname.lower().endswith(".json") else "table"
            s.add(
                PortalFile(
                    product_id=pid,
                    kind=kind,
                    filename=fname[:500],
                    content=_b64(data),
                    uploaded_by=by,
                    uploaded_at=utcnow(),
                )
            )
    return pid


def products(store: Store) -> list[dict]:
    with store.session() as s:
        rows = s.scalars(select(PortalProduct).order_by(PortalProduct.name)).all()
        out = []
        for r in rows:
            files = s.scalars(select(PortalFile).where(PortalFile.product_id == r.id)).all()
            out.append(
                {
                    "id": r.id,
                    "name": r.name,
                    "filename": r.filename,
                    "uploaded_by": r.uploaded_by,
                    "uploaded_at": r.uploaded_at.isoformat(timespec="seconds") + "Z",
                    "files": [
                        {
                            "id": f.id,
                            "kind": f.kind,
                            "filename": f.filename,
                            "uploaded_at": f.uploaded_at.isoformat(timespec="seconds") + "Z",
                            "uploaded_by": f.uploaded_by,
                        }
                        for f in files
                    ],
                }
            )
        return out


def product_inputs(store: Store, product_id: int):
    """``(product dict, BOM InputFile, [PCF InputFile])`` or ``None``."""
    from .compute import InputFile

    with store.session() as s:
        r = s.get(PortalProduct, product_id)
        if r is None:
            return None
        files = s.scalars(
            select(PortalFile).where(PortalFile.product_id == r.id).order_by(PortalFile.id)
        ).all()
        bom = InputFile(r.filename, base64.b64decode(r.content))
        pcfs = [InputFile(f.filename, base64.b64decode(f.content)) for f in files]
        return {"id": r.id, "name": r.name, "filename": r.filename}, bom, pcfs


def save_rollup(store: Store, product_id: int, on: str, result: dict) -> None:
    with store.session() as s:
        s.add(
            PortalRollup(
                product_id=product_id,
                computed_at=utcnow(),
                on_date=on,
                result=json.dumps(result, ensure_ascii=False),
            )
        )


def latest_rollup(store: Store, product_id: int) -> dict | None:
    with store.session() as s:
        r = s.scalar(
            select(PortalRollup)
            .where(PortalRollup.product_id == product_id)
            .order_by(PortalRollup.id.desc())
        )
        if r is None:
            return None
        out = json.loads(r.result)
        out["computed_at"] = r.computed_at.isoformat(timespec="seconds") + "Z"
        return out


def latest_rollups(store: Store) -> list[tuple[dict, dict]]:
    """``[(product, latest roll-up)]`` for every product that has one."""
    out = []
    for p in products(store):
        r = latest_rollup(store, p["id"])
        if r is not None:
            out.append((p, r))
    return out


def supplier_history(store: Store, supplier: str) -> list[dict]:
    """Every roll-up that counted ``supplier``, oldest first: when, which product, its
    contribution and share, and the PCFs used for it."""
    out = []
    with store.session() as s:
        rows = s.execute(
            select(PortalRollup, PortalProduct.name)
            .join(PortalProduct, PortalProduct.id == PortalRollup.product_id)
            .order_by(PortalRollup.id)
        ).all()
        for ro, product in rows:
            res = json.loads(ro.result)
            for srow in res["suppliers"]:
                if srow["supplier"] == supplier:
                    out.append(
                        {
                            "at": ro.computed_at.isoformat(timespec="seconds") + "Z",
                            "product": product,
                            "contribution": srow["contribution"],
                            "share": srow["share"],
                            "unit": res["unit"],
                            "pcfs": [p["id"] for p in srow["pcfs"]],
                        }
                    )
    return out


# -- suppliers --------------------------------------------------------------------------------
def supplier_records(store: Store) -> dict[str, dict]:
    with store.session() as s:
        return {
            r.name: {"engagement": r.engagement, "contact": r.contact, "events_url": r.events_url}
            for r in s.scalars(select(PortalSupplier))
        }


def set_supplier(
    store: Store,
    name: str,
    *,
    engagement: str | None = None,
    contact: str | None = None,
    events_url: str | None = None,
) -> None:
    if engagement is not None and engagement not in ENGAGEMENT:
        raise PortalInputError(f"engagement {engagement!r}", f"expected one of {ENGAGEMENT}")
    with store.session() as s:
        r = s.get(PortalSupplier, name)
        if r is None:
            r = PortalSupplier(name=name[:500], engagement="not_contacted", updated_at=utcnow())
            s.add(r)
        if engagement is not None:
            r.engagement = engagement
        if contact is not None:
            r.contact = contact.strip()[:500] or None
        if events_url is not None:
            r.events_url = events_url.strip()[:1000] or None
        r.updated_at = utcnow()


# -- requests ---------------------------------------------------------------------------------
def add_request(
    store: Store,
    *,
    supplier: str,
    part: str | None,
    product_ids: list[str],
    channel: str,
    due: dt.date | None,
    by: str,
    note: str | None = None,
    event_id: str | None = None,
    data_request_id: int | None = None,
    status: str = "pending",
) -> int:
    with store.session() as s:
        r = PortalRequest(
            supplier=supplier[:500],
            part=(part or None),
            channel=channel,
            product_ids=json.dumps(product_ids),
            status=status,
            due=due,
            event_id=event_id,
            data_request_id=data_request_id,
            note=note,
            created_by=by,
            created_at=utcnow(),
        )
        s.add(r)
        s.flush()
        return r.id


def update_request(store: Store, request_id: int, **values) -> None:
    with store.session() as s:
        r = s.get(PortalRequest, request_id)
        if r is None:
            raise PortalInputError(f"request {request_id}", "does not exist")
        for k, v in values.items():
            setattr(r, k, v)


def requests(store: Store, supplier: str | None = None, today: dt.date | None = None) -> list[dict]:
    """PCF requests, newest first; a PACT request's status follows its exchange record
    (fulfilled / rejected by the supplier's node); an open one past its due date is overdue."""
    today = today or dt.date.today()
    exchange = {r["id"]: r for r in store.requests("outgoing")}
    q = select(PortalRequest).order_by(PortalRequest.id.desc())
    if supplier is not None:
        q = q.where(PortalRequest.supplier == supplier)
    out = []
    with store.session() as s:
        rows = s.scalars(q).all()
    for r in rows:
        status = r.status
        ex = exchange.get(r.data_request_id) if r.data_request_id else None
        if ex is not None and ex["status"] in ("fulfilled", "rejected"):
            status = ex["status"]
        if status in ("pending", "sent") and r.due is not None and r.due < today:
            status = "overdue"
        out.append(
            {
                "id": r.id,
                "supplier": r.supplier,
                "part": r.part,
                "product_ids": json.loads(r.product_ids),
                "channel": r.channel,
                "status": status,
                "due": r.due.isoformat() if r.due else None,
                "event_id": r.event_id,
                "note": r.note,
                "created_by": r.created_by,
                "created_at": r.created_at.isoformat(timespec="seconds") + "Z",
                "answer": ex.get("answer") if ex else None,
            }
        )
    return out


# -- saved plans (revision 0004) -----------------------------------------------------------------
def save_plan(
    store: Store, product_id: int, name: str, target: str, levers_csv: str, result: dict, by: str
) -> int:
    name = (name or "").strip()
    if not name:
        raise PortalInputError("plan name", "is empty")
    with store.session() as s:
        if s.get(PortalProduct, product_id) is None:
            raise PortalInputError(f"product {product_id}", "does not exist")
        row = PortalPlan(
            product_id=product_id,
            name=name[:200],
            target=target[:100],
            levers=levers_csv,
            result=json.dumps(result, ensure_ascii=False),
            created_by=by,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return row.id


def _plan_dict(r: PortalPlan, product: str) -> dict:
    return {
        "id": r.id,
        "product_id": r.product_id,
        "product": product,
        "name": r.name,
        "target": r.target,
        "levers_csv": r.levers,
        "result": json.loads(r.result),
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(timespec="seconds") + "Z",
    }


def plans(store: Store, ids: Sequence[int] | None = None) -> list[dict]:
    """Saved plans, oldest first (only ``ids``, in that order, when given)."""
    with store.session() as s:
        q = select(PortalPlan, PortalProduct.name).join(
            PortalProduct, PortalProduct.id == PortalPlan.product_id
        )
        rows = {r.id: _plan_dict(r, n) for r, n in s.execute(q.order_by(PortalPlan.id)).all()}
    if ids is None:
        return list(rows.values())
    return [rows[i] for i in ids if i in rows]


# -- saved scenario sets (revision 0004) ---------------------------------------------------------
def save_scenario_set(store: Store, name: str, filename: str, content: bytes, by: str) -> int:
    """Keep a scenario set (replacing one of the same name)."""
    name = (name or "").strip() or filename.rsplit(".", 1)[0]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PortalInputError(filename, "is not UTF-8 text") from None
    with store.session() as s:
        row = s.scalar(select(PortalScenarioSet).where(PortalScenarioSet.name == name))
        if row is None:
            row = PortalScenarioSet(name=name[:200])
            s.add(row)
        row.filename, row.content, row.uploaded_by, row.uploaded_at = (
            filename[:500],
            text,
            by,
            utcnow(),
        )
        s.flush()
        return row.id


def scenario_sets(store: Store) -> list[dict]:
    with store.session() as s:
        return [
            {
                "id": r.id,
                "name": r.name,
                "filename": r.filename,
                "content": r.content,
                "uploaded_by": r.uploaded_by,
                "uploaded_at": r.uploaded_at.isoformat(timespec="seconds") + "Z",
            }
            for r in s.scalars(select(PortalScenarioSet).order_by(PortalScenarioSet.name)).all()
        ]
