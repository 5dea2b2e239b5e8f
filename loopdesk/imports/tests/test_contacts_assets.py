"""Contact and asset imports: matching rules, references, scope, custom fields, all or nothing."""

import datetime

import pytest

from loopdesk.assets.models import Asset
from loopdesk.core.models import CustomField
from loopdesk.customers.models import Contact, Site
from loopdesk.imports.models import ImportJob

from .helpers import csv_file, errors_of, run, xlsx

CONTACT_HEADER = ["客户编码", "姓名", "职务", "电话", "手机", "邮箱", "主联系人"]
ASSET_HEADER = ["客户编码", "产品编码", "版本", "序列号", "安装日期", "站点名称", "许可数"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def contacts():
    return sorted(Contact.objects.values_list("company__code", "name", "title", "phone", "mobile", "email", "is_primary"))


def test_contacts_match_by_name_then_phone_else_are_created(world):
    job = run(world.admin, "contacts", csv_file([
        CONTACT_HEADER,
        ["C001", "王小明", "财务总监", "", "", "", "是"],                 # same name: update
        ["C002", "李雷雷", "", "", "13800138000", "", ""],                # same mobile: renamed
        ["C001", "赵六", "会计", "010-6666", "13900001111", "zhao@acme.example", "否"],  # new
    ], "gbk"))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert (job.created_count, job.updated_count) == (1, 2)
    assert contacts() == [
        ("C001", "王小明", "财务总监", "010-88886666", "", "wang@acme.example", True),
        ("C001", "赵六", "会计", "010-6666", "13900001111", "zhao@acme.example", False),
        ("C002", "李雷雷", "", "", "13800138000", "li@globex.example", False),
    ]
    new = Contact.objects.get(name="赵六")
    assert new.mobile_key == "13900001111"  # bulk writes still fill the phone search keys
    assert Contact.objects.matching("13900001111").get() == new


def test_contact_errors_and_scope(world, bj_manager):
    world.acme.contacts.create(name="王小明")  # a second 王小明 makes the name ambiguous
    before = contacts()
    job = run(bj_manager, "contacts", xlsx([
        CONTACT_HEADER,
        ["C001", "王小明", "", "", "", "", ""],
        ["C002", "李雷", "", "", "", "", ""],
        ["C999", "张三", "", "", "", "", ""],
        ["C001", "", "", "", "", "bad-mail", "也许"],
        ["C001", "新人", "", "", "", "", ""],
        ["C001", "新人", "", "", "", "", ""],
    ]))
    assert errors_of(job) == [
        (2, "姓名", "Several contacts of this customer match; change them by hand."),
        (3, "客户编码", "This customer is served by an organisation outside your scope."),
        (4, "客户编码", "No customer has this code."),
        (5, "姓名", "This field is required."),
        (5, "邮箱", "Enter a valid e-mail address."),
        (5, "主联系人", "Enter 是 or 否 (yes or no)."),
        (7, "姓名", "Repeats row 6 of this file."),
    ]
    assert contacts() == before


def test_assets_create_update_by_serial_and_create_sites(world):
    CustomField.objects.create(target="asset", key="db", label="数据库", kind="choice", choices=["SQL Server", "Oracle"])
    job = run(world.admin, "assets", xlsx([
        ASSET_HEADER + ["数据库"],
        ["C001", "U8", "13.0", "U8-0001", datetime.datetime(2023, 5, 1), "总部机房", 80, "Oracle"],  # update
        ["C001", "U8", "16.5", "U8-0100", "2024/03/15", "总部机房", "", ""],
        ["C002", "U8", "16.5", "U8-0200", "2024年3月16日", "", 5, "SQL Server"],
    ]))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert (job.created_count, job.updated_count) == (2, 1)
    site = Site.objects.get(company=world.acme, name="总部机房")  # created once, used by two rows
    old = Asset.objects.get(pk=world.acme_asset.pk)
    assert (old.product_version.version, old.installed_on, old.site, old.licences, old.custom_fields) == (
        "13.0", datetime.date(2023, 5, 1), site, 80, {"db": "Oracle"})
    new = Asset.objects.get(serial="U8-0100")
    assert (new.company, new.site, new.licences, new.installed_on) == (world.acme, site, 1, datetime.date(2024, 3, 15))
    assert Asset.objects.get(serial="U8-0200").custom_fields == {"db": "SQL Server"}


def test_asset_errors_write_nothing(world, bj_manager):
    before = (Asset.objects.count(), Site.objects.count())
    job = run(bj_manager, "assets", xlsx([
        ASSET_HEADER,
        ["C001", "U8", "16.5", "U8-0300", "2024-01-01", "新机房", 10],   # valid; must not be written
        ["C002", "U8", "16.5", "U8-0301", "", "", ""],
        ["C001", "NC", "6.5", "NC-1", "", "", ""],
        ["C001", "U8", "99", "U8-0302", "昨天", "", 0],
        ["C001", "U8", "16.5", "", "", "", ""],
        ["C001", "U8", "16.5", "U8-0300", "", "", ""],
    ]))
    assert errors_of(job) == [
        (3, "客户编码", "This customer is served by an organisation outside your scope."),
        (4, "产品编码", "No product has this code."),
        (5, "版本", "This product has no such version."),
        (5, "安装日期", "Enter a date such as 2024-03-15."),
        (5, "许可数", "Enter a whole number from 1 to 2147483647."),
        (6, "序列号", "This field is required."),
        (7, "序列号", "Repeats row 2 of this file."),
    ]
    assert (Asset.objects.count(), Site.objects.count()) == before
