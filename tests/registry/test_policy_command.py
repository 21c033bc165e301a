"""``bangfu policy load`` / ``show``: a deployment's own parameters, checked, audited."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bangfu.audit.models import AuditEntry
from bangfu.registry.models import PolicyParameter
from bangfu.registry.policy import rule_policy

YUNNAN_2026 = """
year = 2026
province = "53"
[monitoring]
threshold = { value = "7000", source = "云南省 2026 年监测范围 (test)" }
"""


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


def test_load_adds_a_provinces_value_and_is_idempotent(db, tmp_path: Path):
    path = tmp_path / "53-2026.toml"
    path.write_text(YUNNAN_2026, encoding="utf-8")
    assert _run("load", str(path)) == "1 created, 0 updated, 0 unchanged.\n"
    assert rule_policy(2026, "532822000000").threshold == Decimal(7000)
    assert rule_policy(2026, "310000000000").threshold == Decimal(6000)  # the nation's
    row = PolicyParameter.objects.get(key="monitoring.threshold", year=2026)
    assert row.province_code == "530000000000" and row.value == "7000"
    assert AuditEntry.objects.filter(object_id=str(row.pk), reason="bangfu policy load").exists()
    assert _run("load", str(path)) == "0 created, 0 updated, 1 unchanged.\n"


def test_a_bad_file_is_refused_naming_it_and_nothing_is_written(db, tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text(YUNNAN_2026, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('year = 2026\n[monitoring]\nthreshhold = { value = "1", source = "x" }\n')
    before = PolicyParameter.objects.count()
    with pytest.raises(CommandError, match=r"bad\.toml: monitoring\.threshhold: unknown parameter"):
        _run("load", str(good), str(bad))
    assert PolicyParameter.objects.count() == before


def test_show_lists_the_rules_in_force_or_names_what_is_missing(db):
    shown = json.loads(_run("show", "--year", "2025", "--province", "53"))
    assert shown["parameters"]["monitoring.threshold"]["value"] == "6000"
    assert shown["parameters"]["exit.max_incidence_west"]["value"] == "3/100"
    with pytest.raises(CommandError, match=r"monitoring\.threshold"):
        _run("show", "--year", "2019")
