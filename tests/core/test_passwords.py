import pytest

from participate.core.passwords import password_problem


@pytest.mark.parametrize(
    "password, expected",
    [
        ("short", "at least 10"),
        ("password123", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("ada.lovelace!!", "e-mail address"),
        ("I am Grace Okafor", "your name"),
        ("quiet river morning", None),
    ],
)
def test_password_rule(password, expected):
    problem = password_problem(password, email="ada.lovelace@example.org", name="Grace Okafor")
    if expected is None:
        assert problem is None
    else:
        assert expected in problem
