"""Every projection the engine keeps; the API feeds them, `projections rebuild` rebuilds them."""

from dualpath.readmodels.acute_contacts import AcuteContactsProjection
from dualpath.readmodels.campaigns import CampaignsProjection
from dualpath.readmodels.competences import CompetencesProjection
from dualpath.readmodels.coordinated_courses import CoordinatedCoursesProjection
from dualpath.readmodels.meetings import MeetingsProjection
from dualpath.readmodels.pathways import PathwaysProjection
from dualpath.readmodels.projection import ReadModel
from dualpath.readmodels.screenings import ScreeningsProjection
from dualpath.readmodels.staff import StaffProjection
from dualpath.readmodels.stays import StaysProjection
from dualpath.readmodels.tasks import TasksProjection
from dualpath.readmodels.transitions import TransitionsProjection


def all_projections() -> list[ReadModel]:
    return [
        PathwaysProjection(),
        TasksProjection(),
        MeetingsProjection(),
        StaysProjection(),
        TransitionsProjection(),
        CampaignsProjection(),
        CoordinatedCoursesProjection(),
        AcuteContactsProjection(),
        ScreeningsProjection(),
        StaffProjection(),
        CompetencesProjection(),
    ]
