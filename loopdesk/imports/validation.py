"""Row-by-row validation of an import. Reads only; returns either the errors or a plan to write.

Every row is checked fully — required cells, types, referenced codes existing *and* within the importer's
scope, duplicates inside the file, custom fields — so the report lists every problem at once. Lookups
are batched (one query per few hundred codes), so ten thousand rows validate in about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from loopdesk.accounts.models import User
from loopdesk.accounts.roles import Role
from loopdesk.accounts.scope import scope_for
from loopdesk.assets.models import Asset, Product, ProductVersion
from loopdesk.core.customfields import clean_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.customers.models import Company, Contact, Site
from loopdesk.orgs.models import Organization

from .columns import COLUMNS, CUSTOM_TARGET, CellError, HeaderMap, as_text
from .reading import Sheet

LOOKUP_CHUNK = 900  # below SQLite's historical limit of 999 query parameters
PROGRESS_EVERY = 500
MAX_STORED_ERRORS = 5000


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str
    order: int = 0  # the column's position in the file, so a row's errors read left to right

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Plan:
    """What to write: rows to create and {id: changes} to apply, plus sites to create for assets."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    new_sites: set[tuple[int, str]] = field(default_factory=set)  # (company id, site name)


def _chunked(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted({v for v in values if v not in (None, "")}, key=str)
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start:start + LOOKUP_CHUNK]


class Validator:
    """Validates one sheet of one kind for one importer; `run()` returns (plan, errors)."""

    def __init__(self, kind: str, actor: User, sheet: Sheet, hmap: HeaderMap,
                 progress: Callable[[int], None] = lambda n: None) -> None:
        self.kind, self.actor, self.sheet, self.hmap, self.progress = kind, actor, sheet, hmap, progress
        self.scope = scope_for(actor)
        self.errors: list[RowError] = []
        self.columns = {c.key: c for c in COLUMNS[kind]}
        self._custom_memo: dict[tuple, tuple[dict | None, dict | None]] = {}

    # -- helpers -------------------------------------------------------------------------------------
    def error(self, row: int, key: str, value: Any, message: str) -> None:
        order = self.hmap.fields.get(key, self.hmap.custom.get(key, 10_000))
        self.errors.append(RowError(row, self.hmap.label_for(key), as_text(value, 10_000)[:200], str(message), order))

    def writable_org(self, org_id: int) -> bool:
        """Customers are written only inside the importer's own organisations (HQ: everywhere)."""
        return self.scope.all or org_id in self.scope.org_ids

    def parse_row(self, number: int, values: list[Any]) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
        """Cells → (parsed non-blank values, keys whose cell was invalid, raw custom values); errors recorded."""
        parsed: dict[str, Any] = {}
        bad: set[str] = set()
        for key, index in self.hmap.fields.items():
            cell = values[index] if index < len(values) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                # A customer's name and branch may be left blank when the row updates an existing customer.
                if self.columns[key].required and not (self.kind == "customers" and key in ("name", "org")):
                    self.error(number, key, "", _("This field is required."))
                    bad.add(key)
                continue
            try:
                parsed[key] = self.columns[key].parse(cell)
            except CellError as exc:
                self.error(number, key, cell, str(exc))
                bad.add(key)
        custom = {}
        for key, index in self.hmap.custom.items():
            cell = values[index] if index < len(values) else None
            custom[key] = "" if cell is None else (cell.strip() if isinstance(cell, str) else cell)
        return parsed, bad, custom

    def clean_custom(self, number: int, custom: dict[str, Any], *, partial: bool) -> dict[str, Any] | None:
        """Custom field values checked with the administrator's definitions (memoised: many rows repeat)."""
        target = CUSTOM_TARGET.get(self.kind)
        if target is None:
            return {}
        if partial:
            custom = {k: v for k, v in custom.items() if v not in (None, "")}
        memo_key = (partial, tuple(sorted((k, repr(v)) for k, v in custom.items())))
        if memo_key not in self._custom_memo:
            try:
                cleaned = clean_custom_fields(target, custom, partial=partial, fields=self.hmap.custom_defs)
                self._custom_memo[memo_key] = (cleaned, None)
            except ValidationFailed as exc:
                self._custom_memo[memo_key] = (None, exc.fields)
        cleaned, problems = self._custom_memo[memo_key]
        for name, messages in (problems or {}).items():
            key = name.removeprefix("custom_fields.")
            for message in messages:
                self.error(number, key, custom.get(key, ""), message)
        return cleaned

    def tick(self, done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            self.progress(done)

    def run(self) -> tuple[Plan, list[RowError]]:
        plan = getattr(self, f"_validate_{self.kind}")()
        self.progress(len(self.sheet.rows))
        self.errors.sort(key=lambda e: (e.row, e.order))
        return plan, self.errors

    def companies_by_code(self, codes: Iterable[str]) -> dict[str, Company]:
        found: dict[str, Company] = {}
        for chunk in _chunked(codes):
            found.update({c.code: c for c in Company.objects.filter(code__in=chunk).only("id", "code", "org_id")})
        return found

    def company_for(self, number: int, code: str | None, companies: dict[str, Company]) -> Company | None:
        """The referenced customer, if it exists and the importer may change it (else an error)."""
        if not code:
            return None
        company = companies.get(code)
        if company is None:
            self.error(number, "company", code, _("No customer has this code."))
            return None
        if not self.writable_org(company.org_id):
            self.error(number, "company", code, _("This customer is served by an organisation outside your scope."))
            return None
        return company

    # -- customers -----------------------------------------------------------------------------------
    def _validate_customers(self) -> Plan:
        rows = [(n, *self.parse_row(n, v)) for n, v in self.sheet.rows]
        companies = self.companies_by_code(p.get("code") for _n, p, _r, _c in rows)
        orgs: dict[str, Organization] = {}
        for chunk in _chunked(p.get("org") for _n, p, _r, _c in rows):
            orgs.update({o.code: o for o in Organization.objects.filter(code__in=chunk)})
        engineers: dict[str, User] = {}
        for chunk in _chunked(p.get("designated_engineer") for _n, p, _r, _c in rows):
            for user in User.objects.filter(username__in=chunk).prefetch_related("memberships"):
                engineers[user.username] = user
        plan, seen = Plan(), {}
        for done, (number, parsed, bad, custom) in enumerate(rows, start=1):
            code = parsed.get("code")
            existing = companies.get(code) if code else None
            if code in seen:
                self.error(number, "code", code, _("Repeats row %(row)d of this file.") % {"row": seen[code]})
            elif code:
                seen[code] = number
            if existing is not None and not self.writable_org(existing.org_id):
                self.error(number, "code", code,
                           _("This customer code belongs to a customer outside your scope."))
            if existing is None and not parsed.get("name") and "name" not in bad:
                self.error(number, "name", "", _("Required for a new customer."))
            values = {k: v for k, v in parsed.items() if k not in ("code", "org", "designated_engineer")}
            if org_code := parsed.get("org"):
                org = orgs.get(org_code)
                if org is None:
                    self.error(number, "org", org_code, _("No organisation has this code."))
                elif org.is_partner:
                    self.error(number, "org", org_code, _("A customer is served by a branch or service centre, not a partner."))
                elif not self.writable_org(org.pk):
                    self.error(number, "org", org_code, _("This organisation is outside your scope."))
                else:
                    values["org_id"] = org.pk
            elif existing is None and "org" not in bad:
                self.error(number, "org", "", _("Required for a new customer."))
            if username := parsed.get("designated_engineer"):
                user = engineers.get(username)
                staff = user is not None and user.is_active and (
                    user.is_superuser or any(m.role != Role.CUSTOMER for m in user.memberships.all()))
                if not staff:
                    self.error(number, "designated_engineer", username, _("No active staff user has this user name."))
                else:
                    values["designated_engineer_id"] = user.pk
            cleaned = self.clean_custom(number, custom, partial=existing is not None)
            if cleaned:
                values["custom_fields"] = cleaned
            if existing is not None:
                plan.updates[existing.pk] = values
            elif code:
                plan.creates.append({"code": code, "custom_fields": cleaned or {}, **values})
            self.tick(done)
        return plan

    # -- contacts ------------------------------------------------------------------------------------
    def _validate_contacts(self) -> Plan:
        rows = [(n, *self.parse_row(n, v)) for n, v in self.sheet.rows]
        companies = self.companies_by_code(p.get("company") for _n, p, _r, _c in rows)
        existing: dict[int, list[Contact]] = {}
        for chunk in _chunked(c.pk for c in companies.values()):
            for contact in Contact.objects.filter(company_id__in=chunk).only("id", "company_id", "name", "phone", "mobile"):
                existing.setdefault(contact.company_id, []).append(contact)
        plan, seen_new, seen_existing = Plan(), {}, {}
        for done, (number, parsed, _raw, _custom) in enumerate(rows, start=1):
            company = self.company_for(number, parsed.get("company"), companies)
            name = parsed.get("name")
            values = {k: v for k, v in parsed.items() if k != "company"}
            if company is None or not name:
                self.tick(done)
                continue
            match, ambiguous = self._match_contact(existing.get(company.pk, []), name,
                                                   {parsed.get("phone"), parsed.get("mobile")} - {None, ""})
            if ambiguous:
                self.error(number, "name", name, _("Several contacts of this customer match; change them by hand."))
            elif match is not None:
                if match.pk in seen_existing:
                    self.error(number, "name", name,
                               _("Repeats row %(row)d of this file.") % {"row": seen_existing[match.pk]})
                else:
                    seen_existing[match.pk] = number
                    plan.updates[match.pk] = values
            else:
                key = (company.pk, name)
                if key in seen_new:
                    self.error(number, "name", name, _("Repeats row %(row)d of this file.") % {"row": seen_new[key]})
                else:
                    seen_new[key] = number
                    plan.creates.append({"company_id": company.pk, **values})
            self.tick(done)
        return plan

    @staticmethod
    def _match_contact(contacts: list[Contact], name: str, phones: set[str]) -> tuple[Contact | None, bool]:
        """An existing contact by name, else by phone or mobile; (None, True) when several match."""
        by_name = [c for c in contacts if c.name == name]
        if not by_name and phones:
            by_name = [c for c in contacts if {c.phone, c.mobile} & phones]
        if len(by_name) > 1:
            return None, True
        return (by_name[0] if by_name else None), False

    # -- assets --------------------------------------------------------------------------------------
    def _validate_assets(self) -> Plan:
        rows = [(n, *self.parse_row(n, v)) for n, v in self.sheet.rows]
        companies = self.companies_by_code(p.get("company") for _n, p, _r, _c in rows)
        products: dict[str, Product] = {}
        for chunk in _chunked(p.get("product") for _n, p, _r, _c in rows):
            products.update({p.code: p for p in Product.objects.filter(code__in=chunk)})
        versions = {(v.product_id, v.version): v.pk
                    for v in ProductVersion.objects.filter(product__in=list(products.values()))}
        company_ids = [c.pk for c in companies.values()]
        assets: dict[tuple[int, str], list[int]] = {}
        sites: dict[tuple[int, str], list[int]] = {}
        for chunk in _chunked(company_ids):
            for pk, company_id, serial in Asset.objects.filter(company_id__in=chunk).exclude(serial="").values_list(
                "pk", "company_id", "serial"
            ):
                assets.setdefault((company_id, serial), []).append(pk)
            for pk, company_id, site_name in Site.objects.filter(company_id__in=chunk).values_list("pk", "company_id", "name"):
                sites.setdefault((company_id, site_name), []).append(pk)
        plan, seen = Plan(), {}
        for done, (number, parsed, _raw, custom) in enumerate(rows, start=1):
            company = self.company_for(number, parsed.get("company"), companies)
            values: dict[str, Any] = {k: parsed[k] for k in ("installed_on", "licences") if k in parsed}
            if product_code := parsed.get("product"):
                product = products.get(product_code)
                if product is None:
                    self.error(number, "product", product_code, _("No product has this code."))
                elif not product.active:
                    self.error(number, "product", product_code, _("This product is no longer active."))
                elif version := parsed.get("version"):
                    version_id = versions.get((product.pk, version))
                    if version_id is None:
                        self.error(number, "version", version, _("This product has no such version."))
                    else:
                        values["product_version_id"] = version_id
            serial = parsed.get("serial")
            matches = assets.get((company.pk, serial), []) if company and serial else []
            if company and serial:
                if (company.pk, serial) in seen:
                    self.error(number, "serial", serial,
                               _("Repeats row %(row)d of this file.") % {"row": seen[(company.pk, serial)]})
                seen[(company.pk, serial)] = seen.get((company.pk, serial), number)
                if len(matches) > 1:
                    self.error(number, "serial", serial,
                               _("Several assets of this customer have this serial number; change them by hand."))
            if (site_name := parsed.get("site")) and company:
                found = sites.get((company.pk, site_name), [])
                if len(found) > 1:
                    self.error(number, "site", site_name, _("Several sites of this customer have this name."))
                elif found:
                    values["site_id"] = found[0]
                else:
                    values["site_key"] = (company.pk, site_name)  # created by the writer
                    plan.new_sites.add((company.pk, site_name))
            cleaned = self.clean_custom(number, custom, partial=bool(matches))
            if cleaned:
                values["custom_fields"] = cleaned
            if company and serial and len(matches) == 1:
                plan.updates[matches[0]] = values
            elif company and serial and "product_version_id" in values:
                plan.creates.append({"company_id": company.pk, "serial": serial, "custom_fields": cleaned or {},
                                     **values})
            self.tick(done)
        return plan
