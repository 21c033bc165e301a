"""The ID-conflict review queue: an imported household whose ID numbers belong to another
household is held back (the rest of the file imports), then accepted or dismissed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError
from bangfu.core.protect import decrypt_text
from bangfu.regions.scope import RegionScope
from bangfu.registry import conflicts
from bangfu.registry.importers import import_households, write_report
from bangfu.registry.models import Household, IdConflict, IdConflictStatus, ImportBatch, Member
from bangfu.registry.services import household_save
from tests.registry.factories import household_in
from tests.registry.test_importers import COL, household, write_csv

EVERYTHING = RegionScope.everything()
pytestmark = pytest.mark.django_db
OWNER = "5328221062078888"


def _owner_child_id() -> str:
    """A registered household; returns the ID number of its child (not its head)."""
    household_save(actor=None, capture=EVERYTHING, data=household_in(no=OWNER))
    child = Member.objects.get(household__household_no=OWNER, relation="son")
    return decrypt_text(child.id_number_enc)


def _file_with_clash(tmp_path: Path, taken: str) -> Path:
    """Two new households; the second's third member carries an ID number already taken."""
    rows = household("5328221062070101", 3) + household("5328221062070102", 3)
    rows[5][COL["id_number"]] = taken  # the second household's third member
    return write_csv(tmp_path / "clash.csv", rows)


def test_a_clashing_household_is_held_for_review_and_the_rest_imports(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    taken = _owner_child_id()
    result = import_households(_file_with_clash(tmp_path, taken), actor=users["admin"])

    assert result.problems == [] and not result.ok
    assert result.households_created == 1 and result.households_queued == 1
    assert [q.row for q in result.queued] == [5]
    assert "5328221062070102" in result.queued[0].message and OWNER in result.queued[0].message
    assert taken not in result.queued[0].message, "masked, never in clear"
    assert Household.objects.filter(household_no="5328221062070101").exists()
    assert not Household.objects.filter(household_no="5328221062070102").exists()
    conflict = IdConflict.objects.get()
    assert conflict.status == IdConflictStatus.OPEN and conflict.rows == [5, 6, 7]
    assert conflict.batch_id == result.batch_id and conflict.batch.status == "review"
    assert [(c["member"], c["other"]) for c in conflict.conflicts] == [(2, OWNER)]
    assert taken not in conflict.payload_enc, "the held household is stored encrypted"
    held = conflicts.open_household(conflict.payload_enc)
    assert held.household_no == "5328221062070102" and held.members[2].id_number == taken

    report = tmp_path / "report.xlsx"
    write_report(result, tmp_path / "clash.csv", report)
    sheet = openpyxl.load_workbook(report)["待核实的户"]
    row = [c.value for c in sheet[2]]
    assert row[0] == "5" and row[2] == conflict.conflicts[0]["masked"] and taken not in str(row)


def test_the_cli_exits_3_when_households_are_held(tmp_path: Path) -> None:
    path = _file_with_clash(tmp_path, _owner_child_id())
    with pytest.raises(CommandError) as raised:
        call_command("import", "households", str(path))
    assert raised.value.returncode == 3 and "held for review" in str(raised.value)


def test_accepting_moves_the_person_with_history_on_both_households(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    taken = _owner_child_id()
    import_households(_file_with_clash(tmp_path, taken), actor=users["admin"])
    conflict = IdConflict.objects.get()
    capture = RegionScope.of(["532822106207"])

    household, outcome = conflicts.conflict_accept(
        actor=users["nabing-village"], capture=capture, pk=conflict.pk, note="married in"
    )

    assert outcome == "created" and household.household_no == "5328221062070102"
    owner = Household.objects.get(household_no=OWNER)
    assert owner.size == 2 and owner.members.count() == 2
    moved = Member.objects.get(
        household=household, id_number_masked=conflict.conflicts[0]["masked"]
    )
    assert decrypt_text(moved.id_number_enc) == taken
    left = AuditEntry.objects.filter(object_type="registry.household", object_id=str(owner.pk))
    assert left.latest("id").reason.endswith("married in")
    assert len(left.latest("id").before["members"]) == 3
    conflict.refresh_from_db()
    assert conflict.status == IdConflictStatus.ACCEPTED
    assert conflict.decided_by == users["nabing-village"] and conflict.decision_note == "married in"
    with pytest.raises(BangfuError, match="already decided"):
        conflicts.conflict_dismiss(actor=users["admin"], capture=EVERYTHING, pk=conflict.pk)


def test_dismissing_changes_nothing_in_the_registry(tmp_path: Path, users: dict[str, Any]) -> None:
    import_households(_file_with_clash(tmp_path, _owner_child_id()), actor=users["admin"])
    conflict = IdConflict.objects.get()
    before = (Household.objects.count(), Member.objects.count())
    conflicts.conflict_dismiss(
        actor=users["admin"], capture=EVERYTHING, pk=conflict.pk, note="typo"
    )
    assert (Household.objects.count(), Member.objects.count()) == before
    conflict.refresh_from_db()
    assert conflict.status == IdConflictStatus.DISMISSED
    entry = AuditEntry.objects.filter(object_type="registry.idconflict").latest("id")
    assert entry.after["status"] == "dismissed" and "payload_enc" not in entry.after
    assert all("hash" not in c for c in entry.after["conflicts"])


def test_a_head_cannot_be_moved_and_nothing_changes(tmp_path: Path, users: dict[str, Any]) -> None:
    household_save(actor=None, capture=EVERYTHING, data=household_in(no=OWNER))
    head = Member.objects.get(household__household_no=OWNER, relation="head")
    import_households(
        _file_with_clash(tmp_path, decrypt_text(head.id_number_enc)), actor=users["admin"]
    )
    conflict = IdConflict.objects.get()
    with pytest.raises(BangfuError, match="head or the only member"):
        conflicts.conflict_accept(actor=users["admin"], capture=EVERYTHING, pk=conflict.pk)
    assert Household.objects.get(household_no=OWNER).members.count() == 3
    assert not Household.objects.filter(household_no="5328221062070102").exists()
    assert IdConflict.objects.get().status == IdConflictStatus.OPEN


def test_scope_other_villages_neither_see_nor_decide(
    tmp_path: Path, users: dict[str, Any], client_for: Any
) -> None:
    import_households(_file_with_clash(tmp_path, _owner_child_id()), actor=users["admin"])
    conflict = IdConflict.objects.get()
    assert list(conflicts.conflict_list(user=users["nabing-village"])) == [conflict]
    assert list(conflicts.conflict_list(user=users["mangshi-county"])) == []
    outsider = client_for("mangshi-county")
    assert outsider.get(f"/households/conflicts/{conflict.pk}/").status_code == 404
    response = outsider.post(f"/households/conflicts/{conflict.pk}/", {"decision": "dismiss"})
    assert response.status_code == 404
    assert IdConflict.objects.get().status == IdConflictStatus.OPEN


def test_the_pages_list_and_decide(tmp_path: Path, users: dict[str, Any], client_for: Any) -> None:
    taken = _owner_child_id()
    import_households(_file_with_clash(tmp_path, taken), actor=users["admin"])
    conflict = IdConflict.objects.get()
    client = client_for("nabing-village")
    listing = client.get("/households/conflicts/").content.decode()
    assert f'data-conflict="{conflict.pk}"' in listing and taken not in listing
    detail = client.get(f"/households/conflicts/{conflict.pk}/").content.decode()
    assert OWNER in detail and taken not in detail
    response = client.post(f"/households/conflicts/{conflict.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    created = Household.objects.get(household_no="5328221062070102")
    assert response["Location"] == f"/households/{created.pk}/"


def test_the_same_file_again_queues_nothing_new_and_an_edit_replaces_what_waits(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    taken = _owner_child_id()
    path = _file_with_clash(tmp_path, taken)
    import_households(path, actor=users["admin"])
    first = IdConflict.objects.get()
    entries = AuditEntry.objects.filter(object_type="registry.idconflict").count()

    again = import_households(path, actor=users["admin"])
    assert again.households_queued == 1 and again.households_unchanged == 1
    batch = ImportBatch.objects.get(pk=again.batch_id)
    assert batch.households_queued == 1 and batch.status == "review"
    assert IdConflict.objects.get() == first and first.payload_enc == (
        IdConflict.objects.get().payload_enc
    ), "unchanged: not even re-encrypted"
    assert AuditEntry.objects.filter(object_type="registry.idconflict").count() == entries

    rows = household("5328221062070101", 3) + household("5328221062070102", 3)
    rows[5][COL["id_number"]] = taken
    rows[3][COL["household_phone"]] = "13900000000"  # the held household's head, edited
    import_households(write_csv(tmp_path / "edited.csv", rows), actor=users["admin"])
    waiting = IdConflict.objects.get()
    assert waiting.pk == first.pk and conflicts.open_household(waiting.payload_enc).phone == (
        "13900000000"
    )
    last = AuditEntry.objects.filter(object_type="registry.idconflict").latest("id")
    assert last.action == "update" and last.object_id == str(first.pk)


def test_the_page_names_a_holder_only_within_the_viewers_scope(
    tmp_path: Path, users: dict[str, Any], client_for: Any
) -> None:
    gasai = "5328221062017777"  # 嘎赛村: outside 纳丙村's view scope
    household_save(actor=None, capture=EVERYTHING, data=household_in(no=gasai, village=gasai[:12]))
    son = Member.objects.get(household__household_no=gasai, relation="son")
    import_households(
        _file_with_clash(tmp_path, decrypt_text(son.id_number_enc)), actor=users["admin"]
    )
    conflict = IdConflict.objects.get()
    village_page = client_for("nabing-village").get(f"/households/conflicts/{conflict.pk}/")
    assert son.name not in village_page.content.decode() and gasai in village_page.content.decode()
    admin_page = client_for("admin").get(f"/households/conflicts/{conflict.pk}/")
    assert son.name in admin_page.content.decode()
