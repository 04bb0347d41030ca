from participate.core.secrecy import SMALL_CONSTITUENCY, disclosure_warning, small_constituencies


def test_small_constituencies_are_those_with_a_few_voters_but_not_none():
    eligible = {"citizen": 120, "employee": 4, "leader": 1, "elected": 0, "partner": 5}
    assert small_constituencies(eligible) == {"employee": 4, "leader": 1}
    assert SMALL_CONSTITUENCY == 5


def test_the_threshold_can_be_set():
    assert small_constituencies({"citizen": 9, "employee": 10}, smallest_safe=10) == {"citizen": 9}


def test_the_warning_names_the_count_and_the_consequence():
    assert "only eligible voter among service leaders" in disclosure_warning("Service leaders", 1)
    two = disclosure_warning("Employees", 2)
    assert "Only 2 employees" in two and "same way" in two
