import factory
from factory.django import DjangoModelFactory

from accounts.adapter import set_email_verified
from accounts.models import User
from cohorts.models import Cohort, Membership
from roadmap.models import Item, Kind, Milestone, Roadmap, Skill, SkillCategory, Stage

TEST_PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a long enough passphrase"


def signup_data(**overrides):
    """What the sign-up form posts for a new student, with any field replaced."""
    return {
        "email": "Asha.Verma@Example.com",
        "name": "Asha Verma",
        "batch": "2025",
        "entry_year": "1",
        "programme_years": "4",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def credentials(url: str, email: str, password: str) -> dict:
    """What a sign-in form posts: ours (allauth's) names the email "login", the admin's
    (Django's) "username"."""
    return {"username" if url.startswith("/admin/") else "login": email, "password": password}


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"student{n}@example.com")
    name = factory.Faker("name", locale="en_IN")
    batch = 2025
    password = TEST_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the manager, so the password is hashed as at sign-up; with the address
        # verified, as every account from before verification is (and sign-in asks).
        user = model_class.objects.create_user(*args, **kwargs)
        set_email_verified(user)
        return user


class RoadmapFactory(DjangoModelFactory):
    class Meta:
        model = Roadmap
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"roadmap-{n}")
    title = factory.Sequence(lambda n: f"Roadmap {n}")
    summary = factory.Faker("sentence")
    published = True


class StageFactory(DjangoModelFactory):
    class Meta:
        model = Stage

    roadmap = factory.SubFactory(RoadmapFactory)
    slug = factory.Sequence(lambda n: f"stage-{n}")
    title = factory.Sequence(lambda n: f"Stage {n}")
    year_start = 1
    year_end = 2
    order = factory.Sequence(int)


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    stage = factory.SubFactory(StageFactory)
    slug = factory.Sequence(lambda n: f"milestone-{n}")
    title = factory.Sequence(lambda n: f"Milestone {n}")
    order = factory.Sequence(int)


class SkillCategoryFactory(DjangoModelFactory):
    class Meta:
        model = SkillCategory

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    order = factory.Sequence(int)


class SkillFactory(DjangoModelFactory):
    class Meta:
        model = Skill

    category = factory.SubFactory(SkillCategoryFactory)
    slug = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.Sequence(lambda n: f"Skill {n}")
    order = factory.Sequence(int)


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item
        skip_postgeneration_save = True

    milestone = factory.SubFactory(MilestoneFactory)
    slug = factory.Sequence(lambda n: f"item-{n}")
    title = factory.Sequence(lambda n: f"Item {n}")
    kind = Kind.TOPIC
    description = factory.Faker("sentence")
    due_year = 1
    due_semester = 2
    order = factory.Sequence(int)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.skills.set(extracted)


def build_roadmap(
    *,
    items: int,
    stages: int = 2,
    milestones_per_stage: int = 2,
    project: str = "",
    **roadmap_fields,
):
    """A roadmap with ``items`` items spread over its stages and milestones, each with a
    skill; with ``project``, also a project of that title in the first milestone (its
    evidence goes to a mentor's review)."""
    roadmap = RoadmapFactory(**roadmap_fields)
    milestones = [
        MilestoneFactory(stage=stage)
        for stage in StageFactory.create_batch(stages, roadmap=roadmap)
        for _ in range(milestones_per_stage)
    ]
    skill = SkillFactory()
    for n in range(items):
        ItemFactory(milestone=milestones[n % len(milestones)], skills=[skill])
    if project:
        ItemFactory(milestone=milestones[0], kind=Kind.PROJECT, title=project)
    return roadmap


class CohortFactory(DjangoModelFactory):
    """A cohort; ``CohortFactory(mentors=[m], students=[a, b])`` adds them (students as
    memberships, joined now)."""

    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"CSE batch {2020 + n % 10} — group {n}")
    roadmap = factory.SubFactory(RoadmapFactory)

    @factory.post_generation
    def mentors(self, create, mentors, **kwargs):
        if create and mentors:
            self.mentors.add(*mentors)

    @factory.post_generation
    def students(self, create, students, **kwargs):
        for student in students or []:
            MembershipFactory(cohort=self, student=student)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    student = factory.SubFactory(UserFactory)
