"""Words shared by the apps' messages."""

import pytest

from config.text import and_more


@pytest.mark.parametrize(
    ("names", "shown", "expected"),
    [
        ([], 3, ""),
        (["Asha"], 3, "Asha"),
        (["Asha", "Ravi", "Nisha"], 3, "Asha, Ravi, Nisha"),
        (["Asha", "Ravi", "Nisha", "Arjun"], 3, "Asha, Ravi, Nisha and 1 more"),
        (["a", "b", "c", "d", "e", "f"], 2, "a, b and 4 more"),
    ],
)
def test_and_more_names_the_first_and_counts_the_rest(names, shown, expected):
    assert and_more(names, shown) == expected
