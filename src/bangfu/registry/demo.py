"""Demo households for ``bangfu demo``: plausible, deterministic and fast enough for a million.

What is generated, for the western counties of the seed article (勐海, 勐腊, 定日, 芒市, 梁河,
盈江, 务川, 凤冈, 双江):

* **Villages.** Households live in administrative villages. The reference regions have real
  villages only in 勐阿镇 and 勐往乡 (勐海); every other town and township (镇/乡, not 街道 or
  farms) of these counties gets a few clearly synthetic villages, ``示范村01`` / "Demo Village
  01", with codes 201, 202, … under the real township, created through
  ``regions.services.region_create`` (validated and audited). They depend on nothing but the
  reference regions, so every seed and size uses the same ones.
* **Households.** Sizes 1–8 (mean ≈ 3.8; larger in 定日), members with relations (head,
  spouse, children, the head's parents, or an older head with a son, daughter-in-law and
  grandchildren) and ages that fit them; names and ethnic groups that fit the place (a
  village has a main group, the county its mix; 岩X/玉X for the Dai of 西双版纳, 次仁卓玛 in
  定日, clan names for the Jingpo, surname + given name where that is the custom); valid ID
  numbers (GB 11643: the county's code, the birth date, a sequence whose parity gives the sex,
  the check character from ``idnumber.check_character``), unique in the database; education,
  school, health, labour, work away from home and insurance drawn by age and place, with a
  few insurance gaps and very few children out of school.
* **Status.** Most households exited poverty (已脱贫, 户类型 脱贫户) between 2015 and 2020,
  about one in eight is an ordinary rural household (普通农户: the edge households a
  monitoring sweep looks at), and about 1.5 % returned to poverty (返贫).
* **Incomes** for 2023–2025 from a log-normal per place and status, calibrated against the
  monitoring threshold in force (``monitoring.threshold``, 6,000 yuan in 2021) so that about
  4 % of households fall under it in 2025; the four income types and rigid spending are split
  plausibly (pensions for the elderly, 低保 for low-income households, wages for those working
  away, the place's main product as business income), in whole yuan, never through float
  once they are money; the per-person figures come from ``engine.income.income_figures``.
* **Guarantees** (两不愁三保障 + water) assessed for 2025 by ``engine.guarantees.assess`` under
  the parameters in force (``registry.policy.guarantee_params``): a few per cent of houses
  graded C or D, a few water problems, the insurance gaps and dropouts above.

Determinism: everything follows from ``random.Random(seed)``. Household *i* is a pure function
of the seed and *i* (its own ``Random``, a low-discrepancy sequence for status and income rank
so that the calibrated shares hold for small sizes too, a fixed weighted round-robin over the
villages for its place), so growing a demo from 30,000 to 1,000,000 households gives the same
database as building 1,000,000 at once. Only ID numbers need state: a sequence number drawn
for a person is moved to the next free one when another person of the same county, birth date
and sex holds it (checked in order, against the whole database). Encrypted values differ
between runs (AES-GCM nonces are random by design); their plain text does not.

Idempotence: one ``ImportBatch`` (layout ``demo``, named after the seed, fingerprinted by
the generator version, seed and villages) records each load with its count, and one audit
entry records it (no audit entry per generated household). A second run finds the households
there and adds nothing; a larger size adds the missing ones; households of another seed or
generator version are never mixed in.

Speed: rows go in by chunks of 2,000 households with ``executemany`` (``COPY`` on
PostgreSQL), one transaction for the whole load, no per-row ORM save; a member's protected
columns come from ``registry.services.member_row_values`` (what ``_new_member`` and the bulk
importer use), so encryption, keyed hash and masking are exactly the registry's. From 20,000
households on, forked worker processes generate while the parent writes (rows travel as
``marshal`` bytes); from 100,000 on, SQLite's non-unique indexes of the registry tables are
dropped during the load and built again at its end. The cost is mostly Python (ID numbers,
encryption, the engine's income and guarantee figures), not the database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import marshal
import math
import multiprocessing
import os
import random
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from statistics import NormalDist
from typing import Any, TypeVar

from django.conf import settings
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, snapshot
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.protect import decrypt_text, encrypt_text
from bangfu.engine.guarantees import Evidence, GuaranteeParams, MemberFacts, age_on, assess
from bangfu.engine.income import IncomeInputs, income_figures
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.services import RegionIn, region_create
from bangfu.registry.idnumber import check_character
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    HouseholdStatus,
    ImportBatch,
    IncomeRecord,
    Member,
)
from bangfu.registry.policy import guarantee_params, parameter
from bangfu.registry.services import INCOME_FIELDS, CleanMember, member_row_values

__all__ = [
    "DEFAULT_HOUSEHOLDS",
    "DEMO_LAYOUT",
    "PLACES",
    "DemoLoad",
    "demo_households_load",
    "demo_villages_plan",
]

T = TypeVar("T")
GENERATOR_VERSION = 1
DEMO_LAYOUT = "demo"
DEFAULT_HOUSEHOLDS = 30_000
INCOME_YEARS = (2023, 2024, 2025)
ASSESSMENT_YEAR = 2025
REFERENCE_DATE = dt.date(2025, 6, 30)  # ages are drawn as of this day; nobody is born later
SCHOOL_YEAR_START = dt.date(2025, 8, 31)  # age on this day sets the school grade
EARLIEST_BIRTH = dt.date(1900, 1, 1)
CHUNK = 2_000  # households per generated chunk (and per executemany)
PARALLEL_FROM = 20_000  # forked workers only for loads at least this large
TOTAL_VILLAGES = 420  # villages aimed for across the nine counties (real + synthetic)
SCHEDULE_SLOTS = 4_000  # length of the round-robin cycle of villages
MAX_SEQUENCE = 9_999  # household numbers are the village code + 4 digits
NABING = "532822106207"  # the demo users' village: always the first household's

# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """What the demo knows of a county: its share of households, people and economy."""

    county: str  # the 6-digit county prefix; also the region part of ID numbers
    name: str
    share: float  # of all demo households
    mix: tuple[tuple[str, float], ...]  # ethnic groups (code list codes) and weights
    income_ratio: float  # median 2025 income per person of exited households ÷ threshold
    away: tuple[float, float, float, float]  # in township, in county, in province, elsewhere
    product: str  # the main farm product, named in business-income sub-items
    unsafe_houses: float = 0.02  # share of houses graded C or D
    water_scarce: bool = False
    tibetan_sizes: bool = False


PLACES: tuple[Place, ...] = (
    Place(
        "532822",
        "勐海县",
        0.14,
        (("dai", 34), ("hani", 25), ("lahu", 15), ("blang", 12), ("han", 14)),
        2.75,
        (0.18, 0.12, 0.08, 0.05),
        "茶叶",
    ),
    Place(
        "532823",
        "勐腊县",
        0.10,
        (
            ("dai", 30),
            ("hani", 26),
            ("han", 26),
            ("yao", 6),
            ("yi", 5),
            ("lahu", 4),
            ("blang", 3),
        ),
        2.6,
        (0.16, 0.12, 0.08, 0.05),
        "橡胶",
    ),
    Place(
        "540223",
        "定日县",
        0.07,
        (("tibetan", 100),),
        2.25,
        (0.15, 0.15, 0.08, 0.02),
        "青稞",
        unsafe_houses=0.025,
        water_scarce=True,
        tibetan_sizes=True,
    ),
    Place(
        "533103",
        "芒市",
        0.12,
        (("han", 42), ("dai", 33), ("jingpo", 13), ("deang", 6), ("lisu", 4), ("achang", 2)),
        2.4,
        (0.15, 0.12, 0.12, 0.08),
        "蔬菜",
    ),
    Place(
        "533122",
        "梁河县",
        0.07,
        (("han", 58), ("dai", 14), ("achang", 14), ("jingpo", 8), ("lisu", 4), ("deang", 2)),
        2.25,
        (0.14, 0.12, 0.12, 0.10),
        "蔬菜",
    ),
    Place(
        "533123",
        "盈江县",
        0.13,
        (("han", 40), ("dai", 25), ("jingpo", 21), ("lisu", 10), ("achang", 2), ("deang", 2)),
        2.2,
        (0.14, 0.12, 0.12, 0.08),
        "草果",
        unsafe_houses=0.03,
    ),
    Place(
        "520326",
        "务川县",
        0.16,
        (("gelao", 68), ("han", 22), ("miao", 8), ("tujia", 2)),
        2.35,
        (0.10, 0.15, 0.15, 0.30),
        "中药材",
    ),
    Place(
        "520327",
        "凤冈县",
        0.09,
        (("han", 92), ("tujia", 4), ("gelao", 2), ("miao", 2)),
        2.5,
        (0.10, 0.15, 0.15, 0.28),
        "蚕桑",
    ),
    Place(
        "530925",
        "双江县",
        0.12,
        (("han", 44), ("lahu", 22), ("va", 12), ("dai", 11), ("blang", 11)),
        2.5,
        (0.16, 0.12, 0.10, 0.10),
        "茶叶",
    ),
)
PLACE_INDEX = {p.county: i for i, p in enumerate(PLACES)}

# Ethnic groups named in township names (布朗山布朗族乡, 三台山德昂族乡, …) and their codes.
ETHNIC_LABELS = {
    "傣": "dai",
    "哈尼": "hani",
    "拉祜": "lahu",
    "布朗": "blang",
    "藏": "tibetan",
    "景颇": "jingpo",
    "傈僳": "lisu",
    "阿昌": "achang",
    "德昂": "deang",
    "仡佬": "gelao",
    "苗": "miao",
    "佤": "va",
    "彝": "yi",
    "瑶": "yao",
    "土家": "tujia",
}
DAI_TOPONYMS = ("曼", "纳", "勐", "南")  # Dai place-name syllables: a Dai village


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- names -----------------------------------------------------------------------------------

HAN_SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许"
    "沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆孔白崔毛邱秦江史"
    "顾侯邵孟龙万段雷汤尹黎易常武乔贺赖龚文"
)
SURNAMES: dict[str, str] = {
    "han": HAN_SURNAMES,
    "gelao": "申申冉冉邹邹韩王张黄何杨陈罗龚田李刘赵",
    "miao": "杨杨龙龙吴石王张李麻熊陶侯罗",
    "tujia": "田田向彭冉覃杨张李王黄",
    "dai": "线刀刀孟方龚杨尹思晏金郎冯李王俸罕陶",
    "achang": "曹赵梁许杨龚孙早朗李张",
    "lisu": "余李李麻熊蔡褚和恒胡杨祝欧",
    "yao": "邓盘盘李赵黄冯张",
    "yi": "李普罗杨张白王鲁",
    "va": "鲍李田陈赵肖魏王",
    "blang": "俸李罗赵苏杨",
    "lahu": "李李张石罗胡刘",
    "hani": "车李周白杨罗高",
    "deang": "李赵杨王俸龚刘蔡",
}
JINGPO_CLANS = _words("排 岳 何 勒排 孔 早 石 雷 董 木然 祁 金 尚 沙 穆 麻 李 郭 赵 张")
GIVEN_OLD_M = "德福明国华建文志永正云林生发荣祥贵忠勇强成山金有海兴平春光学全昌富"
GIVEN_OLD_F = "秀英兰芳珍桂凤玉梅琼莲翠菊春花美仙芝琴云香会群"
GIVEN_MID_M = "伟强勇军杰涛斌超明磊鹏俊峰浩波辉刚健林宇鑫龙飞洋凯东亮平"
GIVEN_MID_F = "丽娟艳敏静燕霞红玲婷芳琳雪丹倩莉慧萍颖佳梅琴"
GIVEN_KID_M = "浩宇轩子睿博泽辰俊晨杰航铭熙然鑫阳嘉一宸逸皓"
GIVEN_KID_F = "欣怡梓萱涵雨诗可佳思馨悦若妍琪彤语晴婉雅紫"
DAI_M = "温罕香光应叫保罗庄坎三依扁帕胆糯丙腊顿伦论捧燕拉甩章吨瓦旺康金亮南恩尖龙"
DAI_F = "香南罕光叫坎应波儿喃金温章专恩帕旺燕胆月扁囡湘庄叶腊的丙"
TIBETAN_M = _words(
    "次仁 扎西 多吉 旺堆 平措 顿珠 格桑 索朗 尼玛 达瓦 巴桑 边巴 普布 拉巴 米玛 "
    "洛桑 旦增 罗布 欧珠 强巴 贡布 加措 次旦 朗杰 桑珠 嘎玛 阿旺 土登 益西 丹增"
)
TIBETAN_F = _words(
    "卓玛 央金 拉姆 德吉 白玛 曲珍 普赤 央宗 玉珍 巴珍 "
    "次珍 旺姆 仓决 琼达 尼珍 德央 卓嘎 拉珍 措姆 桑姆"
)
TIBETAN_F_FIRST = _words("次仁 格桑 达瓦 尼玛 边巴 普布 拉巴 米玛 巴桑 白玛 德吉 扎西 索朗")
TIBETAN_F_LAST = _words("卓玛 央金 拉姆 曲珍 旺姆 普赤 央宗 卓嘎 措姆")
LAHU_SYLLABLES = "四克娃发莫约丕体朵戈来儿拉块思努"
HANI_M = _words(
    "扎约 扎拉 扎妥 扎发 扎努 扎波 扎丕 扎儿 扎思 扎者 扎嘎 扎腊 扎保 扎倮 批二 批约 然拉 者拉 搓约"
)
HANI_F = _words("咪娜 咪章 咪约 咪布 咪的 咪拉 咪切 咪妞 咪努 咪者 咪嘎 咪丕 咪卓 咪扎 咪然 娜约")
JINGPO_M = _words("麻干 麻诺 麻腊 麻途 麻汤 麻荣 麻退 麻结 干 诺 腊 途 早干 早腊 早诺 勒")
JINGPO_F = _words("木锐 木日 木途 木汤 木果 果 鲁 开 锐 途 早锐 早鲁 南 木兰 扎")
DEANG_M = _words("腊翁 腊三 腊退 腊拉 腊门 腊勒 腊兴 腊赛 腊四 腊福 翁 三")
DEANG_F = _words("玉金 玉香 玉南 月香 叶南 玉兰 叶三 依腊 翁香 玉喃")
VA_M = "块嘎那帅松三宝龙勇强波"
VA_F = "嘎块那娜三兰芬莉"

# --- household make-up -----------------------------------------------------------------------

SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
SIZE_WEIGHTS = (0.09, 0.15, 0.20, 0.25, 0.17, 0.08, 0.04, 0.02)  # mean 3.76
TIBETAN_SIZE_WEIGHTS = (0.04, 0.08, 0.14, 0.22, 0.22, 0.15, 0.09, 0.06)  # mean 4.61
CAUSES = (
    ("illness", 18),
    ("disability", 7),
    ("schooling", 5),
    ("disaster", 3),
    ("lack_of_land", 4),
    ("lack_of_water", 3),
    ("lack_of_skills", 22),
    ("lack_of_labour", 12),
    ("lack_of_capital", 17),
    ("poor_transport", 5),
    ("lack_of_drive", 3),
    ("other", 1),
)
RETURN_REASONS = (
    ("illness", "家庭成员患大病，医疗支出骤增"),
    ("disaster", "洪涝灾害致房屋和作物受损"),
    ("disability", "主要劳动力因意外致残"),
    ("lack_of_labour", "主要劳动力外出务工中断"),
    ("lack_of_capital", "种养殖产业失败，收入大幅缩减"),
)
# Status by the first low-discrepancy coordinate: exited, then ordinary, then returned.
EXITED_SHARE, ORDINARY_SHARE = 0.865, 0.12
# Income: median ÷ the place's exited median, and the spread (sigma of the log).
INCOME_SHAPE = {
    HouseholdStatus.EXITED: (1.0, 0.45),
    HouseholdStatus.ORDINARY: (0.68, 0.40),
    HouseholdStatus.RETURNED: (0.45, 0.35),
}
PLASTIC = 1.324717957244746  # R2 sequence (Roberts): the plastic number's inverse powers
R2_STEP = (1 / PLASTIC, 1 / PLASTIC**2)
NORMAL = NormalDist()


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [c / total for c in out]


SIZE_CUM = _cumulative(SIZE_WEIGHTS)
TIBETAN_SIZE_CUM = _cumulative(TIBETAN_SIZE_WEIGHTS)
CAUSE_CODES = tuple(c for c, _w in CAUSES)
CAUSE_CUM = _cumulative([w for _c, w in CAUSES])


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _weighted(rng: random.Random, items: Sequence[Any], cumulative: Sequence[float]) -> Any:
    return items[min(bisect.bisect_right(cumulative, rng.random()), len(items) - 1)]


def _stable_unit(text: str) -> float:
    """A number in [0, 1) fixed by the text (for traits of places, not of households)."""
    return zlib.crc32(text.encode("utf-8")) / 2**32


# --- planning: villages and the schedule -------------------------------------------------------


@dataclass(frozen=True)
class VillageSpec:
    code: str
    name_zh: str
    name_en: str
    township_code: str
    township_name: str
    synthetic: bool


@dataclass(frozen=True)
class Village:
    pk: int
    code: str
    name: str
    township: str
    place: int  # index into PLACES
    province: str
    mix_groups: tuple[str, ...]
    mix_cum: tuple[float, ...]


def demo_villages_plan() -> list[VillageSpec]:
    """The villages demo households live in: the real ones of the nine counties and synthetic
    ones under their towns and townships that have none. Reads the regions; writes nothing."""
    counties = [p.county for p in PLACES]
    rows = list(
        Region.objects.filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
        .filter(RegionScope.of([c + "000000" for c in counties]).q("code"))
        .values_list("code", "name_zh", "level", "parent__code")
        .order_by("code")
    )
    townships = {code: name for code, name, level, _p in rows if level == Level.TOWNSHIP}
    villages = [(c, n, p) for c, n, level, p in rows if level == Level.VILLAGE]
    real = [(c, n, p) for c, n, p in villages if not n.startswith("示范村")]
    taken = {c for c, _n, _p in real}
    real_parents = {p for _c, _n, p in real}
    specs = [VillageSpec(c, n, "", p, townships.get(p, ""), False) for c, n, p in real]
    for place in PLACES:
        eligible = [
            t
            for t in townships
            if t.startswith(place.county) and t[6] in "12" and t not in real_parents
        ]
        if not eligible:
            continue
        own = sum(1 for s in specs if s.code.startswith(place.county))
        per = (place.share * TOTAL_VILLAGES - own) / len(eligible)
        for township in eligible:
            jitter = int(_stable_unit(township) * 3) - 1
            count = max(2, min(9, round(per) + jitter))
            number, made = 1, 0
            while made < count and number < 100:
                code = f"{township[:9]}{200 + number:03d}"
                if code not in taken:
                    specs.append(
                        VillageSpec(
                            code,
                            f"示范村{number:02d}",
                            f"Demo Village {number:02d}",
                            township,
                            townships[township],
                            True,
                        )
                    )
                    made += 1
                number += 1
    return sorted(specs, key=lambda s: s.code)


def _ensure_villages(specs: list[VillageSpec]) -> tuple[dict[str, Region], int]:
    """Create the synthetic villages that are missing (validated and audited by the region
    service); return every demo village by code and how many were created."""
    existing = {r.code: r for r in Region.objects.filter(code__in=[s.code for s in specs])}
    everything = RegionScope.everything()
    created = 0
    for spec in specs:
        if spec.code in existing:
            continue
        if not spec.synthetic:
            raise BangfuError(ErrorCode.REGION_NOT_FOUND, f"Village {spec.code} vanished.")
        existing[spec.code] = region_create(
            actor=None,
            capture=everything,
            view=everything,
            data=RegionIn(
                code=spec.code,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                level=Level.VILLAGE,
                parent_code=spec.township_code,
            ),
        )
        created += 1
    return existing, created


def _village_mix(spec: VillageSpec, place: Place) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """A village has a main ethnic group (fixed by its code and name: a township named after a
    group makes it likely, a Dai place name in 西双版纳 certain) and the county's mix."""
    groups = [g for g, _w in place.mix]
    base = [float(w) for _g, w in place.mix]
    named = {code for label, code in ETHNIC_LABELS.items() if f"{label}族" in spec.township_name}
    if (
        not spec.synthetic
        and spec.code.startswith("5328")
        and spec.name_zh.startswith(DAI_TOPONYMS)
        and "dai" in groups
    ):
        main = "dai"
    else:
        boosted = [w * (6.0 if g in named else 1.0) for g, w in zip(groups, base, strict=True)]
        index = bisect.bisect_right(_cumulative(boosted), _stable_unit("main:" + spec.code))
        main = groups[min(index, len(groups) - 1)]
    total = sum(base)
    weights = [
        0.28 * w / total + (0.72 if g == main else 0.0) for g, w in zip(groups, base, strict=True)
    ]
    return tuple(groups), tuple(_cumulative(weights))


def _schedule(specs: list[VillageSpec]) -> list[int]:
    """A fixed cycle of village indexes in which each village appears in proportion to its
    weight, evenly spread (so any prefix is close to proportional); NABING comes first."""
    factors = {s.code: 0.7 + 0.6 * _stable_unit("size:" + s.code) for s in specs}
    per_place: dict[int, float] = {}
    for s in specs:
        place = PLACE_INDEX[s.code[:6]]
        per_place[place] = per_place.get(place, 0.0) + factors[s.code]
    keyed: list[tuple[float, str, int]] = []
    for index, s in enumerate(specs):
        place = PLACE_INDEX[s.code[:6]]
        share = PLACES[place].share * factors[s.code] / per_place[place]
        slots = max(1, round(share * SCHEDULE_SLOTS))
        phase = _stable_unit("phase:" + s.code)
        for k in range(slots):
            key = -1.0 if (s.code == NABING and k == 0) else (k + phase) / slots
            keyed.append((key, s.code, index))
    keyed.sort()
    return [index for _k, _c, index in keyed]


def _fingerprint(seed: int, specs: list[VillageSpec]) -> str:
    text = f"bangfu-demo-v{GENERATOR_VERSION}|seed={seed}|" + ",".join(s.code for s in specs)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _batch_name(seed: int) -> str:
    return f"bangfu demo --seed {seed}"


# --- the plan a generator works from (picklable, no database) ---------------------------------


@dataclass
class Plan:
    seed: int
    key: int
    offsets: tuple[float, float]
    villages: list[Village]
    schedule: list[int]
    ranks: list[int]  # occurrences of the same village before each slot of the cycle
    per_cycle: list[int]  # occurrences of each village in a cycle
    thresholds: dict[str, int]  # province code → monitoring threshold (yuan per person)
    guarantees: dict[str, GuaranteeParams]  # province code → parameters for ASSESSMENT_YEAR
    now: Any  # created_at/updated_at as the database takes it
    household_fields: tuple[str, ...]
    member_fields: tuple[str, ...]
    income_fields: tuple[str, ...]
    guarantee_fields: tuple[str, ...]

    def village_of(self, i: int) -> tuple[Village, int]:
        """The village of household *i* and its 1-based sequence number there."""
        cycle, slot = divmod(i, len(self.schedule))
        index = self.schedule[slot]
        return self.villages[index], cycle * self.per_cycle[index] + self.ranks[slot] + 1

    def capacity(self) -> int:
        """How many households fit before some village's 4-digit sequence would overflow."""
        worst = max(self.per_cycle)
        return (MAX_SEQUENCE // worst) * len(self.schedule)


def _fields(model: Any, *, with_id: bool) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if with_id or not f.primary_key)


def _plan(seed: int, specs: list[VillageSpec], regions: dict[str, Region]) -> Plan:
    master = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    key = master.getrandbits(64)
    offsets = (master.random(), master.random())
    villages = []
    for spec in specs:
        place = PLACES[PLACE_INDEX[spec.code[:6]]]
        groups, cum = _village_mix(spec, place)
        villages.append(
            Village(
                pk=regions[spec.code].pk,
                code=spec.code,
                name=spec.name_zh,
                township=spec.township_name,
                place=PLACE_INDEX[spec.code[:6]],
                province=spec.code[:2],
                mix_groups=groups,
                mix_cum=cum,
            )
        )
    schedule = _schedule(specs)
    seen: dict[int, int] = {}
    ranks = []
    for index in schedule:
        ranks.append(seen.get(index, 0))
        seen[index] = seen.get(index, 0) + 1
    per_cycle = [seen.get(i, 0) for i in range(len(villages))]
    provinces = sorted({v.province for v in villages})
    return Plan(
        seed=seed,
        key=key,
        offsets=offsets,
        villages=villages,
        schedule=schedule,
        ranks=ranks,
        per_cycle=per_cycle,
        thresholds={
            p: int(parameter("monitoring.threshold", ASSESSMENT_YEAR, p + "0" * 10))
            for p in provinces
        },
        guarantees={p: guarantee_params(ASSESSMENT_YEAR, p + "0" * 10) for p in provinces},
        now=str(connection.ops.adapt_datetimefield_value(timezone.now())),
        household_fields=_fields(Household, with_id=True),
        member_fields=_fields(Member, with_id=False),
        income_fields=_fields(IncomeRecord, with_id=False),
        guarantee_fields=_fields(GuaranteeAssessment, with_id=False),
    )


# --- generating one household ----------------------------------------------------------------


@dataclass(slots=True)
class Person:
    relation: str
    sex: str
    age: int
    ethnicity: str
    birth: dt.date = EARLIEST_BIRTH
    name: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chunk:
    """Rows for households [start, stop), ready to write; ``cells`` locate each member's ID
    number (county, birth day, sequence) for the uniqueness check."""

    start: int
    stop: int
    households: list[tuple[Any, ...]] = field(default_factory=list)
    members: list[tuple[Any, ...]] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)
    incomes: list[tuple[Any, ...]] = field(default_factory=list)
    guarantees: list[tuple[Any, ...]] = field(default_factory=list)


DAYS = REFERENCE_DATE.toordinal() - EARLIEST_BIRTH.toordinal() + 1
BASE_ORDINAL = EARLIEST_BIRTH.toordinal()


def _cell(place: int, birth: dt.date, sequence: int) -> int:
    return (place * DAYS + birth.toordinal() - BASE_ORDINAL) * 1000 + sequence


def _id_number(county: str, birth: str, sequence: int) -> str:
    """The ID number for a county, an ISO birth date and a sequence (its parity: the sex)."""
    first17 = f"{county}{birth[:4]}{birth[5:7]}{birth[8:10]}{sequence:03d}"
    return first17 + check_character(first17)


class Generator:
    """Builds the rows of households from a plan; pure (no database), so it runs in workers."""

    def __init__(self, plan: Plan, first_id: int, first_index: int) -> None:
        self.plan = plan
        self.first_id = first_id  # database id of household number first_index
        self.first_index = first_index
        self.household_row = itemgetter(*plan.household_fields)
        self.member_row = itemgetter(*plan.member_fields)
        self.income_row = itemgetter(*plan.income_fields)
        self.guarantee_row = itemgetter(*plan.guarantee_fields)

    def chunk(self, start: int, stop: int) -> Chunk:
        out = Chunk(start, stop)
        for i in range(start, stop):
            self._household(i, out)
        return out

    # The household: status, members, incomes, guarantees.
    def _household(self, i: int, out: Chunk) -> None:
        plan = self.plan
        rng = random.Random((plan.key << 40) + i)  # noqa: S311
        village, sequence = plan.village_of(i)
        place = PLACES[village.place]
        u_status = (plan.offsets[0] + i * R2_STEP[0]) % 1.0
        u_income = (plan.offsets[1] + i * R2_STEP[1]) % 1.0
        if u_status < EXITED_SHARE:
            status = HouseholdStatus.EXITED
        elif u_status < EXITED_SHARE + ORDINARY_SHARE:
            status = HouseholdStatus.ORDINARY
        else:
            status = HouseholdStatus.RETURNED
        z = NORMAL.inv_cdf(min(max(u_income, 1e-9), 1 - 1e-9))
        ethnicity = _weighted(rng, village.mix_groups, village.mix_cum)
        people = _family(rng, place, ethnicity, village)
        _name_family(rng, people, village.code[:4])
        household_no = f"{village.code}{sequence:04d}"
        hid = self.first_id + i - self.first_index
        attribute = _attribute(rng, status, people, low=z < -0.8)
        assessed_on = dt.date(2025, 7, 1) + dt.timedelta(days=int(rng.random() * 150))
        counts = _members(rng, place, people, attribute)
        for j, person in enumerate(people):
            person.values["person_no"] = f"{household_no}{j + 1:02d}"
            sequence_no = 2 * int(rng.random() * 500) + (1 if person.sex == "M" else 0)
            iso = person.birth.isoformat()
            number = _id_number(place.county, iso, sequence_no)
            values = member_row_values(CleanMember(values=person.values, id_number=number))
            values["household_id"] = hid
            values["birth_date"] = iso  # as the database takes it
            out.members.append(self.member_row(values))
            out.cells.append(_cell(village.place, person.birth, sequence_no))
        row = _history(rng, status, attribute, place, people)
        threshold = plan.thresholds[village.province]
        scale, sigma = INCOME_SHAPE[status]
        pc = max(threshold * 0.4, threshold * place.income_ratio * scale * math.exp(sigma * z))
        latest = self._incomes(rng, hid, counts, len(people), pc, place, attribute, out)
        problems = self._guarantee(
            rng, hid, people, place, village, assessed_on, row["relocated"], out
        )
        group = 1 + int(rng.random() * 8)
        row.update(
            id=hid,
            household_no=household_no,
            village_id=village.pk,
            natural_village_id=None,
            address=f"{village.township}{village.name}{group}组{1 + int(rng.random() * 120)}号",
            head_name=people[0].name,
            size=len(people),
            phone="",
            status=str(status.value),
            bank_name="",
            bank_account_enc="",
            bank_account_last4="",
            latest_income_year=INCOME_YEARS[-1],
            latest_net_income_pc=str(latest),
            open_guarantee_problems=problems,
            # entered in Bangfu, not imported from the national system: nothing reported
            reported_dangerous_house=None,
            reported_water_safe=None,
            reported_water_difficult=None,
            reported_net_income_pc=None,
            created_at=plan.now,
            updated_at=plan.now,
        )
        out.households.append(self.household_row(row))

    def _incomes(
        self,
        rng: random.Random,
        hid: int,
        counts: Counts,
        persons: int,
        pc: float,
        place: Place,
        attribute: str,
        out: Chunk,
    ) -> Decimal:
        """Three years of income whose 2025 figure per person is ``pc`` (earlier years back
        out a growth rate); the four types and rigid spending follow the members."""
        elders, dibao, disabled, chronic, serious, away, local, senior, college = counts
        growth = (0.06 + 0.06 * _normal(rng), 0.06 + 0.06 * _normal(rng))
        pension = elders * (1740 + 120 * rng.random())
        allowance = dibao * (4200 + 900 * rng.random())
        special = 6000 if attribute.startswith("tekun") else 0
        eco = 200 + 1200 * rng.random()
        dividend = 300 + 1200 * rng.random() if rng.random() < 0.35 else 0.0
        rent = int(rng.random() * 600) if rng.random() < 0.2 else 0
        medical = chronic * (600 + 2400 * rng.random()) + serious * (6000 + 30000 * rng.random())
        education = senior * (2500 + 3500 * rng.random()) + college * (8000 + 7000 * rng.random())
        rehabilitation = disabled * int(800 * rng.random())
        wage_share = min(0.9, max(0.05, 0.15 + 0.22 * away + 0.08 * local))
        keep = 1 - (0.25 + 0.3 * rng.random())  # business income net of costs, as a share
        latest = Decimal(0)
        for back, year in enumerate(reversed(INCOME_YEARS)):  # 2025 first, then earlier
            if back:
                pc = pc / (1 + max(-0.3, min(0.5, growth[back - 1])))
            net = round(pc * persons)
            factor = 0.95**back
            transfers = _capped(
                (
                    int(pension * factor),
                    int(allowance * factor),
                    special,
                    disabled * 960,
                    int(eco * factor),
                ),
                int(net * 0.7),
            )
            owned = _capped((int(dividend * factor), rent), int(net * 0.1))
            rest = net - sum(transfers) - sum(owned)
            wage = int(rest * wage_share)
            business_net = rest - wage
            gross = round(business_net / keep)
            disaster = int(2000 + 18000 * rng.random()) if rng.random() < 0.005 else 0
            row: dict[str, Any] = {  # whole yuan
                "household_id": hid,
                "year": year,
                "persons": persons,
                "wage_income": wage,
                "business_income": gross,
                "business_costs": gross - business_net,
                "property_income": sum(owned),
                "transfer_income": sum(transfers),
                "medical_spending": int(medical * factor),
                "education_spending": int(education * factor),
                "rehabilitation_spending": rehabilitation,
                "disaster_spending": disaster,
                "items": "{}",
            }
            figures = income_figures(
                IncomeInputs(persons, *[Decimal(row[name]) for name in INCOME_FIELDS])
            )
            if not back:
                latest = figures.net_income_pc
                parts = {
                    "business": {place.product: f"{gross}.00"},
                    "transfer": {
                        k: f"{v}.00" for k, v in zip(TRANSFERS, transfers, strict=True) if v
                    },
                    "property": {k: f"{v}.00" for k, v in zip(PROPERTY, owned, strict=True) if v},
                }
                row["items"] = json.dumps({k: v for k, v in parts.items() if v})
            row["net_income"] = str(figures.net_income)
            row["net_income_pc"] = str(figures.net_income_pc)
            row["net_income_pc_after_rigid"] = str(figures.net_income_pc_after_rigid)
            out.incomes.append(self.income_row(row))
        return latest

    def _guarantee(
        self,
        rng: random.Random,
        hid: int,
        people: list[Person],
        place: Place,
        village: Village,
        assessed_on: dt.date,
        relocated: bool,
        out: Chunk,
    ) -> int:
        """The 2025 evidence (house grade, water measurements) and the results the engine
        derives from it under the parameters in force; returns the number of problems."""
        r = rng.random()
        grade = "A" if r < 0.62 or relocated else "B"
        if r > 1 - place.unsafe_houses and not relocated:
            grade = "D" if r > 1 - place.unsafe_houses / 5 else "C"
        piped = rng.random() < 0.86
        litres = 40 + int(rng.random() * 90)
        if rng.random() < 0.005:
            litres = 12 + int(rng.random() * 20)
        interruption = int(rng.random() * 20)
        if rng.random() < 0.005:
            interruption = 40 + int(rng.random() * 60)
        evidence = Evidence(
            assessed_on=assessed_on,
            food_secure=rng.random() > 0.0005,
            clothing_secure=rng.random() > 0.0005,
            house_grade=grade,
            relocated=relocated,
            water_litres_per_day=Decimal(litres),
            water_quality_ok=rng.random() > 0.004,
            water_trip_minutes=0 if piped else 3 + int(rng.random() * 25),
            water_horizontal_m=0 if piped else 30 + int(rng.random() * 1000),
            water_vertical_m=0 if piped else int(rng.random() * 120),
            water_interruption_days=interruption,
            water_scarce_area=place.water_scarce,
        )
        facts = [
            MemberFacts(
                name=p.name,
                birth_date=p.birth,
                student_status=p.values["student_status"],
                health=p.values["health"],
                insured=INSURED[
                    (p.values["insured_basic_medical"], p.values["insured_critical_illness"])
                ],
            )
            for p in people
        ]
        result = assess(evidence, facts, self.plan.guarantees[village.province])
        problems = [{"guarantee": p.guarantee, "code": p.code, **p.detail} for p in result.problems]
        row = {
            "household_id": hid,
            "year": ASSESSMENT_YEAR,
            "assessed_on": assessed_on.isoformat(),
            **{name: getattr(evidence, name) for name in EVIDENCE_FIELDS},
            "water_litres_per_day": litres,
            "evidence": "{}",
            "food_ok": result.ok("food"),
            "clothing_ok": result.ok("clothing"),
            "education_ok": result.ok("education"),
            "medical_ok": result.ok("medical"),
            "housing_ok": result.ok("housing"),
            "water_ok": result.ok("water"),
            "problems": json.dumps(problems) if problems else "[]",
            "policy_year": ASSESSMENT_YEAR,
        }
        out.guarantees.append(self.guarantee_row(row))
        return len(problems)


EVIDENCE_FIELDS = (  # GuaranteeAssessment's evidence columns, as the engine's Evidence has them
    "food_secure",
    "clothing_secure",
    "house_grade",
    "water_quality_ok",
    "water_trip_minutes",
    "water_horizontal_m",
    "water_vertical_m",
    "water_interruption_days",
    "water_scarce_area",
)
SENIOR_SCHOOL = ("high_school", "secondary_vocational")
COLLEGE = ("higher_vocational", "undergraduate")
INSURED = {
    (True, True): frozenset({"basic_medical", "critical_illness"}),
    (True, False): frozenset({"basic_medical"}),
    (False, True): frozenset({"critical_illness"}),
    (False, False): frozenset(),
}


def _normal(rng: random.Random) -> float:
    return NORMAL.inv_cdf(min(max(rng.random(), 1e-9), 1 - 1e-9))


def _capped(parts: tuple[int, ...], cap: int) -> tuple[int, ...]:
    """The parts scaled down (whole yuan) so that they add up to at most ``cap``."""
    total = sum(parts)
    if total <= cap:
        return parts
    return tuple(v * cap // total for v in parts)


TRANSFERS = ("养老金", "低保金", "特困供养金", "残疾人补贴", "生态补贴")
PROPERTY = ("合作社分红", "土地流转租金")
# elders, dibao, disabled, chronic, serious, working away, working locally, senior school, college
Counts = tuple[int, int, int, int, int, int, int, int, int]


def _attribute(rng: random.Random, status: str, people: list[Person], *, low: bool) -> str:
    """贫困户属性: 特困 for most old people living alone, 低保 for some (more of the poorer)."""
    if status == HouseholdStatus.ORDINARY:
        return ""
    exited = status == HouseholdStatus.EXITED
    if len(people) == 1 and people[0].age >= 60 and rng.random() < 0.55:
        return "tekun_exited" if exited else "tekun_poor"
    if rng.random() < (0.30 if low else 0.08):
        return "dibao_exited" if exited else "dibao_poor"
    return "general_exited" if exited else "general_poor"


def _history(
    rng: random.Random, status: str, attribute: str, place: Place, people: list[Person]
) -> dict[str, Any]:
    """Household fields from its history: identified 2014–2018, exited by 2020, relocated or
    returned for some; the family flags follow the members."""
    children = [p for p in people if p.relation in ("son", "daughter")]
    values: dict[str, Any] = {
        "household_type": "ordinary" if status == HouseholdStatus.ORDINARY else "exited",
        "poverty_attribute": attribute,
        "identification_standard": "",
        "identified_on": None,
        "planned_exit_year": None,
        "exit_year": None,
        "returned_year": None,
        "return_reason": "",
        "relocated": False,
        "relocation_mode": "",
        "relocation_address": "",
        "main_cause": "",
        "secondary_causes": "[]",
        "military_family": rng.random() < 0.006,
        "only_child": len(children) == 1 and people[0].age < 55,
        "two_daughters": len(children) == 2 and all(p.relation == "daughter" for p in children),
    }
    if status == HouseholdStatus.ORDINARY:
        return values
    year = 2014 if rng.random() < 0.7 else 2015 + int(rng.random() * 4)
    identified = dt.date(year, 10, 1) + dt.timedelta(days=int(rng.random() * 80))
    exit_year = min(2020, max(identified.year + 1, 2016 + int(rng.random() * 5)))
    cause = _weighted(rng, CAUSE_CODES, CAUSE_CUM)
    others = {_weighted(rng, CAUSE_CODES, CAUSE_CUM) for _ in range(int(rng.random() * 3))}
    values.update(
        identification_standard="national",
        identified_on=identified.isoformat(),
        planned_exit_year=exit_year if rng.random() < 0.8 else max(2016, exit_year - 1),
        exit_year=exit_year,
        main_cause=cause,
        secondary_causes=json.dumps(sorted(others - {cause})) if others - {cause} else "[]",
    )
    if rng.random() < (0.10 if place.water_scarce or place.county == "520326" else 0.06):
        centralized = rng.random() < 0.7
        values.update(
            relocated=True,
            relocation_mode="centralized" if centralized else "dispersed",
            relocation_address=f"{place.name}易地扶贫搬迁集中安置点" if centralized else "",
        )
    if status == HouseholdStatus.RETURNED:
        reason_cause, text = _pick(rng, RETURN_REASONS)
        values.update(
            returned_year=2021 + int(rng.random() * 4), return_reason=text, main_cause=reason_cause
        )
    return values


def _members(rng: random.Random, place: Place, people: list[Person], attribute: str) -> Counts:
    """Each member's coded fields, flags, sex and birth date (``Person.values``), as the
    registry's CleanMember holds them; returns the counts that incomes depend on."""
    dibao_left = 0
    if attribute.startswith("dibao"):
        dibao_left = 1 + int(rng.random() * len(people))
    tekun = attribute.startswith("tekun")
    elders = dibao = disabled = chronic = serious = away = local = senior = college = 0
    for person in people:
        age = person.age
        student, education = _schooling(
            rng, age_on(person.birth, SCHOOL_YEAR_START), person.birth.year
        )
        health, grade = _health(rng, age)
        labour = _labour(rng, age, health, grade, student)
        employment, months = "not_working", 0
        if labour in ("ordinary", "skilled") and 16 <= age <= 60:
            employment, months = _employment(rng, place)
        uninsured = rng.random() < 0.003
        mandarin = (
            person.ethnicity == "han"
            or age < 45
            or rng.random() < (0.3 if person.ethnicity == "tibetan" else 0.6)
        )
        person.values = {
            "phone": "",
            "name": person.name,
            "relation": person.relation,
            "ethnicity": person.ethnicity,
            "education": education,
            "student_status": student,
            "health": health,
            "disability_grade": grade,
            "labour_skill": labour,
            "employment_status": employment,
            "months_worked_away": months,
            "insured_basic_medical": not uninsured,
            "insured_critical_illness": not uninsured and rng.random() > 0.002,
            "insured_pension": age >= 16 and student == "not_student" and rng.random() < 0.88,
            "dibao": dibao_left > 0,
            "tekun": tekun and person.relation == "head",
            "speaks_mandarin": mandarin,
            "sex": person.sex,
            "birth_date": person.birth,
        }
        dibao += dibao_left > 0
        dibao_left -= 1
        elders += age >= 60
        disabled += health == "disabled"
        chronic += health == "chronic_illness"
        serious += health == "serious_illness"
        away += employment in AWAY
        local += employment == "in_township"
        senior += student.startswith(SENIOR_SCHOOL)
        college += student.startswith(COLLEGE)
    return (elders, dibao, disabled, chronic, serious, away, local, senior, college)


AWAY = frozenset(("outside_township_in_county", "outside_county_in_province", "outside_province"))


# --- families, names and personal traits ----------------------------------------------------


def _family(rng: random.Random, place: Place, ethnicity: str, village: Village) -> list[Person]:
    """Relations, sexes and ages of a household's members (head first): one old person; a
    couple; a couple with children and perhaps the head's parents; or an older head with a
    son, daughter-in-law and grandchildren. A spouse may come from another group."""
    size = _weighted(rng, SIZES, TIBETAN_SIZE_CUM if place.tibetan_sizes else SIZE_CUM)

    def between(low: int, high: int) -> int:
        return low + int(rng.random() * (high - low + 1))

    def spouse_group() -> str:
        if rng.random() < 0.9:
            return ethnicity
        return str(_weighted(rng, village.mix_groups, village.mix_cum))

    def child(relation_male: str, relation_female: str, age: int) -> Person:
        male = rng.random() < 0.52
        return Person(
            relation_male if male else relation_female, "M" if male else "F", age, ethnicity
        )

    if size == 1:
        age = between(60, 88) if rng.random() < 0.7 else between(35, 59)
        sex = "F" if rng.random() < (0.55 if age >= 60 else 0.35) else "M"
        people = [Person("head", sex, age, ethnicity)]
    else:
        elder_head = rng.random() < (0.55 if size == 2 else 0.25 if size >= 4 else 0.0)
        if elder_head:
            head_age = between(56, 78)
        elif size == 2 and rng.random() < 0.45:
            head_age = between(24, 40)
        else:
            head_age = between(27, 55)
        with_spouse = rng.random() < (0.95 if size >= 3 else 0.75)
        head_sex = "M" if rng.random() < (0.88 if with_spouse else 0.55) else "F"
        people = [Person("head", head_sex, head_age, ethnicity)]
        if with_spouse:
            gap = between(0, 5)
            age = head_age - gap if head_sex == "M" else head_age + gap
            people.append(
                Person("spouse", "F" if head_sex == "M" else "M", max(18, age), spouse_group())
            )
        mother_age = next((p.age for p in people if p.sex == "F"), head_age)
        if elder_head and size - len(people) >= 2 and rng.random() < 0.75:
            son_age = max(20, mother_age - between(20, 30))
            people.append(Person("son", "M", son_age, ethnicity))
            in_law = max(18, son_age - between(-2, 5))
            people.append(Person("daughter_in_law", "F", in_law, spouse_group()))
            age = in_law - between(20, 27)
            while len(people) < size:
                if age >= 0:
                    people.append(child("grandson", "granddaughter", age))
                    age -= between(1, 5)
                else:  # an unmarried younger child of the head
                    people.append(child("son", "daughter", max(16, son_age - between(2, 10))))
        else:
            free = size - len(people)
            parents = 0
            if free >= 3 and head_age <= 50 and rng.random() < 0.5:
                parents = 1 if rng.random() < 0.55 else 2
            children = free - parents
            shift = max(0, 20 + 2 * (children - 1) - mother_age)  # room for every child
            for person in people:
                person.age += shift
            head_age, mother_age = head_age + shift, mother_age + shift
            age = max(2 * (children - 1), mother_age - between(19, 28))
            for left in range(children - 1, -1, -1):
                people.append(child("son", "daughter", age))
                if left:
                    age -= min(between(1, 5), max(1, age // left))
            for index in range(parents):
                if parents == 1:
                    relation = "mother" if rng.random() < 0.65 else "father"
                else:
                    relation = ("father", "mother")[index]
                sex = "M" if relation == "father" else "F"
                people.append(Person(relation, sex, min(95, head_age + between(22, 34)), ethnicity))
    _births(rng, people)
    return people


SIBLINGS = {"son": 1, "daughter": 1, "grandson": 2, "granddaughter": 2}


def _births(rng: random.Random, people: list[Person]) -> None:
    """Birth dates for the drawn ages; a younger sibling is born at least ten months after
    the one before (ages are then read back from the dates)."""
    reference = REFERENCE_DATE.toordinal()
    previous: dict[int, int] = {}
    for person in people:
        ordinal = reference - int(person.age * 365.2425) - int(rng.random() * 365)
        kin = SIBLINGS.get(person.relation)
        if kin is not None and kin in previous:
            ordinal = max(ordinal, previous[kin] + 300 + int(rng.random() * 200))
        if ordinal > reference:  # no room left: born in the last months before the reference
            ordinal = reference - int(rng.random() * 150)
        ordinal = max(BASE_ORDINAL, ordinal)
        if kin is not None:
            previous[kin] = ordinal
        person.birth = dt.date.fromordinal(ordinal)
        person.age = age_on(person.birth, REFERENCE_DATE)


def _name_family(rng: random.Random, people: list[Person], prefecture: str) -> None:
    """Names by the naming custom of each member's group in this prefecture. Where there are
    surnames, the children and grandchildren carry the father's (the head's, or the
    husband's when a woman heads the household), the head's father the head's."""
    head = people[0]
    spouse = next((p for p in people if p.relation == "spouse"), None)
    carrier = spouse if head.sex == "F" and spouse is not None else head
    family = _surname(rng, carrier.ethnicity)
    own = family if carrier is head else _surname(rng, head.ethnicity)
    for person in people:
        if person.relation in ("son", "daughter", "grandson", "granddaughter"):
            surname = family
        elif person is head or person.relation == "father":
            surname = own
        elif person is carrier:
            surname = family
        else:
            surname = _surname(rng, person.ethnicity)
        person.name = _name(rng, person, prefecture, surname)


def _surname(rng: random.Random, group: str) -> str:
    """A family name, or "" where the custom has none (many Lahu and Hani families use one)."""
    if group == "tibetan":
        return ""
    if group == "jingpo":
        return str(_pick(rng, JINGPO_CLANS))
    if group in ("lahu", "hani") and rng.random() < 0.6:
        return ""
    return str(_pick(rng, SURNAMES.get(group, HAN_SURNAMES)))


def _han_given(rng: random.Random, sex: str, year: int) -> str:
    if year < 1975:
        pool = GIVEN_OLD_M if sex == "M" else GIVEN_OLD_F
    elif year < 2005:
        pool = GIVEN_MID_M if sex == "M" else GIVEN_MID_F
    else:
        pool = GIVEN_KID_M if sex == "M" else GIVEN_KID_F
    first = _pick(rng, pool)
    if rng.random() < 0.3:
        return str(first)
    second = _pick(rng, pool)
    return str(first + second) if second != first else str(first)


def _name(rng: random.Random, person: Person, prefecture: str, family_name: str) -> str:
    group, male = person.ethnicity, person.sex == "M"
    banna = prefecture == "5328"
    if group == "tibetan":
        if male:
            first = _pick(rng, TIBETAN_M)
            if rng.random() < 0.5:
                return str(first)
            second = _pick(rng, TIBETAN_M)
            return str(first if second == first else first + second)
        if rng.random() < 0.4:
            return str(_pick(rng, TIBETAN_F))
        return str(_pick(rng, TIBETAN_F_FIRST) + _pick(rng, TIBETAN_F_LAST))
    if group in ("dai", "blang") and banna:
        pool = DAI_M if male else DAI_F
        name = ("岩" if male else "玉") + _pick(rng, pool)
        return name + _pick(rng, pool) if rng.random() < 0.25 else name
    if group == "lahu":
        return family_name + ("扎" if male else "娜") + _pick(rng, LAHU_SYLLABLES)
    if group == "hani" and banna:
        return family_name + str(_pick(rng, HANI_M if male else HANI_F))
    if group == "jingpo":
        return family_name + str(_pick(rng, JINGPO_M if male else JINGPO_F))
    if group == "deang":
        return family_name + str(_pick(rng, DEANG_M if male else DEANG_F))
    if group == "va" and rng.random() < 0.5:
        return ("岩" if male else "叶") + _pick(rng, VA_M if male else VA_F)
    return family_name + _han_given(rng, person.sex, person.birth.year)


def _schooling(rng: random.Random, age: int, born: int) -> tuple[str, str]:
    """(student status, education) for an age on the first day of the school year."""
    if age < 3:
        return "preschool_child", "preschool_child"
    if age < 6:
        return ("preschool" if rng.random() < 0.8 else "preschool_child"), "preschool_child"
    if age <= 11:
        return "primary", "primary"
    if age <= 14:
        if rng.random() < 0.002:
            return "not_student", "primary"  # a rare dropout: an education problem
        return ("grade_7", "grade_8", "grade_9")[age - 12], "junior_high"
    if age <= 18:
        if rng.random() < (0.97 if age == 15 else 0.72):
            track = "high_school" if rng.random() < 0.6 else "secondary_vocational"
            return f"{track}_{min(3, age - 14)}", "junior_high"
        return "not_student", "junior_high"
    if age <= 22 and rng.random() < 0.25:
        year = min(3, age - 18)
        if rng.random() < 0.55:
            return f"higher_vocational_{year}", "senior_high"
        return f"undergraduate_{year}", "senior_high"
    r = rng.random()
    levels: tuple[tuple[float, str], ...]
    if born < 1960:
        levels = ((0.45, "illiterate"), (0.9, "primary"), (1.0, "junior_high"))
    elif born < 1980:
        levels = (
            (0.15, "illiterate"),
            (0.65, "primary"),
            (0.95, "junior_high"),
            (1.0, "senior_high"),
        )
    elif born < 1995:
        levels = (
            (0.05, "illiterate"),
            (0.35, "primary"),
            (0.85, "junior_high"),
            (0.97, "senior_high"),
            (1.0, "junior_college"),
        )
    else:
        levels = (
            (0.10, "primary"),
            (0.60, "junior_high"),
            (0.88, "senior_high"),
            (0.96, "junior_college"),
            (1.0, "bachelor_and_above"),
        )
    education = next(level for bound, level in levels if r < bound)
    return "not_student", education


def _health(rng: random.Random, age: int) -> tuple[str, str]:
    r = rng.random()
    if age < 40:
        bounds = (0.97, 0.985, 0.997)
    elif age < 60:
        bounds = (0.88, 0.95, 0.985)
    else:
        bounds = (0.65, 0.90, 0.96)
    if r < bounds[0]:
        return "healthy", ""
    if r < bounds[1]:
        return "chronic_illness", ""
    if r < bounds[2]:
        grade = rng.random()
        return "disabled", (
            "grade_1"
            if grade < 0.1
            else "grade_2"
            if grade < 0.3
            else "grade_3"
            if grade < 0.6
            else "grade_4"
        )
    return "serious_illness", ""


def _labour(rng: random.Random, age: int, health: str, grade: str, student: str) -> str:
    if age < 16 or student != "not_student":
        return "none"
    if health == "serious_illness" or grade in ("grade_1", "grade_2"):
        return "lost"
    if age > 75:
        return "none" if rng.random() < 0.5 else "lost"
    if age > 60:
        r = rng.random()
        return "weak_or_half" if r < 0.6 else "ordinary" if r < 0.85 else "lost"
    if health in ("chronic_illness", "disabled"):
        return "weak_or_half" if rng.random() < 0.6 else "ordinary"
    r = rng.random()
    return "skilled" if r < 0.18 else "ordinary" if r < 0.90 else "weak_or_half"


EMPLOYMENT = (
    "in_township",
    "outside_township_in_county",
    "outside_county_in_province",
    "outside_province",
)


def _employment(rng: random.Random, place: Place) -> tuple[str, int]:
    r = rng.random()
    bound = 0.0
    for status, share in zip(EMPLOYMENT, place.away, strict=True):
        bound += share
        if r < bound:
            low = 6 if status == "outside_province" else 3
            return status, low + int(rng.random() * (13 - low))
    return "not_working", 0


# --- writing -------------------------------------------------------------------------------


@dataclass
class DemoLoad:
    """What one ``demo_households_load`` did."""

    seed: int
    requested: int
    existing: int
    created: int = 0
    members: int = 0
    incomes: int = 0
    assessments: int = 0
    villages_created: int = 0
    seconds: float = 0.0
    note: str = ""
    other: str = ""  # the load the existing households came from, if not this seed's

    @property
    def total(self) -> int:
        return self.existing + self.created


ProgressFn = Callable[[int, int], None]


def _insert_sql(model: Any, attnames: Sequence[str]) -> str:
    """The statement that writes rows of these fields: ``COPY … FROM STDIN`` on PostgreSQL
    (rows are text-format values: str, int, bool, None), ``INSERT … VALUES`` elsewhere."""
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    columns = ", ".join(quote(fields[a].column) for a in attnames)
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        return f"COPY {table} ({columns}) FROM STDIN"
    marks = ", ".join(["%s"] * len(attnames))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608


def _write_rows(cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if sql.startswith("COPY"):
        with cursor.cursor.copy(sql) as copy:  # psycopg 3
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(sql, rows)


class _Writer:
    """Writes chunks in order, moving an ID number whose (county, birth day, sequence) is
    already held to the next free sequence of the same parity."""

    def __init__(self, plan: Plan, taken: bytearray) -> None:
        self.plan = plan
        self.taken = taken
        self.sql = {
            "households": _insert_sql(Household, plan.household_fields),
            "members": _insert_sql(Member, plan.member_fields),
            "incomes": _insert_sql(IncomeRecord, plan.income_fields),
            "guarantees": _insert_sql(GuaranteeAssessment, plan.guarantee_fields),
        }
        self.member_row = itemgetter(*plan.member_fields)
        self.moved = 0

    def write(self, chunk: Chunk, load: DemoLoad) -> None:
        self._unique_ids(chunk)
        with connection.cursor() as cursor:
            _write_rows(cursor, self.sql["households"], chunk.households)
            _write_rows(cursor, self.sql["members"], chunk.members)
            _write_rows(cursor, self.sql["incomes"], chunk.incomes)
            _write_rows(cursor, self.sql["guarantees"], chunk.guarantees)
        load.created += len(chunk.households)
        load.members += len(chunk.members)
        load.incomes += len(chunk.incomes)
        load.assessments += len(chunk.guarantees)

    def _unique_ids(self, chunk: Chunk) -> None:
        taken = self.taken
        for k, cell in enumerate(chunk.cells):
            byte, bit = cell >> 3, 1 << (cell & 7)
            if not taken[byte] & bit:
                taken[byte] |= bit
                continue
            base, sequence = divmod(cell, 1000)
            for step in range(2, 1000, 2):
                candidate = base * 1000 + (sequence + step) % 1000
                byte, bit = candidate >> 3, 1 << (candidate & 7)
                if not taken[byte] & bit:
                    taken[byte] |= bit
                    break
            else:  # 500 people of one sex born the same day in one county
                raise BangfuError(ErrorCode.ID_NUMBER_DUPLICATE, "No free ID sequence left.")
            chunk.members[k] = self._renumber(chunk.members[k], candidate)
            self.moved += 1

    def _renumber(self, row: tuple[Any, ...], cell: int) -> tuple[Any, ...]:
        """The member's row with the ID number for ``cell`` (encrypted, hashed, masked anew)."""
        values = dict(zip(self.plan.member_fields, row, strict=True))
        place_day, sequence = divmod(cell, 1000)
        number = _id_number(PLACES[place_day // DAYS].county, values["birth_date"], sequence)
        protected = {"id_number_enc", "id_number_hash", "id_number_masked"}
        clean = CleanMember({k: v for k, v in values.items() if k not in protected}, number)
        return tuple(self.member_row(member_row_values(clean)))


def _taken_ids() -> bytearray:
    """A bit per (county, birth day, sequence) for the ID numbers already in the database in
    the demo counties (decrypted: the numbers are stored encrypted only). One pass over the
    members; nothing to read in a fresh database."""
    taken = bytearray((len(PLACES) * DAYS * 1000 + 7) // 8)
    rows = Member.objects.values_list("id_number_masked", "id_number_enc").order_by()
    for masked, token in rows.iterator(chunk_size=20_000):
        place = PLACE_INDEX.get(masked[:6])
        if place is None:
            continue
        number = decrypt_text(token)
        try:
            born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            continue
        if EARLIEST_BIRTH <= born <= REFERENCE_DATE:
            cell = _cell(place, born, int(number[14:17]))
            taken[cell >> 3] |= 1 << (cell & 7)
    return taken


# Worker processes (fork): the plan is inherited; index ranges go out and rows come back as
# marshal bytes (plain str/int/bool/None tuples: far cheaper than pickling them one by one).
_WORKER: Generator | None = None


def _work(bounds: tuple[int, int]) -> bytes:
    assert _WORKER is not None
    chunk = _WORKER.chunk(*bounds)
    return marshal.dumps(
        (
            chunk.start,
            chunk.stop,
            chunk.households,
            chunk.members,
            chunk.cells,
            chunk.incomes,
            chunk.guarantees,
        )
    )


def _unpack(data: bytes) -> Chunk:
    start, stop, households, members, cells, incomes, guarantees = marshal.loads(data)  # noqa: S302
    return Chunk(start, stop, households, members, cells, incomes, guarantees)


def _chunks(generator: Generator, start: int, stop: int, workers: int) -> Iterator[Chunk]:
    """The chunks of households [start, stop) in order, generated here or by forked workers
    (at most two chunks per worker ahead of the writer, so memory stays flat)."""
    ranges = [(a, min(a + CHUNK, stop)) for a in range(start, stop, CHUNK)]
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for a, b in ranges:
            yield generator.chunk(a, b)
        return
    global _WORKER
    _WORKER = generator
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(processes=workers) as pool:
            pending: deque[Any] = deque()
            queue = iter(ranges)
            for bounds in queue:
                pending.append(pool.apply_async(_work, (bounds,)))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                data = pending.popleft().get()
                following = next(queue, None)
                if following is not None:
                    pending.append(pool.apply_async(_work, (following,)))
                yield _unpack(data)
    finally:
        _WORKER = None


def _default_workers(count: int) -> int:
    return 1 if count < PARALLEL_FROM else max(1, min(8, os.cpu_count() or 1))


def _existing_load(fingerprint: str) -> tuple[int, str]:
    """Households already loaded by the demo, and the name of the load they came from when
    that was another seed or generator version ("" when they match)."""
    batches = list(ImportBatch.objects.filter(layout=DEMO_LAYOUT, status="done"))
    existing = sum(b.households_created for b in batches)
    others = sorted({b.file_name for b in batches if b.file_sha256 != fingerprint})
    return existing, others[0] if others else ""


def demo_households_load(
    *,
    seed: int,
    households: int,
    progress: ProgressFn | None = None,
    workers: int | None = None,
) -> DemoLoad:
    """Make the database hold ``households`` demo households of this seed.

    Idempotent: households already loaded (recorded by ImportBatch rows of layout "demo") are
    kept and only the missing ones are added, so asking again for the same number changes
    nothing and a larger number adds exactly the households a fresh build of that size would
    have after them. A smaller number removes nothing (the note says so). Households of a
    different seed are never mixed in: that is refused (DEMO_REFUSED). ``workers`` > 1 forks
    that many generator processes (default: the CPU count for large loads, none for small).
    """
    started = time.perf_counter()
    if not getattr(settings, "BANGFU_DEMO_ALLOWED", False):  # never fake people in production
        raise BangfuError(
            ErrorCode.DEMO_REFUSED,
            _("The demo (users with a shared password) is refused under production settings."),
        )
    if households < 0:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, _("The number of households is negative."))
    specs = demo_villages_plan()
    fingerprint = _fingerprint(seed, specs)
    existing, other = _existing_load(fingerprint)
    load = DemoLoad(seed=seed, requested=households, existing=existing, other=other)
    if households <= existing:
        if other:
            load.note = _(
                "They were made by “{other}” (another seed or version of the demo)."
            ).format(other=other)
        elif households < existing:
            load.note = _(
                "{n} demo households exist, more than the {asked} asked for; the demo never "
                "deletes households (start from a fresh database for fewer)."
            ).format(n=existing, asked=households)
        load.seconds = time.perf_counter() - started
        return load
    if other:
        raise BangfuError(
            ErrorCode.DEMO_REFUSED,
            _(
                "This database already holds {n} demo households made by “{other}” (another "
                "seed or version of the demo); households of seed {seed} cannot be added to "
                "them. Use the same --seed, or start from a fresh database (by default the "
                "SQLite file var/bangfu.sqlite3)."
            ).format(n=existing, other=other, seed=seed),
        )
    encrypt_text("warm-up")  # derive the keys once, before any fork
    with transaction.atomic():
        regions, load.villages_created = _ensure_villages(specs)
        plan = _plan(seed, specs, regions)
        if households > plan.capacity():
            raise BangfuError(
                ErrorCode.VALIDATION_ERROR,
                _("At most {n} demo households fit the 4-digit household numbers.").format(
                    n=plan.capacity()
                ),
            )
        first_id = (Household.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        generator = Generator(plan, first_id=first_id, first_index=existing)
        writer = _Writer(plan, _taken_ids())
        count = households - existing
        workers = _default_workers(count) if workers is None else workers
        try:
            with _bulk_load(count):
                for chunk in _chunks(generator, existing, households, workers):
                    writer.write(chunk, load)
                    if progress is not None:
                        progress(load.created, count)
        except IntegrityError as error:
            raise BangfuError(
                ErrorCode.DEMO_REFUSED,
                _(
                    "A household number or ID number the demo generates is already in the "
                    "database (entered by hand?); run the demo on a fresh database. ({error})"
                ).format(error=error),
            ) from error
        _reset_sequences()
        batch = ImportBatch.objects.create(
            file_name=_batch_name(seed),
            file_sha256=fingerprint,
            layout=DEMO_LAYOUT,
            finished_at=timezone.now(),
            status="done",
            rows_total=households,
            rows_done=households,
            households_created=load.created,
        )
        load.seconds = time.perf_counter() - started
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            obj=batch,
            after={
                **snapshot(batch),
                "seed": seed,
                "generator_version": GENERATOR_VERSION,
                "members_created": load.members,
                "income_records_created": load.incomes,
                "guarantee_assessments_created": load.assessments,
                "villages_created": load.villages_created,
                "id_numbers_moved": writer.moved,
            },
            reason=_("demo data (generated, not real people)"),
        )
    return load


BULK_FROM = 100_000  # households: from here on SQLite's secondary indexes are rebuilt after


@contextmanager
def _bulk_load(count: int) -> Iterator[None]:
    """On SQLite, for a large load: a larger page cache, and the non-unique indexes of the
    registry tables dropped while rows go in and created again after (a sorted build is much
    faster than millions of random inserts). All inside the caller's transaction, so a failure
    rolls the indexes back too; unique indexes stay and keep checking."""
    if connection.vendor != "sqlite" or count < PARALLEL_FROM:
        yield
        return
    tables = [m._meta.db_table for m in (Household, Member, IncomeRecord, GuaranteeAssessment)]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
        indexes: list[tuple[str, str]] = []
        if count >= BULK_FROM:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
            indexes = [(n, sql) for n, sql in cursor.fetchall() if " UNIQUE " not in sql.upper()]
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def _reset_sequences() -> None:
    """Households were written with explicit ids: bring PostgreSQL's sequence past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Household])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
