"""Regions and pairings. Writes go through ``services``; reads through ``selectors``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.regions.codes import LEVEL_LABELS, Level, significant_prefix


class RegionLevel(models.IntegerChoices):
    PROVINCE = Level.PROVINCE, LEVEL_LABELS[Level.PROVINCE]
    PREFECTURE = Level.PREFECTURE, LEVEL_LABELS[Level.PREFECTURE]
    COUNTY = Level.COUNTY, LEVEL_LABELS[Level.COUNTY]
    TOWNSHIP = Level.TOWNSHIP, LEVEL_LABELS[Level.TOWNSHIP]
    VILLAGE = Level.VILLAGE, LEVEL_LABELS[Level.VILLAGE]
    NATURAL_VILLAGE = Level.NATURAL_VILLAGE, LEVEL_LABELS[Level.NATURAL_VILLAGE]


class Region(models.Model):
    """A place in the administrative tree, identified by its statistical division code."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent region"),
    )
    is_west = models.BooleanField(_("western (assisted) side"), default=False)
    former_poor_county = models.BooleanField(_("former poor county"), default=False)
    key_county = models.BooleanField(_("national key assisted county"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_code")]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"

    @property
    def prefix(self) -> str:
        return significant_prefix(self.code)

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    def display_name(self, language: str | None) -> str:
        """English name when English is active and one is known; the Chinese name otherwise."""
        if language and language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class Pairing(models.Model):
    """An eastern party paired with a western party (对口关系) for a span of years."""

    east = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="pairings_as_east",
        verbose_name=_("eastern side"),
    )
    west = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="pairings_as_west",
        verbose_name=_("western side"),
    )
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["east__code", "west__code", "start_year"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__isnull=True)
                | models.Q(end_year__gte=models.F("start_year")),
                name="pairing_years_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.east.name_zh} ↔ {self.west.name_zh} ({self.start_year}–{self.end_year or ''})"
        )

    def active_in(self, year: int) -> bool:
        return self.start_year <= year and (self.end_year is None or year <= self.end_year)
