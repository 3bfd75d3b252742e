"""The staff pages: arbejdsliste, forløb, henvisning — and the forms that act on them.

This module only gathers their routes (`router`); each page lives in its own module:
`worklist` (the worklist and the list of pathways), `pathway_page` (a pathway and how
its forms come back), `pathway_forms`, `meeting_forms`, `joint_plan_forms` and `stay_forms`
(the forms on it), `referral_pages` (referring and deciding), `forms` (reading what was typed).

Every read and every command goes through the API's own route functions
(`calls.call`, see its docstring for why), so a page shows exactly what the
API would answer the same person and refuses exactly what it would refuse.
Forms are plain HTML forms (they work without JavaScript); htmx, when
loaded, only turns their full-page round trips into in-place swaps.

A refused form never loses its input: the page is drawn again with what was
typed, the engine's reason beside the form and at the top of the page, and
the status the API would have answered (409 refused, 422 invalid, 403
forbidden, 404 not yours). A successful command redirects (303) back to the
page. Each form carries a fresh idempotency key, used the way the API uses an
`Idempotency-Key` header: the same form submitted twice (a double click, a
retry) gets the first outcome instead of acting twice; a refused form is
drawn again with a new key.
"""

from __future__ import annotations

from fastapi import APIRouter

from dualpath.web import (
    competence_page,
    joint_plan_forms,
    meeting_forms,
    pathway_forms,
    pathway_page,
    referral_pages,
    stay_forms,
    worklist,
)

router = APIRouter(include_in_schema=False)
for _pages in (
    worklist,
    pathway_page,
    pathway_forms,
    meeting_forms,
    joint_plan_forms,
    stay_forms,
    referral_pages,
    competence_page,
):
    router.include_router(_pages.router)
