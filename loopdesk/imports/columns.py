"""The columns each import kind accepts, in Chinese and English, and how a cell becomes a value.

A header matches a column by its Chinese or English name or an alias (case, spaces and a trailing "*"
ignored), or a custom field of the target by key or label. Unknown headers are an error, so a misspelt
custom field never drops data silently.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loopdesk.core.customfields import definitions
from loopdesk.core.models import CustomField


class CellError(ValueError):
    """A cell's value cannot be used; the message is shown to the user."""


def norm(header: Any) -> str:
    """Header text compared loosely: case, spaces, full-width brackets and a required marker '*' ignored."""
    text = str(header or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text).rstrip("*")


def as_text(value: Any, max_length: int = 255) -> str:
    """A cell as text. Integral floats lose their ".0" (Excel stores phone numbers as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        value = value.isoformat()
    text = str(value).strip()
    if len(text) > max_length:
        raise CellError(_("At most %(n)d characters.") % {"n": max_length})
    return text


def as_int(value: Any, *, minimum: int = 0, maximum: int = 2**31 - 1) -> int | None:
    text = as_text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise CellError(_("Enter a whole number.")) from None
    if not number.is_integer() or not minimum <= number <= maximum:
        raise CellError(_("Enter a whole number from %(min)d to %(max)d.") % {"min": minimum, "max": maximum})
    return int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def as_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = as_text(value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("Enter a date such as 2024-03-15."))


_TRUE = {"1", "true", "yes", "y", "是", "√", "✓", "x"}
_FALSE = {"0", "false", "no", "n", "否", ""}


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("Enter 是 or 否 (yes or no)."))


def as_email(value: Any) -> str:
    text = as_text(value, 254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise CellError(_("Enter a valid e-mail address.")) from None
    return text


VIP_NAMES = {
    "普通": 0, "normal": 0, "银牌": 1, "silver": 1, "金牌": 2, "gold": 2, "白金": 3, "platinum": 3,
    "普通客户": 0, "银牌客户": 1, "金牌客户": 2, "白金客户": 3,
}


def as_vip(value: Any) -> int | None:
    text = as_text(value).lower()
    if not text:
        return None
    if text in VIP_NAMES:
        return VIP_NAMES[text]
    try:
        level = as_int(text, minimum=0, maximum=3)
    except CellError:
        level = None
    if level is None:
        raise CellError(_("Enter 0–3 or 普通/银牌/金牌/白金."))
    return level


@dataclass(frozen=True)
class Column:
    """One accepted column: the model-side key, its two header names, and how to read a cell."""

    key: str
    zh: str
    en: str
    parse: Callable[[Any], Any]
    required: bool = False
    help: Any = ""  # lazy text shown in the template's instructions
    example: str = ""
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {norm(self.zh), norm(self.en), *(norm(a) for a in self.aliases)}


def _text(n: int) -> Callable[[Any], str]:
    return lambda v: as_text(v, n)


# Column help is lazy: it is rendered later, in the reader's language.
CUSTOMER_COLUMNS = [
    Column("code", "客户编码", "Customer code", _text(32), True, gettext_lazy("Unique; an existing code updates that customer."),
           "C1001", ("code",)),
    Column("name", "客户名称", "Customer name", _text(200), True, gettext_lazy("Required for a new customer."), "北京示例科技有限公司",
           ("name", "公司名称")),
    Column("org", "服务分支机构编码", "Branch code", _text(32), True, gettext_lazy("Code of the serving branch or service centre."),
           "bj", ("org code", "org", "分支机构编码", "服务机构编码")),
    Column("vip_level", "VIP 等级", "VIP level", as_vip, False, gettext_lazy("0–3 or 普通/银牌/金牌/白金."), "金牌",
           ("vip", "vip等级")),
    Column("industry", "行业", "Industry", _text(64), example="制造业"),
    Column("region", "地区", "Region", _text(64), example="北京"),
    Column("phone", "电话", "Phone", _text(32), example="010-88886666"),
    Column("designated_engineer", "专属工程师", "Designated engineer", _text(150),
           help=gettext_lazy("User name of the engineer."), example="engineer"),
    Column("notes", "备注", "Notes", _text(5000)),
]
CONTACT_COLUMNS = [
    Column("company", "客户编码", "Customer code", _text(32), True, gettext_lazy("Code of an existing customer."), "C1001",
           ("code",)),
    Column("name", "姓名", "Name", _text(64), True, gettext_lazy("Matched with the customer's contacts by name, then by phone."),
           "王小明"),
    Column("title", "职务", "Job title", _text(64), example="财务经理", aliases=("title",)),
    Column("phone", "电话", "Phone", _text(32), example="010-88886666"),
    Column("mobile", "手机", "Mobile", _text(32), example="13800138000"),
    Column("email", "邮箱", "E-mail", as_email, example="wang@example.com", aliases=("email", "电子邮箱", "邮件")),
    Column("is_primary", "主联系人", "Primary contact", as_bool, help=gettext_lazy("是 or 否."), example="是",
           aliases=("primary", "是否主联系人")),
]
ASSET_COLUMNS = [
    Column("company", "客户编码", "Customer code", _text(32), True, gettext_lazy("Code of an existing customer."), "C1001",
           ("code",)),
    Column("product", "产品编码", "Product code", _text(32), True, gettext_lazy("Code of an existing product."), "U8",
           ("product",)),
    Column("version", "版本", "Version", _text(32), True, gettext_lazy("An existing version of that product."), "16.5"),
    Column("serial", "序列号", "Serial number", _text(64), True,
           gettext_lazy("Matched with the customer's assets; an existing serial updates that asset."), "U8-2024-0001",
           ("serial", "序列号/许可号", "licence number")),
    Column("installed_on", "安装日期", "Installed on", as_date, help=gettext_lazy("A date such as 2024-03-15."),
           example="2024-03-15", aliases=("install date",)),
    Column("site", "站点名称", "Site name", _text(128), help=gettext_lazy("A site of the customer; created when new."),
           example="总部机房", aliases=("site",)),
    Column("licences", "许可数", "Licences", lambda v: as_int(v, minimum=1), help=gettext_lazy("A whole number, at least 1."),
           example="50", aliases=("licenses",)),
]

COLUMNS = {"customers": CUSTOMER_COLUMNS, "contacts": CONTACT_COLUMNS, "assets": ASSET_COLUMNS}
CUSTOM_TARGET = {"customers": CustomField.Target.CUSTOMER, "assets": CustomField.Target.ASSET}


@dataclass
class HeaderMap:
    """Which file column feeds which field; `labels` keeps the header as the user wrote it."""

    fields: dict[str, int] = field(default_factory=dict)  # column key → index
    custom: dict[str, int] = field(default_factory=dict)  # custom field key → index
    labels: dict[int, str] = field(default_factory=dict)  # index → header text
    custom_defs: list[CustomField] = field(default_factory=list)

    def label_for(self, key: str) -> str:
        index = self.fields.get(key, self.custom.get(key))
        return self.labels.get(index, key) if index is not None else key


def custom_definitions(kind: str) -> list[CustomField]:
    target = CUSTOM_TARGET.get(kind)
    return definitions(target) if target else []


def map_headers(kind: str, header: list[Any]) -> tuple[HeaderMap, list[str]]:
    """Match the header row; return the map and the problems (unknown, repeated or missing columns)."""
    columns = COLUMNS[kind]
    defs = custom_definitions(kind)
    by_name = {name: ("field", c.key) for c in columns for name in c.names()}
    for d in defs:
        by_name.setdefault(norm(d.key), ("custom", d.key))
        by_name.setdefault(norm(d.label), ("custom", d.key))
    hmap = HeaderMap(custom_defs=defs)
    problems: list[str] = []
    for index, raw in enumerate(header):
        text = as_text(raw, 10_000)
        if not text:
            continue
        hmap.labels[index] = text
        match = by_name.get(norm(text))
        if match is None:
            problems.append(_("Unknown column “%(col)s”.") % {"col": text})
            continue
        target = hmap.fields if match[0] == "field" else hmap.custom
        if match[1] in target:
            problems.append(_("Column “%(col)s” appears twice.") % {"col": text})
            continue
        target[match[1]] = index
    for column in columns:
        if column.required and column.key not in hmap.fields:
            problems.append(_("Required column “%(zh)s” (%(en)s) is missing.") % {"zh": column.zh, "en": column.en})
    return hmap, problems
