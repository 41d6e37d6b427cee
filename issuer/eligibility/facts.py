"""The facts an applicant states, validated strictly before any rule sees them.

The fact schema (:data:`FACT_SPECS`) is the single source of truth for two readers: the
:class:`Facts` parser below and the rule-file validator in :mod:`.ruleset`, which refuses a rule
that names an unknown fact or compares a fact with a value of the wrong type. Keeping both on one
table is what makes "the rule file is valid" imply "the rule can be evaluated on any valid facts".

Validation is strict on purpose: a permit decision must never rest on a coerced value, so
``True`` is not the integer 1, ``6.0`` is not 6 and ``"Owned"`` is not ``"owned"``. Every fact is
required: silently defaulting a missing fact to ``False`` or ``0`` would turn an incomplete form
into a lower outcome with reasons that look authoritative. Error messages name the field but
never echo a value (CONVENTIONS §4; wire.errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, get_args

from wire.errors import InvalidInput

__all__ = [
    "EMPLOYMENT_VALUES",
    "FACT_SPECS",
    "HOUSING_VALUES",
    "Employment",
    "FactKind",
    "FactSpec",
    "FactValue",
    "Facts",
    "Housing",
]

Housing = Literal["owned", "rented_registered", "relative", "dormitory", "none"]
Employment = Literal["contract", "self_employed", "flexible", "none"]
FactKind = Literal["int", "bool", "enum"]

HOUSING_VALUES: tuple[str, ...] = get_args(Housing)
EMPLOYMENT_VALUES: tuple[str, ...] = get_args(Employment)

#: Longest unknown key echoed back in ``InvalidInput.field``; keys are caller input, so a
#: pathological key is not reflected verbatim into logs or problem bodies.
_MAX_FIELD_ECHO = 64


@dataclass(frozen=True, slots=True)
class FactSpec:
    """Type of one fact: its kind, the allowed enum values and an optional inclusive maximum."""

    kind: FactKind
    choices: tuple[str, ...] = ()
    maximum: int | None = None


#: Every fact, in the order they are validated and documented.
FACT_SPECS: Mapping[str, FactSpec] = {
    "residence_months": FactSpec("int"),
    "intended_stay_days": FactSpec("int"),
    "housing": FactSpec("enum", HOUSING_VALUES),
    "has_residence_proof": FactSpec("bool"),
    "employment": FactSpec("enum", EMPLOYMENT_VALUES),
    "has_business_license": FactSpec("bool"),
    "social_insurance_months_continuous": FactSpec("int"),
    # A count of months within a 24-month window cannot exceed 24 (Shenzhen: 申领居住证之日前
    # 二年内累计); a larger number means the form was misread, so it is refused, not clamped.
    "social_insurance_months_last_24": FactSpec("int", maximum=24),
    "studying": FactSpec("bool"),
    "joining_hukou_relative": FactSpec("bool"),
    "meets_settlement_conditions": FactSpec("bool"),
    "minor_child_of_holder": FactSpec("bool"),
}

FactValue = int | bool | str


@dataclass(frozen=True, slots=True)
class Facts:
    """An applicant's validated facts; build it with :meth:`from_mapping`.

    Months and days are whole, non-negative counts; ``residence_months`` is time already lived
    in the jurisdiction, ``intended_stay_days`` the stay the applicant declares (成都、郑州、江苏
    count the 拟居住 period, 居住证暂行条例 第二条 the time already lived).
    """

    residence_months: int
    intended_stay_days: int
    housing: Housing
    has_residence_proof: bool
    employment: Employment
    has_business_license: bool
    social_insurance_months_continuous: int
    social_insurance_months_last_24: int
    studying: bool
    joining_hukou_relative: bool
    meets_settlement_conditions: bool
    minor_child_of_holder: bool

    @classmethod
    def from_mapping(cls, obj: object) -> Facts:
        """Validate ``obj`` (e.g. parsed JSON) into :class:`Facts`.

        Raises :class:`InvalidInput` naming the first offending field: unknown keys first (a
        typo such as ``residence_month`` is reported as itself rather than as the missing
        ``residence_months``), then each fact in :data:`FACT_SPECS` order.
        """
        if not isinstance(obj, Mapping):
            raise InvalidInput("facts must be an object")
        unknown = sorted(str(key) for key in obj if key not in FACT_SPECS)
        if unknown:
            name = unknown[0]
            field = name if len(name) <= _MAX_FIELD_ECHO else name[:_MAX_FIELD_ECHO] + "…"
            raise InvalidInput("unknown fact", field=field)
        values: dict[str, FactValue] = {}
        for name, spec in FACT_SPECS.items():
            if name not in obj:
                raise InvalidInput(f"missing fact {name}", field=name)
            values[name] = _check(name, spec, obj[name])
        return cls(**values)  # type: ignore[arg-type]  # each value was checked against its spec

    def get(self, name: str) -> FactValue:
        """Value of the fact called ``name``; rule evaluation reads facts by name."""
        if name not in FACT_SPECS:
            raise KeyError(name)
        value: FactValue = getattr(self, name)
        return value

    def to_dict(self) -> dict[str, FactValue]:
        """The facts as a JSON-ready mapping (round-trips through :meth:`from_mapping`)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check(name: str, spec: FactSpec, value: object) -> FactValue:
    """Return ``value`` if it has exactly the type ``spec`` demands, else raise InvalidInput."""
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true or false", field=name)
        return value
    if spec.kind == "int":
        # bool is a subclass of int in Python; a checkbox value must not count as "1 month".
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} must be a whole number", field=name)
        if value < 0:
            raise InvalidInput(f"{name} must not be negative", field=name)
        if spec.maximum is not None and value > spec.maximum:
            raise InvalidInput(f"{name} must be at most {spec.maximum}", field=name)
        return value
    if not isinstance(value, str) or value not in spec.choices:
        raise InvalidInput(f"{name} must be one of: {', '.join(spec.choices)}", field=name)
    return value
