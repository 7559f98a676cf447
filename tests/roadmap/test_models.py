import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from roadmap.models import Item, Kind, Milestone, Roadmap, Stage
from tests.factories import ItemFactory, MilestoneFactory, RoadmapFactory, StageFactory

pytestmark = pytest.mark.django_db


def assert_rejected(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


def test_stage_slug_is_unique_per_roadmap_only():
    stage = StageFactory(slug="year-1-2")
    assert_rejected(StageFactory, roadmap=stage.roadmap, slug="year-1-2")
    StageFactory(slug="year-1-2")  # another roadmap may reuse it


@pytest.mark.parametrize(("year_start", "year_end"), [(0, 1), (5, 5), (1, 5), (3, 2)], ids=str)
def test_stage_years_must_lie_within_1_to_4_and_in_order(year_start, year_end):
    assert_rejected(StageFactory, year_start=year_start, year_end=year_end)


def test_milestone_slug_is_unique_per_stage():
    milestone = MilestoneFactory(slug="core-cs")
    assert_rejected(MilestoneFactory, stage=milestone.stage, slug="core-cs")
    MilestoneFactory(slug="core-cs")


def test_item_slug_is_unique_per_milestone():
    item = ItemFactory(slug="python")
    assert_rejected(ItemFactory, milestone=item.milestone, slug="python")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "video"},
        {"target_count": 0, "unit": "problems"},
        {"target_count": None, "unit": "problems"},
        {"due_year": 0},
        {"due_year": 5},
        {"due_semester": 3},
        {"due_semester": 0},
        {"due_year": None, "due_semester": 1},
    ],
    ids=str,
)
def test_item_constraints_reject_impossible_values(fields):
    assert_rejected(ItemFactory, **fields)


def test_due_point_defaults_to_the_end_of_the_stage():
    stage = StageFactory(year_start=2, year_end=3)
    item = ItemFactory(milestone__stage=stage, due_year=None, due_semester=None)
    assert item.due_point == (3, 2)
    assert item.due_label == "Year 3, semester 2"
    assert ItemFactory(milestone__stage=stage, due_year=2, due_semester=None).due_point == (2, 2)
    assert ItemFactory(milestone__stage=stage, due_year=2, due_semester=1).due_point == (2, 1)


@pytest.mark.parametrize(
    "fields, line",
    [
        ({}, "Course · due year 2, sem 1"),
        ({"optional": True}, "Course · due year 2, sem 1 · optional"),
        ({"archived": True}, "Course · due year 2, sem 1 · archived"),
        ({"optional": True, "archived": True}, "Course · due year 2, sem 1 · optional · archived"),
    ],
)
def test_meta_label_says_kind_due_point_and_standing_in_one_line(fields, line):
    item = ItemFactory(kind=Kind.COURSE, due_year=2, due_semester=1, **fields)
    assert item.meta_label == line


def test_active_leaves_out_archived_items():
    kept = ItemFactory()
    ItemFactory(archived=True)
    assert list(Item.objects.active()) == [kept]


def test_natural_keys_round_trip():
    item = ItemFactory()
    assert Item.objects.get_by_natural_key(*item.natural_key()) == item
    milestone = item.milestone
    assert Milestone.objects.get_by_natural_key(*milestone.natural_key()) == milestone
    assert Stage.objects.get_by_natural_key(*milestone.stage.natural_key()) == milestone.stage
    roadmap = milestone.stage.roadmap
    assert Roadmap.objects.get_by_natural_key(*roadmap.natural_key()) == roadmap


def test_visible_to_hides_drafts_from_everyone_but_staff(user, staff_user):
    published = RoadmapFactory(published=True)
    draft = RoadmapFactory(published=False)
    assert list(Roadmap.objects.visible_to(AnonymousUser())) == [published]
    assert list(Roadmap.objects.visible_to(user)) == [published]
    assert set(Roadmap.objects.visible_to(staff_user)) == {published, draft}


def test_with_counts_leaves_out_archived_items():
    item = ItemFactory(optional=True)
    ItemFactory(milestone=item.milestone)
    ItemFactory(milestone=item.milestone, archived=True)
    roadmap = Roadmap.objects.with_counts().get()
    assert (roadmap.stage_count, roadmap.item_count, roadmap.optional_count) == (1, 2, 1)
