"""Projects and the fund ledger (项目资金台账): every yuan from its source to its use.

The ledger is **double-entry and append-only**. An *entry* (a movement: allocation, transfer,
disbursement, payment, or the reversal of one) has *postings* on accounts, in whole **fen**,
that add up to zero: money leaves one account (a negative posting) and arrives at another
(positive). Every posting carries the *fund source* the money came from (沪滇合作资金 of a
year, local fiscal funds, social donations, enterprise investment), so a payment to a
contractor or a household is traceable to its source, and no account may hold a negative
amount of any source.

Accounts: the **external** account stands for the world outside the ledger (it funds the
sources and may go negative — it is what came in); a **source** account holds a fund source's
money; a **project** account a project's; a **payee** account receives payments (a contractor,
a cooperative, a household) — money that has reached its use.

Entries are never changed or deleted (the database refuses it); a wrong one is reversed by an
entry of opposite postings in an open month. A **closed month** accepts no entry dated in it.
Each entry has an **idempotency key**, unique: submitting the same movement twice records it
once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import APPEND_ONLY_LEDGER, AppendOnlyModel
from bangfu.core.money import money_field
from bangfu.regions.models import Pairing, Region
from bangfu.registry.models import Household


class ProjectKind(models.TextChoices):
    INDUSTRY = "industry", _("Industry")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    EMPLOYMENT = "employment", _("Employment")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    WATER = "water", _("Water")
    CONSUMPTION = "consumption", _("Consumption assistance")
    ECOLOGY = "ecology", _("Ecology")
    TRAINING = "training", _("Training")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDERWAY = "underway", _("Under way")
    COMPLETED = "completed", _("Completed, awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Failed acceptance")
    SUSPENDED = "suspended", _("Suspended")


class Project(models.Model):
    """A cooperation project (协作项目): where it is, who carries it out, its budget by fund
    source, milestones, performance targets, acceptance and documents. Its money moves only
    through the ledger (its ``project`` accounts)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="projects"
    )
    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("pairing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("The district ↔ county pairing whose cooperation funds it uses."),
    )
    year = models.PositiveSmallIntegerField(_("plan year"))
    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    implementer = models.CharField(_("implementer"), max_length=200, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("planned end"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="project_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FundSource(models.TextChoices):
    EAST_AID = "east_aid", _("Eastern fiscal aid (e.g. 沪滇合作资金)")
    LOCAL_FISCAL = "local_fiscal", _("Local fiscal funds")
    DONATION = "donation", _("Social donations")
    ENTERPRISE = "enterprise", _("Enterprise investment")
    COOPERATIVE_PROFIT = "coop_profit", _("A cooperative's profit")


class ProjectBudget(models.Model):
    """What a project plans to spend of one fund source (the ledger shows what it got)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    fund_source = models.CharField(_("fund source"), max_length=20, choices=FundSource.choices)
    amount = money_field(_("budget"))

    class Meta:
        ordering = ["project", "fund_source"]
        constraints = [
            models.UniqueConstraint(fields=["project", "fund_source"], name="budget_line_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.fund_source} {self.amount}"


class AccountKind(models.TextChoices):
    EXTERNAL = "external", _("External (funds the sources)")
    SOURCE = "source", _("Fund source")
    PROJECT = "project", _("Project")
    PAYEE = "payee", _("Payee (contractor, cooperative, household)")


class Account(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    fund_source = models.CharField(
        _("fund source"), max_length=20, choices=FundSource.choices, blank=True
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="source") | ~models.Q(fund_source=""),
                name="source_account_has_a_fund_source",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="project") | models.Q(project__isnull=False),
                name="project_account_has_a_project",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class EntryKind(models.TextChoices):
    FUNDING = "funding", _("Funding of a source")
    ALLOCATION = "allocation", _("Allocation to a project")
    TRANSFER = "transfer", _("Transfer")
    DISBURSEMENT = "disbursement", _("Disbursement")
    PAYMENT = "payment", _("Payment to a contractor or beneficiary")
    DIVIDEND = "dividend", _("A cooperative's dividend")
    REVERSAL = "reversal", _("Reversal")


class Entry(AppendOnlyModel):
    """One movement of money: its postings add up to zero."""

    append_only_refusal = APPEND_ONLY_LEDGER

    kind = models.CharField(_("kind"), max_length=14, choices=EntryKind.choices)
    entry_date = models.DateField(_("date"))
    voucher = models.CharField(_("voucher"), max_length=60)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of what was submitted
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_date", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.entry_date} {self.get_kind_display()} {self.voucher}"


class Posting(AppendOnlyModel):
    """One line of an entry: ``amount_fen`` into the account (negative: out of it), of the
    money of ``source``."""

    append_only_refusal = APPEND_ONLY_LEDGER

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="traced_postings")
    amount_fen = models.BigIntegerField()

    class Meta:
        ordering = ["entry", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_fen=0), name="posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_fen:+d}"


class ClosedMonth(AppendOnlyModel):
    """A month closed for entries (its figures reported); never reopened."""

    append_only_refusal = APPEND_ONLY_LEDGER

    month = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["month"]
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")

    def __str__(self) -> str:
        return self.month


# ---------------------------------------------------------------------------- the project library


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("milestone"), max_length=200)
    planned_date = models.DateField(_("planned"))
    done_date = models.DateField(_("done"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["project", "planned_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="progress_le_100"),
        ]

    def __str__(self) -> str:
        return self.name


class TargetMeasure(models.TextChoices):
    """Where a performance target's actual value comes from: typed in by the project office
    (``manual``), or counted from the records (never typed)."""

    MANUAL = "manual", _("Entered by the project office")
    HOUSEHOLDS = "households", _("Households benefiting (counted)")
    POOR_HOUSEHOLDS = "poor_households", _("Registered-poor households benefiting (counted)")
    PEOPLE = "people", _("People in benefiting households (counted)")
    JOBS = "jobs", _("Households with project wages (counted)")
    BENEFIT_YUAN = "benefit_yuan", _("Benefits paid to households, yuan (counted)")


class PerformanceTarget(models.Model):
    """A performance target (绩效目标), e.g. "+150 yuan per mu on 250 mu", "500 jobs"."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    indicator = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    measure = models.CharField(
        _("actual from"), max_length=16, choices=TargetMeasure.choices, default=TargetMeasure.MANUAL
    )
    actual = models.DecimalField(
        _("actual (entered)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    measured_on = models.DateField(_("measured on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("performance target")
        verbose_name_plural = _("performance targets")

    def __str__(self) -> str:
        return f"{self.indicator} {self.target} {self.unit}"


class Acceptance(models.Model):
    """The project's acceptance check (验收): passed or not, by whom, what was found."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="acceptance")
    checked_on = models.DateField(_("checked on"))
    passed = models.BooleanField(_("passed"))
    inspectors = models.CharField(_("inspectors"), max_length=300)
    findings = models.TextField(_("findings"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")

    def __str__(self) -> str:
        return f"{self.project_id} {self.checked_on} {'passed' if self.passed else 'failed'}"


class ProjectDocument(models.Model):
    """A file attached to a project (approval, contract, acceptance report…), kept outside
    the web root and served only to readers of the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=100, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-uploaded_at"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------- cooperatives


class CooperativeModel(models.TextChoices):
    """The Dingri models: industry+, company+, tourism+, … (产业+、公司+、旅游+ …)."""

    INDUSTRY = "industry", _("Industry +")
    COMPANY = "company", _("Company + cooperative + household")
    TOURISM = "tourism", _("Tourism +")
    FARMER = "farmer", _("Farmers +")
    ECOLOGY = "ecology", _("Ecology +")
    CAPABLE_PERSON = "capable", _("Capable person +")
    PARTY_BUILDING = "party", _("Party building +")


class Cooperative(models.Model):
    """A farmers' or herders' cooperative (农牧民专业合作社). It receives money through the
    ledger (funds turned into shares, awards) on its own payee account, and pays dividends
    from its yearly profit to its members' account."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="cooperatives"
    )
    model = models.CharField(_("model"), max_length=10, choices=CooperativeModel.choices)
    company = models.CharField(
        _("partner company"),
        max_length=200,
        blank=True,
        help_text=_("The company of a “company + cooperative + household” link."),
    )
    leader = models.CharField(_("leader"), max_length=100, blank=True)
    founded_on = models.DateField(_("founded"))
    account = models.OneToOneField(
        "Account", on_delete=models.PROTECT, related_name="cooperative", editable=False
    )
    members_account = models.OneToOneField(
        "Account", on_delete=models.PROTECT, related_name="cooperative_members", editable=False
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="memberships"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="cooperative_memberships"
    )
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["cooperative", "household"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "household"],
                condition=models.Q(left_on__isnull=True),
                name="one_open_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} ← {self.household_id}"


class ShareKind(models.TextChoices):
    CASH = "cash", _("Cash paid in")
    FUNDS = "funds", _("Funds turned into shares (资金变股金)")
    LAND = "land", _("Land or resources (资源变资产)")
    ASSETS = "assets", _("Other assets")


class ShareCapital(models.Model):
    """Share capital a member holds in a cooperative: cash, land, or assistance funds turned
    into shares and quantified to the household (then ``entry`` is the ledger payment that
    brought the money to the cooperative)."""

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="share_capital"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="cooperative_shares"
    )
    kind = models.CharField(_("kind"), max_length=6, choices=ShareKind.choices)
    amount = money_field(_("amount"))
    shares = models.PositiveIntegerField(_("shares"))
    recorded_on = models.DateField(_("recorded on"))
    entry = models.ForeignKey(
        "Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="share_capital"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["cooperative", "household", "pk"]
        verbose_name = _("share capital")
        verbose_name_plural = _("share capital")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="capital_not_negative"),
            models.CheckConstraint(condition=models.Q(shares__gt=0), name="shares_above_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.shares} ({self.get_kind_display()})"


class CooperativeYear(models.Model):
    """A cooperative's year: revenue, profit, and the dividend rules applied to it — the
    payout ratio (which may rise by year) and the minimum for registered-poor members."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    revenue = money_field(_("revenue"))
    profit = money_field(_("profit"))
    payout_ratio = models.DecimalField(_("payout ratio"), max_digits=5, decimal_places=4)
    poor_minimum = money_field(_("minimum for registered-poor members"), default=Decimal("0.00"))
    dividend_entry = models.OneToOneField(
        "Entry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cooperative_year",
        editable=False,
    )

    class Meta:
        ordering = ["cooperative", "year"]
        verbose_name = _("cooperative year")
        verbose_name_plural = _("cooperative years")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "year"], name="one_cooperative_year"),
            models.CheckConstraint(
                condition=models.Q(payout_ratio__gte=0) & models.Q(payout_ratio__lte=1),
                name="payout_ratio_share",
            ),
            models.CheckConstraint(condition=models.Q(revenue__gte=0), name="revenue_not_negative"),
            models.CheckConstraint(
                condition=models.Q(poor_minimum__gte=0), name="minimum_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} {self.year}"


class AwardCriterion(models.TextChoices):
    """What a cooperative must have done in the scheme's year to earn a 以奖代补 award."""

    FIRST_INCOME = "first_income", _("First income: a profit this year, none in any year before")
    PROFIT_AT_LEAST = "profit_at_least", _("A profit of at least the threshold (yuan)")
    POOR_MEMBERS_AT_LEAST = "poor_members", _("At least the threshold of registered-poor members")
    DIVIDENDS_PAID = "dividends_paid", _("Dividends paid to members this year")


class AwardScheme(models.Model):
    """A reward-in-lieu-of-subsidy scheme (以奖代补): an amount for each cooperative meeting
    the criterion in the year, paid from the account of the project that funds it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    criterion = models.CharField(_("criterion"), max_length=16, choices=AwardCriterion.choices)
    threshold = models.DecimalField(
        _("threshold"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount = money_field(_("award"))
    paying_account = models.ForeignKey(
        "Account", on_delete=models.PROTECT, related_name="award_schemes"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="award_schemes",
        help_text=_("Cooperatives in this region are considered."),
    )

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("award scheme")
        verbose_name_plural = _("award schemes")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Award(models.Model):
    scheme = models.ForeignKey(AwardScheme, on_delete=models.PROTECT, related_name="awards")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="awards")
    amount = money_field(_("award"))
    entry = models.OneToOneField("Entry", on_delete=models.PROTECT, related_name="award")
    reason = models.CharField(_("why"), max_length=300)

    class Meta:
        ordering = ["scheme", "cooperative"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "cooperative"], name="one_award_each"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} → {self.cooperative_id} {self.amount}"


# ---------------------------------------------------------------------------- benefit-linking


class Mechanism(models.TextChoices):
    """How a project or cooperative benefits a household (联农带农机制)."""

    WAGES = "wages", _("Wages")
    PRODUCE = "produce", _("Produce bought at a stated price")
    DIVIDEND = "dividend", _("Dividends")
    LAND_RENT = "land_rent", _("Land rent")
    TRAINING = "training", _("Training")


# The income type of the household's income record each mechanism adds to (NBS definitions:
# produce sold is gross business income; dividends and land rent are property income; a
# training allowance is a transfer).
MECHANISM_INCOME = {
    Mechanism.WAGES: "wage_income",
    Mechanism.PRODUCE: "business_income",
    Mechanism.DIVIDEND: "property_income",
    Mechanism.LAND_RENT: "property_income",
    Mechanism.TRAINING: "transfer_income",
}


class Benefit(models.Model):
    """What a project or cooperative brought a household (or, without a household, a village)
    in a year, by one mechanism. A household's benefit with an amount is a linked income of
    its income record (``registry.linked_income``); one paid through the ledger names its
    payment ``entry``, and the benefits of a payment add up to it."""

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    cooperative = models.ForeignKey(
        Cooperative, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    village = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="benefits"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    mechanism = models.CharField(_("mechanism"), max_length=10, choices=Mechanism.choices)
    amount = money_field(_("amount"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    registered_poor = models.BooleanField(_("registered poor"), default=False)
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="benefits"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "pk"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        indexes = [models.Index(fields=["household", "year"], name="benefit_household_year")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(project__isnull=False) | models.Q(cooperative__isnull=False),
                name="benefit_has_a_giver",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="benefit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_mechanism_display()} {self.amount}"
