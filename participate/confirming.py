"""A confirmation step before an action that cannot be undone (issue 15), without JavaScript.

The action's form posts once without ``confirm=yes``: the view checks the person may act, then
answers with a page that says what will happen, holding the same fields and ``confirm=yes``,
with Confirm and Cancel. Only that second post acts. The JSON API is not involved: it acts on
the first request, as its callers expect.
"""

from __future__ import annotations

from flask import render_template, request

from participate.web import is_htmx

CONFIRM_FIELD = "confirm"


def confirmed() -> bool:
    """Whether this post is the one sent from the confirmation page."""
    return request.form.get(CONFIRM_FIELD) == "yes"


def ask_to_confirm(
    *,
    title: str,
    points: list[str],
    button: str,
    cancel_url: str,
    warning: str = "This cannot be undone.",
    htmx_target: str | None = None,
):
    """The confirmation page: ``points`` say what will happen; the form posts the same fields
    to the same address with ``confirm=yes``. When an htmx form asks and names the panel it
    swaps (``htmx_target``, an id), the step is that panel instead of a page, and confirming
    swaps it again."""
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in (CONFIRM_FIELD, "csrf_token")
    ]
    fragment = htmx_target is not None and is_htmx()
    return render_template(
        "_confirm.html" if fragment else "confirm.html",
        target=htmx_target if fragment else None,
        heading="h2",
        title=title,
        points=points,
        button=button,
        cancel_url=cancel_url,
        warning=warning,
        action=request.path,
        fields=fields,
    )
