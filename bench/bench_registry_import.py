"""Household import: Bangfu's importer against django-import-export, on SQLite.

One deterministic file in the national 26-column layout (全国扶贫开发信息系统), 100,000
households in 14 real villages of 勐海县 (about 400,000 person rows, valid GB 11643 ID numbers),
written once as CSV (UTF-8 with BOM) and as .xlsx and cached under ``bench/results/cache``.
Every measurement runs in its own process on a fresh copy of one template database (migrated,
reference regions, code lists and demo users loaded by ``bangfu demo --households 0
--no-serve``), so that its peak RSS is its own:

* ``bangfu_csv``    - ``importers.import_households`` on the CSV (the subject: 100,000 households);
* ``bangfu_xlsx``   - the same on the .xlsx (100,000 households);
* ``bangfu_slice``  - the same on the first 10,000 households (like-for-like with the peer);
* ``iep_default``   - peer: django-import-export ``ModelResource`` for Household then Member,
                      with the library's defaults, on the 10,000-household slice (CSV);
* ``iep_bulk``      - the same with ``use_bulk = True`` and ``skip_diff = True``;
* ``iep_bulk_init`` - the same plus ``force_init_instance = True`` (no lookup per row).

The peer writes the same columns of the same tables (checked: households and members must be
equal column for column, ID numbers decrypting to the file's, or the benchmark is invalid).
Run through ``bench/run.py`` (``make bench``); alone, ``python bench/bench_registry_import.py``
prints the table on stderr and the raw results as JSON. ``BANGFU_BENCH_QUICK=1`` shrinks the
file to 5,000 households and the peer's slice to 1,000 (a smoke run).
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reporting import (
    emit,
    sqlite_env,
    target_lines,
)  # bench/reporting.py (the script's folder is on sys.path)

NAME = "registry.import"
TITLE = "Household import (national 26-column layout) into SQLite: Bangfu vs django-import-export"

QUICK = os.environ.get("BANGFU_BENCH_QUICK", "").strip() not in {"", "0", "false", "no"}
HOUSEHOLDS = 5_000 if QUICK else 100_000
PEER_HOUSEHOLDS = 1_000 if QUICK else 10_000
SEED = 2020
GENERATOR_VERSION = 1  # bump when the generated file changes: the cached files are keyed by it

TARGET_CSV_HOUSEHOLDS_PER_S = 20_000
TARGET_XLSX_HOUSEHOLDS_PER_S = 5_000
TARGET_PEAK_BYTES = int(1.5 * 1024**3)
TARGET_RATIO_VS_PEER_BULK = 10.0

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CACHE_DIR = Path(os.environ.get("BANGFU_BENCH_CACHE", BENCH_DIR / "results" / "cache"))
# A fixed key for the benchmark's throwaway databases (not a secret: nothing real is in them).
# Without it Bangfu derives one from SECRET_KEY and logs a warning in every process.
BENCH_DATA_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"bangfu-bench").digest()).decode()

# --- the file -----------------------------------------------------------------------------

# The villages of the shipped reference regions (regions/data/regions.csv): the only real
# villages are in 勐阿镇 and 勐往乡 of 勐海县.
VILLAGES: tuple[tuple[str, str, str], ...] = (
    ("532822106001", "勐阿镇", "兴城社区"),
    ("532822106201", "勐阿镇", "嘎赛村"),
    ("532822106202", "勐阿镇", "曼迈村"),
    ("532822106203", "勐阿镇", "南朗河村"),
    ("532822106204", "勐阿镇", "勐康村"),
    ("532822106205", "勐阿镇", "贺建村"),
    ("532822106206", "勐阿镇", "纳京村"),
    ("532822106207", "勐阿镇", "纳丙村"),
    ("532822202201", "勐往乡", "勐往村"),
    ("532822202202", "勐往乡", "灰塘村"),
    ("532822202203", "勐往乡", "曼允村"),
    ("532822202204", "勐往乡", "南果河村"),
    ("532822202205", "勐往乡", "坝散村"),
    ("532822202206", "勐往乡", "糯东村"),
)
COUNTY = "勐海县"
# Where people were first registered (the ID number's first six digits): mostly here.
BIRTH_PLACES = (("532822", 90), ("532823", 4), ("532801", 3), ("530102", 2), ("533103", 1))
SIZES = ((1, 5), (2, 12), (3, 20), (4, 25), (5, 20), (6, 10), (7, 5), (8, 3))  # mean 4.08
ETHNIC = (("傣族", 34), ("哈尼族", 25), ("拉祜族", 15), ("布朗族", 12), ("汉族", 14))
DAI_GIVEN = "温罕坎香叫应光保胆拉燕丙南帕涛说"
SURNAMES = "李张杨王罗陈刘赵周白石马岩"
GIVEN = "明华国春兰芳秀英强军志红文学海云梅平建伟丽娟福德"
EXIT = (("已脱贫（享受政策）", 70), ("已脱贫（不再享受政策）", 12), ("未脱贫", 15), ("返贫", 3))
ATTRIBUTES = (("一般脱贫户", 60), ("低保脱贫户", 25), ("特困供养脱贫户", 5), ("一般贫困户", 10))
CAUSES = (
    ("因病", 25),
    ("缺技术", 20),
    ("缺资金", 18),
    ("缺劳力", 10),
    ("因残", 8),
    ("因学", 7),
    ("交通条件落后", 5),
    ("自身发展动力不足", 4),
    ("因灾", 3),
)
HEALTH = (("健康", 86), ("长期慢性病", 9), ("患有大病", 2), ("残疾", 3))
WORK_AWAY = (
    ("未务工", 55),
    ("乡（镇）内务工", 15),
    ("乡（镇）外县内务工", 12),
    ("县外省内务工", 10),
    ("省外务工", 8),
)
ADULT_EDUCATION = (
    ("文盲或半文盲", 12),
    ("小学", 38),
    ("初中", 35),
    ("高中", 10),
    ("大专及以上", 5),
)
REFERENCE_DATE = dt.date(2025, 6, 30)

# The national layout's 26 headers, in the order of importers.NATIONAL (checked at run time).
HEADER = (
    "县(市、区、旗)",
    "乡(镇)",
    "行政村",
    "自然村",
    "户编号",
    "人编号",
    "姓名",
    "证件号码",
    "人数",
    "与户主关系",
    "民族",
    "文化程度",
    "在校生状况",
    "健康状况",
    "劳动技能",
    "务工状况",
    "务工时间（月）",
    "参加大病医疗",
    "脱贫属性",
    "贫困户属性",
    "主要致贫原因",
    "危房户",
    "饮水安全",
    "饮水困难",
    "人均纯收入",
    "联系电话",
)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def check_character(first17: str) -> str:
    from bangfu.registry.idnumber import check_character as bangfu_check

    return bangfu_check(first17)


class Generator:
    """Household *i* is a function of the seed and *i*; ID numbers are made unique in file
    order (a taken sequence number moves to the next free one of the same sex)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.taken: set[str] = set()

    def id_number(self, rng: random.Random, birth: dt.date, male: bool) -> str:
        region = _pick(rng, BIRTH_PLACES)
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        for _ in range(500):
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            if first17 not in self.taken:
                self.taken.add(first17)
                return first17 + check_character(first17)
            seq = (seq + 2) % 1000
        raise RuntimeError(f"no free ID number for {region} {birth}")

    def name(self, rng: random.Random, ethnicity: str, male: bool) -> str:
        if ethnicity == "傣族":
            return ("岩" if male else "玉") + rng.choice(DAI_GIVEN)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        return rng.choice(SURNAMES) + given

    def household(self, i: int) -> list[list[str]]:
        rng = random.Random(self.seed * 1_000_003 + i)
        code, township, village = VILLAGES[i % len(VILLAGES)]
        no = f"{code}{i // len(VILLAGES) + 1:04d}"
        size = _pick(rng, SIZES)
        ethnicity = _pick(rng, ETHNIC)
        head_male = rng.random() < 0.85
        head_born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
        people: list[tuple[str, dt.date, bool]] = [("户主", head_born, head_male)]
        if size >= 2:
            spouse_born = head_born + dt.timedelta(days=rng.randrange(-5 * 365, 5 * 365))
            people.append(("配偶", spouse_born, not head_male))
        parents = size >= 6
        children = size - len(people) - (2 if parents else 0)
        for _ in range(children):
            born = head_born + dt.timedelta(days=rng.randrange(20 * 365, 38 * 365))
            born = min(born, REFERENCE_DATE - dt.timedelta(days=rng.randrange(30, 365)))
            male = rng.random() < 0.5
            people.append(("之子" if male else "之女", born, male))
        if parents:
            born = head_born - dt.timedelta(days=rng.randrange(22 * 365, 35 * 365))
            people.append(("之父", born, True))
            people.append(("之母", born + dt.timedelta(days=rng.randrange(0, 3 * 365)), False))
        head = {
            "size": str(size),
            "exit": _pick(rng, EXIT),
            "attribute": _pick(rng, ATTRIBUTES),
            "cause": _pick(rng, CAUSES),
            "dangerous": "是" if rng.random() < 0.03 else "否",
            "water_safe": "否" if rng.random() < 0.02 else "是",
            "water_difficult": "是" if rng.random() < 0.02 else "否",
            "income": f"{rng.lognormvariate(9.2, 0.45):.2f}",
            "phone": f"1{rng.choice('3589')}{rng.randrange(0, 10**9):09d}",
        }
        rows = []
        for n, (relation, born, male) in enumerate(people, start=1):
            age = (REFERENCE_DATE - born).days // 365
            is_head = relation == "户主"
            if age < 6:
                education, school = "学龄前儿童", "学前教育"
            elif age <= 12:
                education, school = "小学", "小学"
            elif age <= 15:
                education, school = "初中", ("七年级", "八年级", "九年级")[age - 13]
            elif age <= 18 and rng.random() < 0.6:
                education, school = "高中", ("高中一年级", "高中二年级", "高中三年级")[age - 16]
            else:
                education, school = _pick(rng, ADULT_EDUCATION), "非在校生"
            health = _pick(rng, HEALTH) if age >= 16 else "健康"
            if age < 16:
                labour, work, months = "无劳动力", "未务工", 0
            elif age >= 70 or health in {"患有大病", "残疾"}:
                labour, work, months = (
                    _pick(rng, (("丧失劳动力", 3), ("弱劳动力或半劳动力", 2))),
                    "未务工",
                    0,
                )
            else:
                labour = _pick(
                    rng, (("普通劳动力", 80), ("技能劳动力", 12), ("弱劳动力或半劳动力", 8))
                )
                work = _pick(rng, WORK_AWAY)
                months = 0 if work == "未务工" else rng.randrange(3, 13)
            rows.append(
                [
                    COUNTY,
                    township,
                    village,
                    "",
                    no,
                    f"{no}{n:02d}",
                    self.name(rng, ethnicity, male),
                    self.id_number(rng, born, male),
                    head["size"] if is_head else "",
                    relation,
                    ethnicity if rng.random() < 0.95 else _pick(rng, ETHNIC),
                    education,
                    school,
                    health,
                    labour,
                    work,
                    str(months),
                    "否" if rng.random() < 0.03 else "是",
                    head["exit"] if is_head else "",
                    head["attribute"] if is_head else "",
                    head["cause"] if is_head else "",
                    head["dangerous"] if is_head else "",
                    head["water_safe"] if is_head else "",
                    head["water_difficult"] if is_head else "",
                    head["income"] if is_head else "",
                    head["phone"] if is_head else "",
                ]
            )
        return rows

    def rows(self, households: int) -> Iterator[list[str]]:
        for i in range(households):
            yield from self.household(i)


def write_csv(path: Path, rows: Iterator[list[str]]) -> int:
    """CSV UTF-8 with BOM, as Excel's "CSV UTF-8 (逗号分隔)" saves it; returns the row count."""
    count = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow(row)
            count += 1
    tmp.replace(path)
    return count


def _column_letters(n: int) -> list[str]:
    letters = []
    for index in range(n):
        text, i = "", index + 1
        while i:
            i, rest = divmod(i - 1, 26)
            text = chr(65 + rest) + text
        letters.append(text)
    return letters


def write_xlsx(path: Path, rows: Iterator[list[str]]) -> int:
    """A minimal but complete .xlsx as Excel writes one: every cell a text cell in the shared
    strings table (so that ID numbers keep their 18 digits), one sheet named 户籍. Written
    directly (xlsxwriter takes minutes for 10 million cells); read back by calamine (the
    importer) and openpyxl alike."""
    strings: dict[str, int] = {}
    letters = _column_letters(len(HEADER))
    count = 0
    tmp = path.with_suffix(".tmp")
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out: list[str] = [
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f"<worksheet {ns} {rel_ns}><sheetData>"
            ]

            def put(number: int, cells: Sequence[str]) -> None:
                parts = [f'<row r="{number}">']
                for letter, value in zip(letters, cells, strict=False):
                    if value == "":
                        continue
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = len(strings)
                    parts.append(f'<c r="{letter}{number}" t="s"><v>{index}</v></c>')
                parts.append("</row>")
                out.append("".join(parts))

            put(1, HEADER)
            for row in rows:
                count += 1
                put(count + 1, row)
                if len(out) >= 5000:
                    raw.write("".join(out).encode("utf-8"))
                    out.clear()
            out.append("</sheetData></worksheet>")
            raw.write("".join(out).encode("utf-8"))
        shared = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">'
        ]
        shared.extend(f"<si><t>{escape(text)}</t></si>" for text in strings)
        shared.append("</sst>")
        archive.writestr("xl/sharedStrings.xml", "".join(shared).encode("utf-8"))
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook {ns} {rel_ns}><sheets><sheet name="户籍" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/styles" Target="styles.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet {ns}><fonts count="1"><font><sz val="11"/><name val="宋体"/></font>'
            '</fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" '
            'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf '
            'numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>',
        )
    tmp.replace(path)
    return count


def prepare_files() -> dict[str, Any]:
    """The CSV, the .xlsx and the peer's slice (first households of the same file), generated
    once per generator version and size and cached."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"national-v{GENERATOR_VERSION}-seed{SEED}"
    for stale in CACHE_DIR.glob("national-v*"):  # files of another generator version
        if not stale.name.startswith(stem + "-"):
            stale.unlink(missing_ok=True)
    files = {
        "csv": CACHE_DIR / f"{stem}-{HOUSEHOLDS}.csv",
        "xlsx": CACHE_DIR / f"{stem}-{HOUSEHOLDS}.xlsx",
        "slice": CACHE_DIR / f"{stem}-{PEER_HOUSEHOLDS}.csv",
    }
    meta_path = CACHE_DIR / f"{stem}-{HOUSEHOLDS}-{PEER_HOUSEHOLDS}.json"
    if meta_path.exists() and all(p.exists() for p in files.values()):
        meta: dict[str, Any] = json.loads(meta_path.read_text("utf-8"))
        meta["cached"] = True
    else:
        started = time.perf_counter()
        rows = list(Generator(SEED).rows(HOUSEHOLDS))
        slice_rows = [r for r in rows if _household_index(r[4]) < PEER_HOUSEHOLDS]
        write_csv(files["csv"], iter(rows))
        write_xlsx(files["xlsx"], iter(rows))
        write_csv(files["slice"], iter(slice_rows))
        meta = {
            "households": HOUSEHOLDS,
            "rows": len(rows),
            "slice_households": PEER_HOUSEHOLDS,
            "slice_rows": len(slice_rows),
            "generate_seconds": round(time.perf_counter() - started, 2),
        }
        meta_path.write_text(json.dumps(meta), "utf-8")
        meta["cached"] = False
    meta["files"] = {key: str(path) for key, path in files.items()}
    meta["bytes"] = {key: path.stat().st_size for key, path in files.items()}
    return meta


def _household_index(household_no: str) -> int:
    """Household *i* is in village ``i % 14`` with sequence ``i // 14 + 1``."""
    code, seq = household_no[:12], int(household_no[12:])
    return (seq - 1) * len(VILLAGES) + [v[0] for v in VILLAGES].index(code)


# --- the template database ----------------------------------------------------------------


def child_env(var_dir: Path) -> dict[str, str]:
    source = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    return sqlite_env(var_dir, BENCH_DATA_KEY, PYTHONPATH=source)


def build_template(var_dir: Path) -> float:
    """Migrate and load the reference data the way a new installation does: ``bangfu demo
    --households 0 --no-serve`` (regions, pairings, code lists, users; no households)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bangfu.cli", "demo", "--households", "0", "--no-serve"],
        env=child_env(var_dir),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    db = var_dir / "bangfu.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def measure(method: str, path: str, template: Path, households: int) -> dict[str, Any]:
    """One import in a fresh process on a fresh copy of the template database."""
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-import-") as tmp:
        var_dir = Path(tmp)
        shutil.copyfile(template, var_dir / "bangfu.sqlite3")
        out = var_dir / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", method, path]
        command += ["--households", str(households), "--out", str(out)]
        started = time.perf_counter()
        completed = subprocess.run(command, env=child_env(var_dir), cwd=ROOT, check=False)  # noqa: S603
        if completed.returncode != 0 or not out.exists():
            raise SystemExit(f"BENCHMARK FAILED: {method} exited with {completed.returncode}")
        result: dict[str, Any] = json.loads(out.read_text("utf-8"))
        result["process_seconds"] = round(time.perf_counter() - started, 2)
        result["database_bytes"] = sum(
            p.stat().st_size for p in var_dir.glob("bangfu.sqlite3*") if p.is_file()
        )
    return result


# --- in the child: the methods ------------------------------------------------------------


def memory(field: str) -> int:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process, in bytes. Not ``ru_maxrss``: on
    Linux that carries over the parent's resident size from ``fork`` across ``exec``, so a
    child of a large parent would report the parent's size as its own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # elsewhere: best effort


def child(method: str, path: str, households: int, out: Path) -> None:
    import django

    django.setup()
    from bangfu.audit.models import AuditEntry
    from bangfu.registry.importers import NATIONAL

    assert tuple(c.header for c in NATIONAL.columns) == HEADER, "the national layout changed"
    audit_before = AuditEntry.objects.count()
    rss_before = memory("VmRSS")
    result = _child_bangfu(path) if method.startswith("bangfu") else _child_peer(method, path)
    result["peak_rss_bytes"] = memory("VmHWM")
    result["rss_after_setup_bytes"] = rss_before
    result.update(_digest(sample=None if households <= 20_000 else 2_000))
    result["audit_entries"] -= audit_before
    out.write_text(json.dumps(result), "utf-8")


class SqlTimer:
    """Time spent in the database driver, by phase and statement (``INSERT registry_member``),
    through ``connection.execute_wrapper``: one call per statement or ``executemany``."""

    def __init__(self) -> None:
        self.phase = "reading"
        self.seconds: dict[str, dict[str, float]] = {}

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split(None, 4)
            verb = words[0].upper() if words else "?"
            table = re.search(r'(?:INTO|FROM|UPDATE)\s+"?(\w+)', sql)
            key = f"{verb} {table.group(1) if table else ''}".strip()
            spent = self.seconds.setdefault(self.phase, {})
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start


def _child_bangfu(path: str) -> dict[str, Any]:
    from django.db import connection

    from bangfu.regions.scope import RegionScope
    from bangfu.registry.importers import import_households

    marks: dict[str, float] = {}
    sql = SqlTimer()

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter())
        sql.phase = phase

    started = time.perf_counter()
    # as `bangfu import households FILE` without --user: no actor, everything in scope
    with connection.execute_wrapper(sql):
        result = import_households(
            path, actor=None, capture=RegionScope.everything(), progress=progress
        )
    seconds = time.perf_counter() - started
    if not result.ok or result.households_rejected:
        raise SystemExit(
            f"BENCHMARK INVALID: Bangfu refused rows of the generated file: "
            f"{[p.as_dict() for p in result.problems[:5]]}"
        )
    checking = marks.get("checking", started + seconds)
    writing = marks.get("writing", started + seconds)
    return {
        "seconds": seconds,
        "rows": result.rows_total,
        "households": result.households_created,
        "phases": {
            "reading": checking - started,
            "checking": writing - checking,
            "writing": started + seconds - writing,
        },
        "importer_seconds": result.seconds,
        "sql_seconds": sql.seconds,
    }


def _child_peer(method: str, path: str) -> dict[str, Any]:
    import tablib
    from django.db import connection

    import_export = __import__("import_export")
    sql = SqlTimer()
    household_resource, member_resource = peer_resources(method)
    started = time.perf_counter()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    heads = tablib.Dataset(headers=dataset.headers)
    relation = dataset.headers.index("与户主关系")
    for row in dataset:
        if row[relation] == "户主":
            heads.append(row)
    read = time.perf_counter()
    with connection.execute_wrapper(sql):
        sql.phase = "households"
        households = household_resource().import_data(heads)
        between = time.perf_counter()
        sql.phase = "members"
        members = member_resource().import_data(dataset)
    seconds = time.perf_counter() - started
    for what, result in (("households", households), ("members", members)):
        if result.has_errors() or result.has_validation_errors():
            errors = [e.error for _, row_errors in result.row_errors()[:3] for e in row_errors]
            invalid = [r.error for r in result.invalid_rows[:3]]
            raise SystemExit(f"BENCHMARK INVALID: the peer failed on {what}: {errors or invalid}")
    return {
        "seconds": seconds,
        "rows": len(dataset),
        "households": households.totals["new"] + households.totals["update"],
        "phases": {
            "reading": read - started,
            "households": between - read,
            "members": started + seconds - between,
        },
        "peer_version": import_export.__version__,
        "sql_seconds": sql.seconds,
    }


def peer_resources(method: str) -> tuple[type, type]:
    """django-import-export resources that write what Bangfu writes from a national-layout
    file: households from the heads' rows (``import_id_fields = 户编号``), then members from
    every row with their household as a foreign key (``import_id_fields`` = the ID number's
    keyed hash). What a user of the library would write: a widget per kind of cell (codes by
    label through the registry's code lists, 是/否, the ID number encrypted, hashed and masked
    with ``bangfu.core.protect`` and ``idnumber.mask_id_number``, sex and birth date sliced
    out of it), ``ForeignKeyWidget`` for the village (by name) and the household (by number).
    The four figures of columns 22-25 (危房户, 饮水安全, 饮水困难, 人均纯收入) go to the
    household's ``reported_*`` columns, as Bangfu keeps them. No validation beyond what the
    widgets do."""
    from import_export import fields, resources, widgets

    from bangfu.core.protect import encrypt_text, lookup_hash
    from bangfu.regions.codes import Level
    from bangfu.regions.models import Region
    from bangfu.registry.codelists import code_list
    from bangfu.registry.idnumber import mask_id_number
    from bangfu.registry.importers import STATUS_OF_EXIT
    from bangfu.registry.models import Household, Member

    class Code(widgets.Widget):
        def __init__(self, list_name: str) -> None:
            super().__init__()
            self.list_name = list_name

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
            if not value:
                return ""
            return code_list(self.list_name).lookup[value]

    class Status(widgets.Widget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
            return STATUS_OF_EXIT[code_list("exit_status").lookup[value]]

    class YesNo(widgets.Widget):
        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
            return value == "是"

    class IdPart(widgets.Widget):
        def __init__(self, part: str) -> None:
            super().__init__()
            self.part = part

        def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
            number = str(value).strip().upper()
            if self.part == "enc":
                return encrypt_text(number)
            if self.part == "hash":
                return lookup_hash(number)
            if self.part == "masked":
                return mask_id_number(number)
            if self.part == "sex":
                return "M" if int(number[16]) % 2 else "F"
            return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))

    class Village(widgets.ForeignKeyWidget):
        def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
            return Region.objects.filter(level=Level.VILLAGE)

    bulk = method in {"iep_bulk", "iep_bulk_init"}
    init = method == "iep_bulk_init"

    def meta(model: type, id_fields: list[str], names: list[str]) -> type:
        options: dict[str, Any] = {
            "model": model,
            "import_id_fields": id_fields,
            "fields": names,
        }
        if bulk:
            options.update(use_bulk=True, skip_diff=True)
        if init:
            options["force_init_instance"] = True
        return type("Meta", (), options)

    def field(attribute: str, column: str, widget: Any = None) -> Any:
        return fields.Field(attribute=attribute, column_name=column, widget=widget)

    household_fields = {
        "household_no": field("household_no", "户编号"),
        "village": field("village", "行政村", Village(Region, "name_zh")),
        "head_name": field("head_name", "姓名"),
        "size": field("size", "人数", widgets.IntegerWidget()),
        "phone": field("phone", "联系电话"),
        "status": field("status", "脱贫属性", Status()),
        "poverty_attribute": field("poverty_attribute", "贫困户属性", Code("poverty_attribute")),
        "main_cause": field("main_cause", "主要致贫原因", Code("poverty_cause")),
        # national columns 22-25, kept as reported (Household.reported_*)
        "reported_dangerous_house": field("reported_dangerous_house", "危房户", YesNo()),
        "reported_water_safe": field("reported_water_safe", "饮水安全", YesNo()),
        "reported_water_difficult": field("reported_water_difficult", "饮水困难", YesNo()),
        "reported_net_income_pc": field(
            "reported_net_income_pc", "人均纯收入", widgets.DecimalWidget()
        ),
    }
    member_fields = {
        "household": field(
            "household", "户编号", widgets.ForeignKeyWidget(Household, "household_no")
        ),
        "person_no": field("person_no", "人编号"),
        "name": field("name", "姓名"),
        "id_number_enc": field("id_number_enc", "证件号码", IdPart("enc")),
        "id_number_hash": field("id_number_hash", "证件号码", IdPart("hash")),
        "id_number_masked": field("id_number_masked", "证件号码", IdPart("masked")),
        "sex": field("sex", "证件号码", IdPart("sex")),
        "birth_date": field("birth_date", "证件号码", IdPart("birth")),
        "relation": field("relation", "与户主关系", Code("relation")),
        "ethnicity": field("ethnicity", "民族", Code("ethnicity")),
        "education": field("education", "文化程度", Code("education")),
        "student_status": field("student_status", "在校生状况", Code("student_status")),
        "health": field("health", "健康状况", Code("health")),
        "labour_skill": field("labour_skill", "劳动技能", Code("labour_skill")),
        "employment_status": field("employment_status", "务工状况", Code("employment_status")),
        "months_worked_away": field(
            "months_worked_away", "务工时间（月）", widgets.IntegerWidget()
        ),
        "insured_critical_illness": field("insured_critical_illness", "参加大病医疗", YesNo()),
    }
    household_resource = type(
        "HouseholdResource",
        (resources.ModelResource,),
        {
            **household_fields,
            "Meta": meta(Household, ["household_no"], list(household_fields)),
        },
    )
    member_resource = type(
        "MemberResource",
        (resources.ModelResource,),
        {**member_fields, "Meta": meta(Member, ["id_number_hash"], list(member_fields))},
    )
    return household_resource, member_resource


def _digest(sample: int | None) -> dict[str, Any]:
    """What was written, to compare methods: a hash of every household's and member's
    columns (the ciphertexts aside: AES-GCM nonces are random), and whether the ciphertexts
    decrypt to ID numbers with the stored keyed hash (all, or a sample)."""
    from django.db import connection

    from bangfu.audit.models import AuditEntry
    from bangfu.core.protect import decrypt_text, lookup_hash
    from bangfu.registry.models import Household, Member

    h_cols = [
        f.column
        for f in Household._meta.concrete_fields
        if f.column not in {"id", "created_at", "updated_at"}
    ]
    m_cols = [f"m.{f.column}" for f in Member._meta.concrete_fields]
    m_cols = [c for c in m_cols if c not in {"m.id", "m.household_id", "m.id_number_enc"}]
    h_table, m_table = Household._meta.db_table, Member._meta.db_table
    households = hashlib.sha256()
    members = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(h_cols)} FROM {h_table} ORDER BY household_no")
        n_households = 0
        for row in cursor.fetchall():
            households.update(repr(row).encode())
            n_households += 1
        cursor.execute(
            f"SELECT h.household_no, {', '.join(m_cols)} FROM {m_table} m "
            f"JOIN {h_table} h ON h.id = m.household_id ORDER BY m.id_number_hash"
        )
        n_members = 0
        for row in cursor.fetchall():
            members.update(repr(row).encode())
            n_members += 1
        limit = f" ORDER BY random() LIMIT {int(sample)}" if sample else ""
        cursor.execute(f"SELECT id_number_enc, id_number_hash FROM {m_table}{limit}")
        undecryptable = sum(
            1 for enc, key in cursor.fetchall() if lookup_hash(decrypt_text(enc)) != key
        )
    return {
        "db_households": n_households,
        "db_members": n_members,
        "households_digest": households.hexdigest(),
        "members_digest": members.hexdigest(),
        "decrypt_checked": sample or n_members,
        "decrypt_failed": undecryptable,
        "audit_entries": AuditEntry.objects.count(),
    }


# --- the run ------------------------------------------------------------------------------

METHODS: dict[str, tuple[str, str, str, str]] = {
    # key: (role, file, what the rate is compared with, label)
    "bangfu_csv": ("subject", "csv", "", "Bangfu: import_households, CSV"),
    "bangfu_xlsx": ("subject", "xlsx", "", "Bangfu: import_households, .xlsx (fastexcel)"),
    "bangfu_slice": ("variant", "slice", "", "Bangfu: the same on the peer's slice, CSV"),
    "iep_default": ("peer", "slice", "", "django-import-export, defaults"),
    "iep_bulk": ("peer", "slice", "", "django-import-export, use_bulk + skip_diff"),
    "iep_bulk_init": ("peer", "slice", "", "... + force_init_instance (no lookup per row)"),
}


def run() -> dict[str, Any]:
    import django

    started = time.perf_counter()
    files = prepare_files()
    sizes = {"csv": HOUSEHOLDS, "xlsx": HOUSEHOLDS, "slice": PEER_HOUSEHOLDS}
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-template-") as tmp:
        template_dir = Path(tmp)
        template_seconds = build_template(template_dir)
        template = template_dir / "bangfu.sqlite3"
        with sqlite3.connect(template) as conn:
            sqlite_version = conn.execute("SELECT sqlite_version()").fetchone()[0]
        results: dict[str, dict[str, Any]] = {}
        for key, (_role, kind, _base, _label) in METHODS.items():
            print(f"  {key} …", file=sys.stderr, flush=True)
            results[key] = measure(key, files["files"][kind], template, sizes[kind])

    # Validity: every method wrote what the file holds, and the same as the others.
    problems = []
    expected = {
        "csv": (HOUSEHOLDS, files["rows"]),
        "xlsx": (HOUSEHOLDS, files["rows"]),
        "slice": (PEER_HOUSEHOLDS, files["slice_rows"]),
    }
    for key, r in results.items():
        kind = METHODS[key][1]
        if (r["db_households"], r["db_members"]) != expected[kind] or r["rows"] != expected[kind][
            1
        ]:
            problems.append(
                f"{key}: {r['db_households']} households, {r['db_members']} members in the "
                f"database, {r['rows']} rows read; expected {expected[kind]}"
            )
        if r["decrypt_failed"]:
            problems.append(f"{key}: {r['decrypt_failed']} ID numbers do not decrypt to their hash")
    for key, other in (
        ("bangfu_xlsx", "bangfu_csv"),
        ("iep_default", "bangfu_slice"),
        ("iep_bulk", "bangfu_slice"),
        ("iep_bulk_init", "bangfu_slice"),
    ):
        for what in ("households_digest", "members_digest"):
            if results[key][what] != results[other][what]:
                problems.append(f"{key} and {other} wrote different {what.split('_')[0]}")
    if problems:
        raise SystemExit("BENCHMARK INVALID:\n  " + "\n  ".join(problems))

    rows = []
    for key, (role, kind, _base, label) in METHODS.items():
        r = results[key]
        rows.append(
            {
                "key": key,
                "role": role,
                "label": label,
                "file": kind,
                "households": r["households"],
                "rows": r["rows"],
                "seconds": round(r["seconds"], 3),
                "households_per_s": r["households"] / r["seconds"],
                "rows_per_s": r["rows"] / r["seconds"],
                "peak_rss_bytes": r["peak_rss_bytes"],
                "rss_after_setup_bytes": r["rss_after_setup_bytes"],
                "phases": {k: round(v, 3) for k, v in r["phases"].items()},
                "sql_seconds": {
                    phase: {k: round(v, 3) for k, v in spent.items()}
                    for phase, spent in r["sql_seconds"].items()
                },
                "audit_entries": r["audit_entries"],
                "database_bytes": r["database_bytes"],
                "process_seconds": r["process_seconds"],
            }
        )
    by = {row["key"]: row for row in rows}
    rate = {key: row["households_per_s"] for key, row in by.items()}
    best_bulk = max(("iep_bulk", "iep_bulk_init"), key=lambda k: rate[k])
    ratios = {
        "bangfu_csv / iep_bulk": rate["bangfu_csv"] / rate["iep_bulk"],
        "bangfu_csv / iep_bulk_init": rate["bangfu_csv"] / rate["iep_bulk_init"],
        "bangfu_csv / iep_default": rate["bangfu_csv"] / rate["iep_default"],
        "bangfu_xlsx / iep_bulk": rate["bangfu_xlsx"] / rate["iep_bulk"],
        "bangfu_slice / iep_bulk": rate["bangfu_slice"] / rate["iep_bulk"],
        "bangfu_slice / iep_bulk_init": rate["bangfu_slice"] / rate["iep_bulk_init"],
        "bangfu_slice / iep_default": rate["bangfu_slice"] / rate["iep_default"],
    }
    peak = max(by["bangfu_csv"]["peak_rss_bytes"], by["bangfu_xlsx"]["peak_rss_bytes"])
    targets = [
        {
            "what": "CSV import rate (bangfu_csv)",
            "value": rate["bangfu_csv"],
            "unit": "households/s",
            "target": f">= {TARGET_CSV_HOUSEHOLDS_PER_S:,}",
            "met": rate["bangfu_csv"] >= TARGET_CSV_HOUSEHOLDS_PER_S,
        },
        {
            "what": ".xlsx import rate (bangfu_xlsx)",
            "value": rate["bangfu_xlsx"],
            "unit": "households/s",
            "target": f">= {TARGET_XLSX_HOUSEHOLDS_PER_S:,}",
            "met": rate["bangfu_xlsx"] >= TARGET_XLSX_HOUSEHOLDS_PER_S,
        },
        {
            "what": "peak RSS of Bangfu's imports (CSV, .xlsx)",
            "value": peak / 1024**3,
            "unit": "GiB",
            "target": "<= 1.5",
            "met": peak <= TARGET_PEAK_BYTES,
        },
        {
            "what": f"bangfu_csv / fastest peer bulk mode ({best_bulk})",
            "value": rate["bangfu_csv"] / rate[best_bulk],
            "unit": "x",
            "target": f">= {TARGET_RATIO_VS_PEER_BULK:g}",
            "met": rate["bangfu_csv"] / rate[best_bulk] >= TARGET_RATIO_VS_PEER_BULK,
        },
        {
            "what": "bangfu_csv / iep_bulk (use_bulk + skip_diff only)",
            "value": rate["bangfu_csv"] / rate["iep_bulk"],
            "unit": "x",
            "target": f">= {TARGET_RATIO_VS_PEER_BULK:g}",
            "met": rate["bangfu_csv"] / rate["iep_bulk"] >= TARGET_RATIO_VS_PEER_BULK,
            "informational": True,  # the target is judged against the fastest bulk mode
        },
    ]
    result: dict[str, Any] = {
        "name": NAME,
        "title": TITLE,
        "quick": QUICK,
        "environment": {
            "sqlite": sqlite_version,
            "django": django.get_version(),
            "python": platform.python_version(),
            "django_import_export": results["iep_bulk"].get("peer_version", "?"),
            "cpus": os.cpu_count(),
        },
        "dataset": {
            **{k: v for k, v in files.items() if k != "files"},
            "template_seconds": round(template_seconds, 2),
        },
        "results": rows,
        "ratios": ratios,
        "targets": targets,
        "target": {"met": all(t["met"] for t in targets if not t.get("informational"))},
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["report"] = report_lines(result)
    return result


def report_lines(result: dict[str, Any]) -> list[str]:
    env, data = result["environment"], result["dataset"]
    mib = 1024 * 1024
    lines = [
        f"== {result['name']}: {result['title']}" + (" [QUICK]" if result["quick"] else ""),
        f"   SQLite {env['sqlite']}, Django {env['django']}, Python {env['python']}, "
        f"django-import-export {env['django_import_export']}, {env['cpus']} CPUs",
        f"   file: {data['households']:,} households, {data['rows']:,} rows, national layout "
        f"(CSV {data['bytes']['csv'] / 1e6:.1f} MB, .xlsx {data['bytes']['xlsx'] / 1e6:.1f} MB); "
        + (
            "cached"
            if data["cached"]
            else f"generated in {data['generate_seconds']:.1f} s (then cached)"
        ),
        f"   peer slice: the first {data['slice_households']:,} households "
        f"({data['slice_rows']:,} rows), CSV; every method in its own process on a fresh "
        f"copy of the template DB (built in {data['template_seconds']:.1f} s)",
        "",
        f"   {'method':<14} {'file':<5} {'households':>10} {'rows':>8} {'seconds':>8} "
        f"{'households/s':>12} {'rows/s':>8} {'peak RSS':>9} {'audit':>7}",
    ]
    lines.append("   " + "-" * (len(lines[-1]) - 3))
    for row in result["results"]:
        lines.append(
            f"   {row['key']:<14} {row['file']:<5} {row['households']:>10,} {row['rows']:>8,} "
            f"{row['seconds']:>8.2f} {row['households_per_s']:>12,.0f} {row['rows_per_s']:>8,.0f} "
            f"{row['peak_rss_bytes'] / mib:>5,.0f} MiB {row['audit_entries']:>7,}"
        )
    lines.append("")
    lines.append("   where the time goes: phase wall time (of which in the SQLite driver), seconds")
    for row in result["results"]:
        sql = row["sql_seconds"]
        phases = ", ".join(
            f"{k} {v:.2f} ({sum(sql.get(k, {}).values()):.2f})" for k, v in row["phases"].items()
        )
        lines.append(f"   {row['key']:<14} {phases}")
        if row["role"] == "subject":
            writes = sql.get("writing", {})
            top = sorted(writes.items(), key=lambda kv: -kv[1])[:3]
            if top:
                lines.append(
                    "   " + " " * 15 + "writing SQL: " + ", ".join(f"{k} {v:.2f}" for k, v in top)
                )
    lines.append("")
    for row in result["results"]:
        lines.append(f"   {row['key']:<14} {row['label']}")
    lines.append("")
    lines.append("   ratios of households/s (above 1: Bangfu is faster):")
    for key, value in result["ratios"].items():
        lines.append(f"     {key:<30} {value:8.1f}")
    lines.append("")
    lines += target_lines(result["targets"])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here (default: stdout)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.households, args.out)
        return 0
    result = run()
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
