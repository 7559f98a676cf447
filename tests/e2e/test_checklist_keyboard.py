"""The checklist by keyboard: a skip link to the current stage, few Tabs between
items, focus kept on the control after every swap."""

import itertools

import pytest

from roadmap.models import Item, Status
from tests.e2e.conftest import PHONE, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def focused(page):
    return page.evaluate("document.activeElement.id || document.activeElement.textContent")


def test_five_tabs_to_the_current_stage_and_at_most_four_between_items(new_page, setup):
    roadmap, student, _, _ = setup
    page = new_page(viewport=PHONE)
    sign_in(page, student)
    page.goto(f"/roadmaps/{roadmap.slug}/checklist/")
    buttons = page.eval_on_selector_all(
        "details.stage[open] .quick", "buttons => buttons.map(b => b.id)"
    )
    assert len(buttons) >= 2

    tabs = 0
    while focused(page) != buttons[0] and tabs < 10:
        page.keyboard.press("Tab")
        tabs += 1
        if "Skip to your current stage" in page.evaluate("document.activeElement.textContent"):
            page.keyboard.press("Enter")
    assert focused(page) == buttons[0]
    assert tabs <= 5, tabs

    for previous, following in itertools.pairwise(buttons):
        page.focus(f"#{previous}")
        steps = 0
        while focused(page) != following and steps < 10:
            page.keyboard.press("Tab")
            steps += 1
        assert steps <= 4, (previous, following, steps)

    # A tap by keyboard lands and the focus stays on the same control.
    page.focus(f"#{buttons[0]}")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#{buttons[0]}[aria-pressed=true]")
    assert focused(page) == buttons[0]
    pk = int(buttons[0].split("-")[1])
    assert Item.objects.get(pk=pk).progress.get().status == Status.DONE
