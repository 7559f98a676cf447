import pytest

from roadmap.services import follow_roadmap
from tests.factories import MembershipFactory, UserFactory, build_roadmap


@pytest.fixture
def roadmap():
    """Two topics and a project, "Sentiment API", whose evidence goes to review. Test
    modules that need another roadmap define their own ``roadmap``."""
    roadmap = build_roadmap(items=2, slug="ml", project="Sentiment API")
    return roadmap


@pytest.fixture
def student(cohort):
    """Asha Verma, in ``cohort`` and following its roadmap."""
    student = UserFactory(name="Asha Verma")
    MembershipFactory(cohort=cohort, student=student)
    follow_roadmap(student, cohort.roadmap)
    return student
