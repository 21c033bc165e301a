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
from dataclasses import dataclass, field

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


def fund_flow(project: Project) -> FundFlow:
    """The project's fund flow (see the module docstring)."""
    own = set(Account.objects.filter(project=project).values_list("pk", flat=True))
    entries = Posting.objects.filter(account__in=own).values("entry")
    other_sides = (
        Posting.objects.filter(entry__in=entries)
        .exclude(account__in=own)
        .values("account", "source")
        .annotate(fen=Sum("amount_fen"))
        .order_by()
    )
    received: dict[int, int] = defaultdict(int)
    paid: dict[int, int] = defaultdict(int)
    to_payee: dict[tuple[int, int], int] = defaultdict(int)
    for row in other_sides:
        # The other side gave (negative) into the project or took (positive) from it.
        if row["fen"] < 0:
            received[row["source"]] += -row["fen"]
        else:
            paid[row["source"]] += row["fen"]
            to_payee[(row["account"], row["source"])] += row["fen"]
    held = dict(
        Posting.objects.filter(account__in=own)
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


def _links(
    flow: FundFlow, accounts: dict[int, Account], to_payee: dict[tuple[int, int], int]
) -> None:
    project_label = str(flow.project)
    for line in flow.lines:
        if line.received:
            flow.links.append((source_label(line.source), project_label, line.received))
    by_payee: dict[str, int] = defaultdict(int)
    for (account, _source), amount in to_payee.items():
        payee = accounts[account]
        label = payee.name if payee.kind != AccountKind.PROJECT else f"→ {payee.name}"
        by_payee[label] += amount
    for label, amount in sorted(by_payee.items(), key=lambda item: -item[1]):
        flow.links.append((project_label, label, amount))
    flow.payees = dict(by_payee)
    if flow.held:
        flow.links.append((project_label, _("still held"), flow.held))
