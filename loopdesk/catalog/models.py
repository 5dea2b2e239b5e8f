"""Service products, customer contracts, their counted entitlements and the consumption ledger.

Balances are never stored: they are sums over the append-only `Consumption` ledger for one entitlement
and one period (see services.balance). Giving units back appends a negative row; only a row waiting
for approval changes its status (to approved, rejected or cancelled).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped
from loopdesk.customers.models import Company

from . import periods


class ServiceProduct(TimeStamped):
    """One service the vendor sells (hotline, on-site visit, consulting day …), counted in `unit`.

    `sla_targets` is read by the SLA engine (loopdesk.sla), which owns its meaning; the documented shape
    is {"response_minutes": int, "resolution_minutes": int, "update_minutes": int}, every key optional.
    """

    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("Hotline")
        REMOTE = "remote", _("Remote session")
        ONSITE = "onsite", _("On-site visit")
        EMERGENCY_ONSITE = "emergency_onsite", _("Same-day emergency on-site")
        SATURDAY_ONSITE = "saturday_onsite", _("Saturday on-site")
        DESIGNATED_ENGINEER = "designated_engineer", _("Designated engineer")
        INSPECTION = "inspection", _("Proactive inspection")
        CONSULTING_DAY = "consulting_day", _("Consulting day")
        IMPLEMENTATION_DAY = "implementation_day", _("Implementation day")

    class Unit(models.TextChoices):
        CALL = "call", _("call")
        SESSION = "session", _("session")
        VISIT = "visit", _("visit")
        INSPECTION = "inspection", _("inspection")
        DAY = "day", _("day")
        MONTH = "month", _("month")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    price = models.DecimalField(_("price (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sla_targets = models.JSONField(_("SLA targets"), default=dict, blank=True)

    class Meta:
        verbose_name = _("service product")
        verbose_name_plural = _("service products")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ContractQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContractQuerySet:
        """Contracts whose company the user may see (the one scoping rule, in customers)."""
        return self.filter(company__in=Company.objects.visible_to(user).values("id"))

    def in_force(self, on) -> ContractQuerySet:
        """Active contracts whose validity period contains the date `on`."""
        return self.filter(status=Contract.Status.ACTIVE, starts_on__lte=on, ends_on__gte=on)


class Contract(TimeStamped):
    """A service contract of a customer company (optionally for one asset) with its entitlements."""

    class Level(models.TextChoices):
        STANDARD = "standard", _("Standard")
        GOLD = "gold", _("Gold")
        VIP = "vip", _("VIP")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class Overage(models.TextChoices):
        REFUSE = "refuse", _("Refuse")
        CHARGE = "charge", _("Allow and charge at the catalogue price")
        APPROVAL = "approval", _("Allow with manager approval")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer"))
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="contracts",
        verbose_name=_("asset"),
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.STANDARD)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    designated_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("designated engineer"),
    )
    overage = models.CharField(_("when the entitlement is used up"), max_length=16, choices=Overage.choices,
                               default=Overage.REFUSE)
    notes = models.TextField(_("notes"), blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on", "number"]
        indexes = [models.Index(fields=["company", "status", "ends_on"], name="contract_company_in_force")]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="contract_dates_ordered")]

    def __str__(self) -> str:
        return self.number


class Entitlement(models.Model):
    """What a contract includes of one service product: `quantity` units per period, or unlimited (null)."""

    class Period(models.TextChoices):
        MONTHLY = periods.MONTHLY, _("per month")
        QUARTERLY = periods.QUARTERLY, _("per quarter")
        YEARLY = periods.YEARLY, _("per year")
        TERM = periods.TERM, _("whole term")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="entitlements",
                                 verbose_name=_("contract"))
    product = models.ForeignKey(ServiceProduct, on_delete=models.PROTECT, related_name="entitlements",
                                verbose_name=_("service product"))
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True, help_text=_("Empty means unlimited."))
    period = models.CharField(_("period"), max_length=16, choices=Period.choices, default=Period.MONTHLY)

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["contract", "product__code"]
        constraints = [models.UniqueConstraint(fields=["contract", "product"], name="entitlement_one_per_product")]

    def __str__(self) -> str:
        return f"{self.contract} · {self.product}"

    @property
    def unlimited(self) -> bool:
        return self.quantity is None

    def period_start(self, on):
        return periods.period_start(self.period, on, term_start=self.contract.starts_on)

    def period_end(self, start):
        return periods.period_end(self.period, start, term_end=self.contract.ends_on)


class Consumption(models.Model):
    """One ledger row: units taken from (+) or given back to (−) an entitlement in one period.

    `ref` names what consumed it ("ticket:123", "workorder:9") as a string, since tickets sit above this
    app. `overage` rows are units beyond the included quantity (charged or approved)."""

    class Status(models.TextChoices):
        CONSUMED = "consumed", _("Consumed")
        CHARGED = "charged", _("Charged")
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Given back")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="consumptions",
                                    verbose_name=_("entitlement"))
    period_start = models.DateField(_("period"))
    units = models.IntegerField(_("units"))
    overage = models.BooleanField(_("beyond the entitlement"), default=False)
    ref = models.CharField(_("reference"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    charge_amount = models.DecimalField(_("charge (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals",
                                 verbose_name=_("gives back"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consumption")
        verbose_name_plural = _("consumptions")
        ordering = ["-at", "-pk"]
        indexes = [
            # The balance query: sum(units) for one entitlement and period, by status.
            models.Index(fields=["entitlement", "period_start", "status"], name="consumption_balance"),
            models.Index(fields=["ref"], name="consumption_ref"),
            models.Index(fields=["status", "at"], name="consumption_status_at"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.units:+d} {self.status}"


class InspectionRun(models.Model):
    """One proactive inspection slot of an inspection entitlement, and the work order generated for it.

    Unique per (entitlement, slot), so the scheduled generation creates each work order once however
    often and on however many workers it runs (docs/catalog.md)."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="inspection_runs",
                                    verbose_name=_("entitlement"))
    slot_start = models.DateField(_("due from"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("work order"))
    outcome = models.CharField(_("outcome"), max_length=16)  # consumed, charged, pending or refused
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection run")
        verbose_name_plural = _("inspection runs")
        ordering = ["-slot_start", "-pk"]
        constraints = [models.UniqueConstraint(fields=["entitlement", "slot_start"], name="inspection_run_once")]

    def __str__(self) -> str:
        return f"{self.entitlement} · {self.slot_start}"
