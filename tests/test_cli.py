"""The `bangfu` command end to end, in subprocesses on a fresh SQLite file under a temp dir."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BANGFU = str(Path(sys.executable).with_name("bangfu"))


def run(args: list[str], var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        {"BANGFU_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bangfu.settings.base"}
    )
    environment.update(env)
    return subprocess.run(
        [BANGFU, *args], env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def dump(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in (
                "regions_region",
                "regions_pairing",
                "accounts_user",
                "accounts_user_capture_regions",
                "audit_auditentry",
                "registry_household",
                "registry_member",
                "registry_incomerecord",
                "registry_guaranteeassessment",
                "registry_importbatch",
            )
        }


def test_demo_is_idempotent_and_uses_wal(tmp_path: Path) -> None:
    # A small --households keeps this quick; the default size runs the same code path.
    demo = ["demo", "--no-serve", "--seed", "7", "--households", "500"]
    first = run(demo, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Regions: 286 created" in first.stdout and "songjiang-office" in first.stdout
    assert "Households: 500 created" in first.stdout
    db = tmp_path / "bangfu.sqlite3"
    state = dump(db)
    assert len(state["registry_household"]) == 500 and len(state["registry_importbatch"]) == 1
    second = run(demo, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 created, 0 updated, 286 unchanged" in second.stdout
    assert "Households: 0 created; 500 demo households of seed 7 already present" in second.stdout
    assert dump(db) == state, (
        "a second run changes nothing: not the households, password hashes or the audit log"
    )
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_demo_is_refused_under_production_settings(tmp_path: Path) -> None:
    result = run(
        ["demo", "--no-serve"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="bangfu.settings.production",
        BANGFU_SECRET_KEY="x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
    )
    assert result.returncode != 0
    assert "生产环境配置下禁止运行演示" in result.stderr and "[demo_refused]" in result.stderr
    assert not (tmp_path / "bangfu.sqlite3").exists(), "refused before touching the database"


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    key = "k9$Vq2!pL7@wZ4#rT8%yN1^uB6&mC3*eX5(hJ0)aS-dF_gH+iK=oP"
    result = run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="bangfu.settings.production",
        BANGFU_SECRET_KEY=key,
        BANGFU_DATA_KEY="Yk1wSjJ4dW9aR0lxV0pQc0FvQkN1cFd4UGhUSmRqUDM=",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
    without = run(
        ["check", "--deploy"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="bangfu.settings.production",
        BANGFU_SECRET_KEY=key,
        BANGFU_DATA_KEY="",
    )
    assert without.returncode != 0 and "bangfu.E001" in without.stderr + without.stdout


def test_production_settings_refuse_a_missing_secret_key(tmp_path: Path) -> None:
    result = run(
        ["check"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="bangfu.settings.production",
        BANGFU_SECRET_KEY="",
    )
    assert result.returncode != 0 and "BANGFU_SECRET_KEY must be set" in result.stderr


def test_help_lists_bangfu_and_django_commands(tmp_path: Path) -> None:
    result = run(["help"], tmp_path)
    assert result.returncode == 0
    for command in ("demo", "serve", "migrate", "createsuperuser", "check"):
        assert command in result.stdout
    demo_help = run(["demo", "--help"], tmp_path).stdout
    assert "--seed" in demo_help and "--no-serve" in demo_help and "--port" in demo_help
    assert "--households" in demo_help and "missing ones are added" in " ".join(demo_help.split())


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings: Any) -> None:
    from bangfu.accounts.models import User

    settings.PASSWORD_HASHERS = settings.BANGFU_PRODUCTION_HASHERS
    user = User(username="argon")
    user.set_password("a-long-enough-password")
    assert user.password.startswith("argon2$")
    assert user.check_password("a-long-enough-password")


def test_batch_commands_keep_freed_memory_and_others_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bangfu.cli import BATCH_ALLOCATOR, batch_allocator

    ((name, value),) = BATCH_ALLOCATOR.items()
    monkeypatch.delenv(name, raising=False)
    batch_allocator(["serve"])
    assert name not in os.environ
    batch_allocator([])
    assert name not in os.environ
    batch_allocator(["monitor", "--year", "2025"])
    assert os.environ[name] == value
    monkeypatch.setenv(name, "dirty_decay_ms:1000")  # an operator's own setting wins
    batch_allocator(["measure"])
    assert os.environ[name] == "dirty_decay_ms:1000"
