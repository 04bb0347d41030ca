"""Pages of proposal threads. Thin: parse the form, call one service, map a refusal onto the form
or a flash, render. htmx requests get the same partial the full page includes."""

from __future__ import annotations

from flask import flash, render_template, request
from flask_login import login_required

from participate.core import proposals as rules
from participate.councils.access import Standing
from participate.councils.services import council_by_slug
from participate.errors import DomainError
from participate.forms_util import apply_error
from participate.params import int_arg
from participate.proposals import (
    amendments,
    discussion,
    services,
    views_moderation,  # noqa: F401  (the moderation routes on bp)
)
from participate.proposals.blueprint import bp, to_proposal
from participate.proposals.forms import (
    AmendmentForm,
    CommentForm,
    ProposalForm,
    ReasonForm,
    ResolveForm,
)
from participate.proposals.listing import SORTS, council_themes, list_proposals
from participate.proposals.models import STATUS_LABELS
from participate.proposals.reading import load_proposal_page
from participate.proposals.search import search_proposals
from participate.proposals.versions import themes_of
from participate.web import acting_user, is_htmx

COUNCIL_TABS = [{"label": "Proposals", "endpoint": "proposals.council_proposals"}]
NAV_ITEMS = [{"label": "Search proposals", "endpoint": "proposals.search"}]


def _page_context(proposal_id: int, *, comment_form=None, reply_to=None) -> dict:
    page = load_proposal_page(proposal_id, acting_user())
    return {
        "page": page,
        "proposal": page.proposal,
        "council": page.proposal.council,
        "comment_form": comment_form or CommentForm(formdata=None),
        "reply_to": reply_to,
    }


def _render_page(proposal_id: int, status: int = 200, **kwargs):
    return render_template("proposals/page.html", **_page_context(proposal_id, **kwargs)), status


def _refused(proposal_id: int, error: DomainError, **kwargs):
    """A refused action on the proposal page: htmx gets the message alone with the error status
    (nothing is swapped; site.js shows it next to the control), a plain post the page again."""
    if is_htmx():
        return render_template("proposals/_error.html", error=error), error.status
    flash(error.message, "error")
    return _render_page(proposal_id, error.status, **kwargs)


# ---------------------------------------------------------------- council list


@bp.route("/councils/<slug>/proposals")
def council_proposals(slug: str):
    council = council_by_slug(slug)
    listing = list_proposals(
        council,
        status=request.args.get("status") or None,
        theme=request.args.get("theme") or None,
        constituency=request.args.get("constituency") or None,
        sort=request.args.get("sort") or "newest",
        page=int_arg(request.args, "page"),
    )
    context = {"council": council, "listing": listing}
    if is_htmx():
        return render_template("proposals/_list.html", **context)
    standing = Standing(acting_user(), council)
    return render_template(
        "proposals/list.html",
        **context,
        themes=council_themes(council),
        standing=standing,
        sorts=SORTS,
        statuses=STATUS_LABELS,
    )


@bp.route("/councils/<slug>/proposals/new", methods=["GET", "POST"])
@login_required
def new_proposal(slug: str):
    council = council_by_slug(slug)
    standing = Standing(acting_user(), council)
    form = ProposalForm()
    status = 200
    if request.method == "POST":
        try:
            proposal = services.create_proposal(
                acting_user(),
                council,
                title=form.title.data,
                body=form.body.data,
                themes=form.themes.data,
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Your proposal is published. You follow it and will hear of replies.", "success")
            return to_proposal(proposal.id)
    elif not standing.is_member:
        status = 403
    return render_template(
        "proposals/new.html", council=council, form=form, standing=standing
    ), status


# ---------------------------------------------------------------- the proposal page


@bp.route("/proposals/<int:proposal_id>")
def proposal_page(proposal_id: int):
    return _render_page(proposal_id)


@bp.route("/proposals/<int:proposal_id>/history")
def history(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    versions = services.versions_of(proposal)
    changes = []
    for previous, version in zip([None, *versions[:-1]], versions, strict=True):
        changes.append(
            {
                "version": version,
                "title_changed": previous is not None and previous.title != version.title,
                "previous_title": previous.title if previous else None,
                "diff": rules.text_diff(previous.body, version.body) if previous else None,
            }
        )
    return render_template(
        "proposals/history.html",
        proposal=proposal,
        council=proposal.council,
        changes=list(reversed(changes)),
    )


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    form = ProposalForm()
    status = 200
    if request.method == "POST":
        try:
            services.edit_proposal(
                acting_user(),
                proposal,
                title=form.title.data,
                body=form.body.data,
                themes=form.themes.data,
                note=form.note.data,
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Your changes are published as a new version.", "success")
            return to_proposal(proposal.id)
    else:
        services.ensure_allowed(acting_user(), proposal, "edit")
        form.title.data = proposal.title
        form.body.data = proposal.body
        form.themes.data = ", ".join(themes_of([proposal.id]).get(proposal.id, []))
    return render_template(
        "proposals/edit.html", proposal=proposal, council=proposal.council, form=form
    ), status


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    form = ReasonForm()
    status = 200
    if request.method == "POST":
        try:
            services.withdraw_proposal(acting_user(), proposal, reason=form.reason.data)
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("You withdrew the proposal. It stays public, marked as withdrawn.", "success")
            return to_proposal(proposal.id)
    else:
        services.ensure_allowed(acting_user(), proposal, "withdraw")
    return render_template(
        "proposals/withdraw.html", proposal=proposal, council=proposal.council, form=form
    ), status


@bp.route("/proposals/<int:proposal_id>/support", methods=["POST"])
@login_required
def support(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    withdrawing = request.form.get("action") == "withdraw"
    try:
        if withdrawing:
            discussion.withdraw_support(acting_user(), proposal)
        else:
            discussion.support(acting_user(), proposal)
    except DomainError as error:
        return _refused(proposal_id, error)
    if is_htmx():
        return render_template("proposals/_supports.html", **_page_context(proposal_id))
    flash("You withdrew your support." if withdrawing else "You support this proposal.", "success")
    return to_proposal(proposal_id, "#supports")


@bp.route("/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
def follow(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    stop = request.form.get("action") == "unfollow"
    try:
        (discussion.unfollow if stop else discussion.follow)(acting_user(), proposal)
    except DomainError as error:
        return _refused(proposal_id, error)
    if is_htmx():
        return render_template("proposals/_follow.html", **_page_context(proposal_id))
    flash(
        "You no longer follow this proposal."
        if stop
        else "You follow this proposal: new comments, amendments and status changes "
        "will appear in your notifications.",
        "success",
    )
    return to_proposal(proposal_id)


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
@login_required
def comment(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    form = CommentForm()
    try:
        comment = discussion.add_comment(
            acting_user(),
            proposal,
            body=form.body.data,
            stance=form.stance.data,
            parent_id=form.parent_id.data or None,
        )
    except DomainError as error:
        if is_htmx():
            return render_template("proposals/_error.html", error=error), error.status
        if error.field in ("body", "stance"):
            apply_error(form, error)
        else:
            flash(error.message, "error")
        parent = _reply_parent(proposal, form.parent_id.data)
        if parent is not None:
            return _render_reply(proposal, parent, form, "proposals/reply.html", error.status)
        form.parent_id.data = ""
        return _render_page(proposal_id, error.status, comment_form=form)
    if is_htmx():
        html = render_template(
            "proposals/_discussion.html", posted=comment.id, **_page_context(proposal_id)
        )
        # Replies are posted from a slot inside the thread; the answer replaces the discussion.
        return html, 200, {"HX-Retarget": "#discussion", "HX-Reswap": "outerHTML"}
    flash("Your comment is published.", "success")
    return to_proposal(proposal_id, f"#comment-{comment.id}")


def _reply_parent(proposal, parent_id):
    try:
        parent = discussion.get_comment(int(parent_id)) if parent_id else None
    except (ValueError, DomainError):
        return None
    return parent if parent is not None and parent.proposal_id == proposal.id else None


def _render_reply(proposal, parent, form, template: str, status: int = 200):
    page = load_proposal_page(proposal.id, acting_user())
    name = next((n for c, n in page.comment_rows if c.id == parent.id), "")
    return render_template(
        template,
        page=page,
        proposal=proposal,
        council=proposal.council,
        parent=parent,
        parent_name=name,
        form=form,
    ), status


@bp.route("/proposals/<int:proposal_id>/comments/<int:comment_id>/reply")
def reply(proposal_id: int, comment_id: int):
    proposal = services.get_proposal(proposal_id)
    parent = discussion.get_comment(comment_id)
    if parent.proposal_id != proposal.id:
        raise DomainError(
            "That comment is in another proposal's discussion; reply to it there.",
            code="parent_not_here",
            status=404,
        )
    form = CommentForm(formdata=None, parent_id=parent.id)
    template = "proposals/_reply.html" if is_htmx() else "proposals/reply.html"
    return _render_reply(proposal, parent, form, template)


@bp.route("/proposals/<int:proposal_id>/amend", methods=["GET", "POST"])
@login_required
def amend(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    form = AmendmentForm()
    status = 200
    if request.method == "POST":
        try:
            amendment = amendments.propose_amendment(
                acting_user(), proposal, body=form.body.data, reason=form.reason.data
            )
        except DomainError as error:
            apply_error(form, error)
            status = error.status
        else:
            flash("Your amendment is published; the author will accept or decline it.", "success")
            return to_proposal(proposal.id, f"#amendment-{amendment.id}")
    else:
        services.ensure_allowed(acting_user(), proposal, "propose_amendment")
        form.body.data = proposal.body
    diff = (
        rules.text_diff(proposal.body, form.body.data or "")
        if request.method == "POST" and form.body.data
        else None
    )
    return render_template(
        "proposals/amend.html", proposal=proposal, council=proposal.council, form=form, diff=diff
    ), status


@bp.route("/amendments/<int:amendment_id>/resolve", methods=["POST"])
@login_required
def resolve(amendment_id: int):
    amendment = amendments.get_amendment(amendment_id)
    accept = request.form.get("decision") == "accept"
    form = ResolveForm()
    try:
        amendments.resolve_amendment(
            acting_user(), amendment, accept=accept, reason=form.reason.data
        )
    except DomainError as error:
        return _refused(amendment.proposal_id, error)
    flash(
        "Amendment accepted: the proposal has a new version."
        if accept
        else "Amendment declined; your reason is published with it.",
        "success",
    )
    return to_proposal(amendment.proposal_id, f"#amendment-{amendment.id}")


# ---------------------------------------------------------------- search


@bp.route("/search")
def search():
    query = request.args.get("q", "")
    council_slug = request.args.get("council") or None
    council = council_by_slug(council_slug) if council_slug else None
    results = search_proposals(
        query,
        council=council,
        status=request.args.get("status") or None,
        page=int_arg(request.args, "page"),
    )
    template = "proposals/_search_results.html" if is_htmx() else "proposals/search.html"
    return render_template(
        template,
        results=results,
        query=query,
        council=council,
        status=request.args.get("status") or "",
        statuses=STATUS_LABELS,
    )


# Flags, hiding, the clerk's queue and appeals: their routes join this blueprint.

__all__ = ["COUNCIL_TABS", "NAV_ITEMS", "bp"]
