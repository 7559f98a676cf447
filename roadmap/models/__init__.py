from .content import (
    FIRST_YEAR,
    LAST_YEAR,
    SEMESTERS_PER_YEAR,
    Item,
    Kind,
    Milestone,
    Roadmap,
    Skill,
    SkillCategory,
    Stage,
    term_index,
)
from .progress import REVIEWED_KINDS, Enrollment, Progress, ProgressEvent, Status

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "REVIEWED_KINDS",
    "SEMESTERS_PER_YEAR",
    "Enrollment",
    "Item",
    "Kind",
    "Milestone",
    "Progress",
    "ProgressEvent",
    "Roadmap",
    "Skill",
    "SkillCategory",
    "Stage",
    "Status",
    "term_index",
]
