"""The privacy officer's alerts under /audit/alerts: the list for a range of days, and each
alert with the entry's facts, its review history and the review form. Only for a signed-in
ig-officer; anyone else is shown "page not found". carerecord.access.alert_desk decides and
audits; these pages only render what it returns and pass the form's values on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from carerecord.access.admin_input import InvalidInput
from carerecord.access.alert_desk import STATES, AlertDesk, AlertView, NotIgOfficer, UnknownAlert
from carerecord.audit.alert_rules import RULE_NAMES, TITLES, explain
from carerecord.audit.alerts import REVIEW_OUTCOMES, context, event_detail, user_of
from carerecord.errors import NotSignedIn
from carerecord.web.formatting import day_time, person_name
from carerecord.web.session import client_of, csrf_protected, current_user, request_time
from carerecord.web.templating import render

FORM_ERROR = 422
NOT_FOUND = 404
MAX_FIELD = 2100  # what a field is cut to before it is shown back on a form
OUTCOME_WORDS = {
    "justified": "Justified",
    "not-justified": "Not justified",
    "escalated": "Escalated",
}
STATE_WORDS = {"unreviewed": "Not reviewed", **OUTCOME_WORDS}


def alert_desk(request: Request) -> AlertDesk:
    """The alerts service for this request's user; anyone but a privacy officer gets "page
    not found" (checked before the form token, so the answer is the same)."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn(request.url.path)
    try:
        desk: AlertDesk = request.app.state.open_alert_desk(
            user, request_time(request), client_of(request).address
        )
    except NotIgOfficer:
        raise HTTPException(NOT_FOUND) from None
    return desk


router = APIRouter(
    prefix="/audit/alerts",
    include_in_schema=False,
    dependencies=[Depends(alert_desk), Depends(csrf_protected)],
)
Desk = Annotated[AlertDesk, Depends(alert_desk)]


@router.get("", response_class=HTMLResponse)
def alert_list(
    request: Request, desk: Desk, first: str = "", last: str = "", rule: str = "", state: str = ""
) -> Response:
    form = {"first": first[:20], "last": last[:20], "rule": rule[:40], "state": state[:20]}
    try:
        window = desk.window(first, last)
        views = desk.alerts(window, rule, state)
    except InvalidInput as invalid:
        return _list_page(request, desk, form, [], invalid.problems, FORM_ERROR)
    form |= {"first": window.first.isoformat(), "last": window.last.isoformat()}
    return _list_page(request, desk, form, [_row(v) for v in views], {})


@router.get("/{rule}/{event_id}", response_class=HTMLResponse)
def alert_page(request: Request, desk: Desk, rule: str, event_id: str, done: str = "") -> Response:
    view = _alert(desk, rule, event_id, desk.alert)
    return _alert_page(request, desk, view, {}, {}, done=done == "reviewed")


@router.post("/{rule}/{event_id}")
def review(
    request: Request,
    desk: Desk,
    rule: str,
    event_id: str,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        _alert(desk, rule, event_id, lambda r, e: desk.review(r, e, outcome, note))
    except InvalidInput as invalid:
        view = _alert(desk, rule, event_id, desk.alert)
        form = {"outcome": outcome[:20], "note": note[:MAX_FIELD]}
        return _alert_page(request, desk, view, invalid.problems, form, FORM_ERROR)
    return RedirectResponse(f"/audit/alerts/{rule}/{event_id}?done=reviewed", status_code=303)


def _alert(desk: AlertDesk, rule: str, event_id: str, open_it: Any) -> AlertView:
    if rule not in RULE_NAMES or not event_id.isdigit() or len(event_id) > 18:
        raise HTTPException(NOT_FOUND)
    try:
        view: AlertView = open_it(rule, int(event_id))
    except UnknownAlert:
        raise HTTPException(NOT_FOUND) from None
    return view


def _list_page(
    request: Request,
    desk: AlertDesk,
    form: Mapping[str, str],
    rows: list[dict[str, Any]],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    context = {
        "form": form,
        "rows": rows,
        "errors": errors,
        "rules": [
            {
                "name": name,
                "title": TITLES[name],
                "on": desk.rules.on(name),
                "why": explain(name, desk.rules),
            }
            for name in RULE_NAMES
        ],
        "states": [(s, STATE_WORDS[s]) for s in STATES],
    }
    return render(request, "audit/alerts.jinja", context, status)


def _alert_page(
    request: Request,
    desk: AlertDesk,
    view: AlertView,
    errors: Mapping[str, str],
    form: Mapping[str, str],
    status: int = 200,
    done: bool = False,
) -> Response:
    rule = view.alert.rule
    page = {
        **_row(view),
        "explanation": explain(rule, desk.rules),
        "facts": _facts(view),
        "history": [
            {
                "outcome": OUTCOME_WORDS.get(r.outcome, r.outcome),
                "note": r.note,
                "by": r.reviewed_by,
                "at": day_time(r.reviewed_at),
                "current": i == len(view.reviews) - 1,
            }
            for i, r in reversed(list(enumerate(view.reviews)))
        ],
        "outcomes": [(o, OUTCOME_WORDS[o]) for o in REVIEW_OUTCOMES],
        "form": form,
        "errors": errors,
        "done": done,
    }
    return render(request, "audit/alert.jinja", page, status)


def _row(view: AlertView) -> dict[str, Any]:
    entry = view.alert.entry
    user = user_of(entry)
    person = view.person
    return {
        "rule": view.alert.rule,
        "title": TITLES[view.alert.rule],
        "event_id": entry.id,
        "href": f"/audit/alerts/{view.alert.rule}/{entry.id}",
        "when": day_time(entry.occurred_at),
        "who": str(user.get("name") or entry.actor),
        "username": entry.actor,
        "organisation": entry.organisation or str(user.get("organisation") or ""),
        "whose": person_name(person.family, person.given, None) if person else "",
        "why": view.alert.why,
        "state": view.state,
        "state_words": STATE_WORDS[view.state],
    }


def _facts(view: AlertView) -> list[tuple[str, str]]:
    """The entry's facts, label and value, in the order the officer reads them."""
    entry = view.alert.entry
    held = context(entry)
    user = user_of(entry)
    shown = held.get("shown") if isinstance(held.get("shown"), dict) else {}
    detail = event_detail(entry)
    facts = [
        ("Entry", str(entry.id)),
        ("When", f"{day_time(entry.occurred_at)} (UK time)"),
        ("Action", f"{entry.action} ({entry.outcome})"),
        ("User", f"{user.get('name') or entry.actor} ({entry.actor})"),
        ("Role", str(user.get("role") or entry.role or "")),
        ("Organisation", f"{entry.organisation or ''} {user.get('org_type') or ''}".strip()),
        ("Relationship", str(held.get("relationship") or "None recorded")),
        ("Override", str(held.get("override") or "None")),
        ("Purpose", str(held.get("purpose") or "")),
        ("Page shown", str(shown.get("page") or "") if isinstance(shown, dict) else ""),
        ("Reason given", str(detail.get("reason") or "")),
        ("From address", str((held.get("client") or {}).get("address") or "")),
        ("Request", entry.request_id or ""),
    ]
    return [(label, value) for label, value in facts if value]
