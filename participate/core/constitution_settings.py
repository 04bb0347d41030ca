"""The governance settings of a council's constitution (DESIGN.md §1, §4): which keys
there are, and validating a proposed set (weights per constituency, quorum, thresholds,
the petition rules), as a constitution-change petition proposes them and the clerk applies
them. Each refusal is one RuleViolation naming every bad setting.

Stdlib only: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .petitions import exact_fraction
from .rules import CONSTITUENCIES, RuleViolation, human_list

# The keys of a council's governance settings (`participate.councils.models.DEFAULT_SETTINGS`).
SETTINGS_KEYS: tuple[str, ...] = (
    "weights",
    "quorum",
    "threshold",
    "governance_threshold",
    "min_constituencies",
    "concurrent_majority",
    "petition_minimum",
    "petition_rate",
    "petition_sponsors",
    "petition_response_days",
)

# key -> (lowest, highest) for whole-number settings
_WHOLE_RANGES: dict[str, tuple[int, int | None]] = {
    "min_constituencies": (1, len(CONSTITUENCIES)),
    "petition_minimum": (1, None),
    "petition_sponsors": (0, 100),
    "petition_response_days": (1, 365),
}


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _share(value: object, key: str, errors: dict[str, str], *, below_one: bool = False) -> float:
    try:
        exact = exact_fraction(value, key)
    except ValueError:
        errors[key] = f"must be a number between 0 and 1, got {value!r}"
        return 0.0
    if below_one and not 0 <= exact < 1:
        errors[key] = (
            f"must be at least 0 and below 1 (a motion passes when support is above it), "
            f"got {value!r}"
        )
    elif not 0 <= exact <= 1:
        errors[key] = f"must be between 0 and 1, got {value!r}"
    return float(exact)


def validate_constitution_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check governance settings (all or some of `SETTINGS_KEYS`); return them normalised.

    ``weights`` maps known constituencies to numbers >= 0, not all zero (floats
    returned; a constituency left out keeps its weight); ``quorum`` and
    ``petition_rate`` are in [0, 1]; ``threshold`` and ``governance_threshold`` in
    [0, 1), since a motion passes when support is *above* it (1 could never pass);
    ``min_constituencies`` 1..5; ``concurrent_majority`` a boolean;
    ``petition_minimum`` >= 1; ``petition_sponsors`` 0..100;
    ``petition_response_days`` 1..365. Every problem is reported at once: the
    message names each offending key (``weights.citizen``, ``quorum``, ...), and
    ``details["errors"]`` maps key to problem.
    """
    if not isinstance(settings, Mapping) or not settings:
        raise RuleViolation(
            "settings_empty",
            "No settings given: give at least one of " + human_list(SETTINGS_KEYS, "or") + ".",
        )
    errors: dict[str, str] = {}
    result: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in SETTINGS_KEYS:
            errors[str(key)] = f"is not a setting (known settings: {human_list(SETTINGS_KEYS)})"
        elif key == "weights":
            result[key] = _weights(value, errors)
        elif key in ("quorum", "petition_rate"):
            result[key] = _share(value, key, errors)
        elif key in ("threshold", "governance_threshold"):
            result[key] = _share(value, key, errors, below_one=True)
        elif key == "concurrent_majority":
            if not isinstance(value, bool):
                errors[key] = f"must be true or false, got {value!r}"
            result[key] = value
        else:
            low, high = _WHOLE_RANGES[key]
            whole = _whole(value)
            if whole is None or whole < low or (high is not None and whole > high):
                span = f"from {low} to {high}" if high is not None else f"{low} or more"
                errors[key] = f"must be a whole number {span}, got {value!r}"
            result[key] = whole
    if errors:
        listed = "; ".join(f"{key}: {problem}" for key, problem in errors.items())
        raise RuleViolation(
            "settings_invalid",
            f"The constitution settings were refused. {listed}.",
            errors=errors,
            key=next(iter(errors)),
        )
    return result


def _weights(value: object, errors: dict[str, str]) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        errors["weights"] = "must give a weight for at least one constituency"
        return {}
    weights: dict[str, float] = {}
    for constituency, weight in value.items():
        key = f"weights.{constituency}"
        if constituency not in CONSTITUENCIES:
            errors[key] = (
                f"{constituency!r} is not a constituency (known constituencies: "
                f"{human_list(CONSTITUENCIES)})"
            )
            continue
        try:
            exact = exact_fraction(weight, key)
        except ValueError:
            errors[key] = f"must be a number of 0 or more, got {weight!r}"
            continue
        if exact < 0:
            errors[key] = f"must be 0 or more, got {weight!r}"
            continue
        weights[constituency] = float(exact)
    if weights and len(weights) == len(value) and not any(weights.values()):
        errors["weights"] = "cannot all be zero: at least one constituency must count"
    return weights
