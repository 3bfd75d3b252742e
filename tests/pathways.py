"""A new ambulatory pathway's workflow input, for tests that start the workflow themselves."""

import uuid

from dualpath.domain.events import Actor
from dualpath.workflows import pathway as wf

CLINICIAN = Actor(subject="t", role="clinician", organisation="region:1082")


def pathway_input(actor: Actor = CLINICIAN, **state: object) -> wf.PathwayInput:
    """A group-2 pathway of region 1082 and Aarhus (751), fresh ids; `state` says otherwise."""
    fields: dict[str, object] = {
        "pathway_id": str(uuid.uuid4()),
        "referral_id": str(uuid.uuid4()),
        "patient_id": str(uuid.uuid4()),
        "group": 2,
        "region": "1082",
        "municipality": "751",
        "catalogue_version": "v1",
        **state,
    }
    return wf.PathwayInput(state=wf.PathwayState.model_validate(fields), actor=actor)
