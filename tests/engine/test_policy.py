"""Policy as data (bangfu.engine.policy): typed files, resolution, refusals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from bangfu.engine import policy

NATIONAL_2021 = """
year = 2021
province = ""
[monitoring]
threshold = { value = "6000", source = "county documents" }
income_drop_share = { value = 0.1, source = "test", confidence = "local_choice" }
rigid_share_of_income = { value = false, source = "off" }
"""


def test_values_are_typed_exactly():
    params = {p.key: p for p in policy.parse(NATIONAL_2021, "n.toml")}
    assert params["monitoring.threshold"].value == Decimal("6000")
    # A float typed in the file is read as written (0.1), not as the binary float.
    assert params["monitoring.income_drop_share"].value == Fraction(1, 10)
    assert params["monitoring.rigid_share_of_income"].value is None  # switched off
    assert params["monitoring.threshold"].as_json() == "6000"
    assert params["monitoring.rigid_share_of_income"].as_json() is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'year = 2021\n[monitoring]\nthreshhold = { value = "1", source = "x" }',
            "unknown parameter 'monitoring.threshhold'",
        ),
        ('year = 2021\n[monitoring]\nthreshold = { value = "-1", source = "x" }', "is not a money"),
        (
            'year = 2021\n[monitoring]\nthreshold = { value = "abc", source = "x" }',
            "is not a money",
        ),
        ('year = 2021\n[monitoring]\nthreshold = { value = "6000" }', "needs its source"),
        (
            'year = 2021\n[monitoring]\nthreshold = { value = "6000", source = "x", '
            'confidence = "sure" }',
            "confidence must be one of",
        ),
        (
            'year = 2021\n[monitoring]\nthreshold = { value = "1", source = "x", unit = "yuan" }',
            "unknown field(s) unit",
        ),
        (
            'year = 2021\n[monitoring]\nincome_definition = { value = "gross", source = "x" }',
            "choose one of net, after_rigid",
        ),
        (
            'year = 2021\n[risk_elimination]\nmin_stable_months = { value = 6.5, source = "x" }',
            "is not a int",
        ),
        (
            'year = 2021\n[risk_elimination]\ndefer_for_no_labour = { value = "yes", source = "x" }',
            "is not a bool",
        ),
        (
            'year = 2021\n[monitoring]\nincome_drop_share = { value = true, source = "x" }',
            "is not a share",
        ),
        ('year = "2021"', "'year' must be given"),
        ('year = 2021\nprovince = "Yunnan"', "is not a province code"),
        ("year = 2021\n[monitoring]\nthreshold = 6000", "write { value = …"),
        ("year = ", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_naming_file_and_key(text: str, message: str):
    with pytest.raises(policy.PolicyError) as exc:
        policy.parse(text, "bad.toml")
    assert "bad.toml" in str(exc.value) and message in str(exc.value)


def _p(key: str, year: int, province: str, value: object) -> policy.Parameter:
    return policy.Parameter(key, year, province, value, "test")  # type: ignore[arg-type]


def test_latest_year_wins_and_a_province_overrides_the_nation():
    params = [
        _p("monitoring.threshold", 2021, "", Decimal(6000)),
        _p("monitoring.threshold", 2022, "21", Decimal(7260)),
        _p("monitoring.threshold", 2023, "", Decimal(7000)),
        _p("monitoring.threshold", 2023, "53", Decimal(6500)),
    ]
    got = {
        (year, prov): policy.resolve(params, "monitoring.threshold", year, prov)
        for year in (2020, 2021, 2022, 2023, 2024)
        for prov in ("21", "53", "31")
    }
    assert got[(2020, "31")] is None
    assert got[(2021, "21")].value == 6000
    assert got[(2022, "21")].value == 7260 and got[(2022, "53")].value == 6000
    # The nation's newer value wins over a province's older one.
    assert got[(2023, "21")].value == 7000 and got[(2024, "21")].value == 7000
    assert got[(2024, "53")].value == 6500 and got[(2023, "31")].value == 7000


def test_a_missing_parameter_is_named_never_guessed():
    params = [p for p in policy.shipped() if p.key != "monitoring.income_drop_share"]
    with pytest.raises(policy.MissingParameter) as exc:
        policy.rule_policy(params, 2025, "53")
    assert exc.value.keys == ["monitoring.income_drop_share"]
    assert "2025 (province 53)" in str(exc.value)
    with pytest.raises(policy.MissingParameter) as exc:
        policy.rule_policy(policy.shipped(), 2020, "")
    assert "monitoring.threshold" in exc.value.keys and "poverty_line.current" not in exc.value.keys


def test_shipped_files_carry_the_known_values_with_sources():
    shipped = policy.shipped()
    assert all(p.source for p in shipped)
    yunnan = policy.rule_policy(shipped, 2025, "53")
    shanghai = policy.rule_policy(shipped, 2025, "31")
    liaoning = policy.rule_policy(shipped, 2022, "21")
    assert yunnan.threshold == Decimal(6000) and yunnan.poverty_line == Decimal(4000)
    assert yunnan.max_incidence == Fraction(3, 100)  # western province
    assert shanghai.max_incidence == Fraction(2, 100)
    assert liaoning.threshold == Decimal(7260)
    assert yunnan.min_stable_months == 6 and yunnan.rigid_vs_previous_income == 1
    assert yunnan.sources["monitoring.threshold"].confidence == "confirmed"
    described = yunnan.described()
    assert described["monitoring.threshold"]["value"] == "6000"
    assert described["region.west"] == {
        "value": True,
        "year": 2000,
        "province": "53",
        "source": described["region.west"]["source"],
        "confidence": "confirmed",
    }
    assert policy.resolve(shipped, "poverty_line.current", 2015, "53").value == 2855


def test_the_version_changes_with_any_value_and_only_then():
    shipped = policy.shipped()
    a = policy.rule_policy(shipped, 2025, "53")
    assert a.version == policy.rule_policy(shipped, 2025, "53").version
    assert a.version == policy.rule_policy(shipped, 2024, "53").version  # same values in force
    changed = policy.rule_policy(shipped, 2025, "53", {"monitoring.threshold": "6500"})
    assert changed.threshold == Decimal(6500) and changed.version != a.version
    assert changed.sources["monitoring.threshold"].source == "what-if (not in force)"


def test_overrides_are_checked_like_file_values():
    with pytest.raises(policy.PolicyError, match=r"what-if monitoring\.threshold"):
        policy.rule_policy(policy.shipped(), 2025, "53", {"monitoring.threshold": "lots"})


def test_the_same_parameter_twice_in_the_shipped_files_is_refused(monkeypatch):
    twice = [_p("monitoring.threshold", 2021, "", Decimal(1))] * 2
    with pytest.raises(policy.PolicyError, match="given twice"):
        policy._refuse_duplicates(twice)
