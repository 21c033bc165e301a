"""Every string is translated into Chinese, and the committed .mo matches its .po."""

from __future__ import annotations

from pathlib import Path

import polib

import bangfu

PO = Path(bangfu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation() -> None:
    catalogue = polib.pofile(str(PO))
    assert len(catalogue) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_placeholders_survive_translation() -> None:
    import re

    for entry in polib.pofile(str(PO)):
        # plural entries keep their translations in msgstr_plural (Chinese has one form)
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for pattern in (r"\{[a-z_]+(?:!r)?\}", r"%\([a-z_]+\)s"):
            expected = sorted(set(re.findall(pattern, entry.msgid)))
            for text in translations:
                assert sorted(set(re.findall(pattern, text))) == expected, entry.msgid


def test_compiled_catalogue_is_up_to_date() -> None:
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo")))}
    source = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if e.msgstr}
    assert compiled.items() >= source.items(), "run `make messages` to recompile the .mo"


def test_system_reasons_in_history_read_in_the_reader_language() -> None:
    from django.utils import translation

    from bangfu.web.templatetags.bangfu import history_reason

    with translation.override("zh-hans"):
        assert history_reason("alert assigned") == "已分派预警"
        assert history_reason("objection: 邻居说收入不实") == "异议: 邻居说收入不实"
        assert history_reason("户主本人申请") == "户主本人申请"  # people's words as written
        assert history_reason("rang twice: x") == "rang twice: x"  # an unknown head stays
        assert history_reason("") == ""
    with translation.override("en"):
        assert history_reason("alert assigned") == "alert assigned"
