"""Who may see which pathway. (Consent-gated municipal access comes with its issue.)"""

from __future__ import annotations

from dualpath.api.auth import Role, Staff


def may_see(staff: Staff, *, region: str | None, municipality: str) -> bool:
    """Region staff see their own region; ops see process state everywhere.

    Municipal access is gated by consent (not built yet): until it is, they
    see nothing.
    """
    if staff.role in (Role.clinician, Role.visitation):
        return staff.org_code == region
    return staff.role == Role.ops
