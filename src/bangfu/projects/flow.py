"""A project's fund flow from sources to uses, and its reconciliation (资金流向).

Read from the ledger's postings on the project's accounts, in three independent ways:

* **in**: what the fund sources (and other projects) moved into the project's accounts;
* **out**: what left them — to each payee (contractor, cooperative, households) and to other
  projects — by fund source;
* **held**: the balance of each source still on the project's accounts.

For every fund source ``in − out − held`` must be 0; the report shows the difference, which
is not 0 only when the ledger is broken (``bangfu ledger verify`` then names the breach).
The links (source → project → payee, plus what is still held) are what the Sankey chart draws.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Sum
from django.utils.translation import gettext as _

from bangfu.projects.models import Account, AccountKind, FundSource, Posting, Project


@dataclass(frozen=True)
class FlowLine:
    """One fund source's money through the project, in fen."""

    source: Account
    received: int
    paid: int
    held: int

    @property
    def difference(self) -> int:
        return self.received - self.paid - self.held


@dataclass
class FundFlow:
    project: Project
    lines: list[FlowLine] = field(default_factory=list)
    # (from label, to label, fen): source → project, project → payee, project → still held
    links: list[tuple[str, str, int]] = field(default_factory=list)
    payees: dict[str, int] = field(default_factory=dict)  # payee name → fen received
    # The chart's bands: (from, to, fen, the source whose money it is — None for the bands
    # into the project and to what is still held, which are drawn in their own colour).
    bands: list[tuple[str, str, int, str | None]] = field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(line.paid for line in self.lines)

    @property
    def held(self) -> int:
        return sum(line.held for line in self.lines)

    @property
    def difference(self) -> int:
        return sum(line.difference for line in self.lines)

    @property
    def reconciled(self) -> bool:
        return all(line.difference == 0 for line in self.lines)


def _other_sides(project_ids: Sequence[int]) -> dict[int, dict[tuple[int, int], int]]:
    """For each project, the net fen per (other account, source) of the entries that touch its
    accounts: negative — the other account gave it money; positive — it took money from the
    project. Netted over all entries, so a reversed movement counts as nothing. One query for
    any number of projects."""
    owner = dict(Account.objects.filter(project__in=project_ids).values_list("pk", "project"))
    rows = (
        Posting.objects.filter(entry__in=Posting.objects.filter(account__in=owner).values("entry"))
        .order_by("entry")
        .values_list("entry", "account", "source", "amount_fen")
    )
    nets: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    for _entry, lines in groupby(rows.iterator(chunk_size=5000), key=lambda row: row[0]):
        postings = list(lines)
        for project_id in {owner[a] for _e, a, _s, _f in postings if a in owner}:
            for _e, account, source, fen in postings:
                if owner.get(account) != project_id:
                    nets[project_id][(account, source)] += fen
    return nets


def money_by_project(project_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(received, paid) in fen of each project — the same figures as ``fund_flow``'s, for a
    list of projects at once."""
    money: dict[int, tuple[int, int]] = {}
    for project_id, nets in _other_sides(project_ids).items():
        received = sum(-fen for fen in nets.values() if fen < 0)
        money[project_id] = (received, sum(fen for fen in nets.values() if fen > 0))
    return money


def fund_flow(project: Project) -> FundFlow:
    """The project's fund flow (see the module docstring)."""
    received: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    to_payee: dict[tuple[int, int], int] = defaultdict(int)
    for (account, source), fen in _other_sides([project.pk]).get(project.pk, {}).items():
        if fen < 0:
            received[source] += -fen
        elif fen > 0:
            paid[source] += fen
            to_payee[(account, source)] += fen
    # What each source still holds on the project's accounts: read independently.
    held = dict(
        Posting.objects.filter(account__project=project)
        .values("source")
        .annotate(fen=Sum("amount_fen"))
        .order_by()
        .values_list("source", "fen")
    )
    sources = set(received) | set(paid) | set(held)
    accounts = Account.objects.in_bulk(sources | {a for a, _s in to_payee})
    flow = FundFlow(project=project)
    for pk in sorted(sources, key=lambda k: accounts[k].code):
        flow.lines.append(FlowLine(accounts[pk], received[pk], paid[pk], int(held.get(pk, 0))))
    _links(flow, accounts, to_payee)
    return flow


def source_label(source: Account) -> str:
    """A fund source's name in the reader's language (the stored name is in the language of
    whoever opened the account)."""
    if source.fund_source and source.fund_source != FundSource.COOPERATIVE_PROFIT and source.year:
        return f"{FundSource(source.fund_source).label} {source.year}"
    return source.name


def _payee_label(payee: Account, project: Project) -> str:
    """Where a payment went, in the reader's language: the project's households, another
    project (→), or the payee's name."""
    if payee.code == f"ben-{project.code}":
        return str(_("Households paid (联农带农)"))
    return payee.name if payee.kind != AccountKind.PROJECT else f"→ {payee.name}"


def _links(
    flow: FundFlow, accounts: dict[int, Account], to_payee: dict[tuple[int, int], int]
) -> None:
    """``links``: source → project, project → payee, project → still held. ``bands``: the same
    with the payments split by the source whose money they were, for the chart."""
    project_label = str(flow.project)
    for line in flow.lines:
        if line.received:
            flow.links.append((source_label(line.source), project_label, line.received))
            flow.bands.append((source_label(line.source), project_label, line.received, None))
    by_payee: dict[str, int] = defaultdict(int)
    by_payee_source: dict[tuple[str, str], int] = defaultdict(int)
    for (account, source), amount in to_payee.items():
        label = _payee_label(accounts[account], flow.project)
        by_payee[label] += amount
        by_payee_source[(label, source_label(accounts[source]))] += amount
    for label, amount in sorted(by_payee.items(), key=lambda item: -item[1]):
        flow.links.append((project_label, label, amount))
        for (payee_label, from_source), part in sorted(by_payee_source.items()):
            if payee_label == label:
                flow.bands.append((project_label, label, part, from_source))
    flow.payees = dict(by_payee)
    if flow.held:
        flow.links.append((project_label, _("still held"), flow.held))
        flow.bands.append((project_label, _("still held"), flow.held, None))
