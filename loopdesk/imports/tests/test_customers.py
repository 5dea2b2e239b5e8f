"""Customer import: create and update by code, every row error reported, nothing written on error, scope."""

import pytest

from loopdesk.core.models import AuditEvent, CustomField
from loopdesk.customers.models import Company
from loopdesk.imports.models import ImportJob

from .helpers import CUSTOMER_HEADER, errors_of, run, xlsx


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def snapshot():
    return (sorted(Company.objects.values_list("code", "name", "org_id", "vip_level", "phone", "custom_fields")),
            AuditEvent.objects.filter(object_type="customers.company").count())


def test_creates_new_codes_and_updates_existing_ones(world):
    job = run(world.admin, "customers", xlsx([
        CUSTOMER_HEADER + ["备注"],
        ["C100", "杭州西湖软件有限公司", "bj", "金牌", "软件", "杭州", "0571-88886666", "engineer", "新签约"],
        ["C001", "", "", "白金", "", "", 1088886666, "", ""],  # blank cells keep what the customer has
    ]))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert (job.created_count, job.updated_count, job.processed_rows) == (1, 1, 2)
    new = Company.objects.get(code="C100")
    assert (new.vip_level, new.industry, new.notes, new.designated_engineer) == (2, "软件", "新签约", world.engineer)
    acme = Company.objects.get(code="C001")
    assert (acme.name, acme.org, acme.vip_level, acme.phone) == ("北京示例科技有限公司", world.beijing, 3, "1088886666")
    audits = AuditEvent.objects.filter(object_type="customers.company", actor=world.admin)
    assert audits.filter(action="create", object_id=str(new.pk)).exists()
    assert audits.get(action="update", object_id=str(acme.pk)).changes == {"vip_level": [0, 3], "phone": ["", "1088886666"]}


def test_every_error_is_reported_with_row_column_and_nothing_is_written(world, bj_manager):
    CustomField.objects.create(target="customer", key="erp_id", label="ERP 编号", kind="number")
    before = snapshot()
    job = run(world.admin, "customers", xlsx([
        CUSTOMER_HEADER + ["ERP 编号"],
        ["C100", "好客户", "bj", "金牌", "", "", "", "", 1],           # valid, but the file fails as a whole
        ["", "无编码", "bj", "", "", "", "", "", ""],
        ["C102", "", "bj", "", "", "", "", "", ""],
        ["C103", "x", "nowhere", "钻石", "", "", "", "nobody", "abc"],
        ["C104", "x", "p-hx", "", "", "", "", "customer", ""],
        ["C100", "又一个", "bj", "", "", "", "", "", ""],
        ["C105", "y" * 201, "", "", "", "", "", "", ""],
    ]))
    assert job.status == ImportJob.Status.FAILED
    assert errors_of(job) == [
        (3, "客户编码", "This field is required."),
        (4, "客户名称", "Required for a new customer."),
        (5, "服务分支机构编码", "No organisation has this code."),
        (5, "VIP 等级", "Enter 0–3 or 普通/银牌/金牌/白金."),
        (5, "专属工程师", "No active staff user has this user name."),
        (5, "ERP 编号", "Enter a number."),
        (6, "服务分支机构编码", "A customer is served by a branch or service centre, not a partner."),
        (6, "专属工程师", "No active staff user has this user name."),
        (7, "客户编码", "Repeats row 2 of this file."),
        (8, "客户名称", "At most 200 characters."),
        (8, "服务分支机构编码", "Required for a new customer."),
    ]
    assert job.errors[2]["value"] == "nowhere"
    assert job.error_count == 11
    assert job.message == "6 of 7 rows have errors; nothing was imported."
    assert snapshot() == before


def test_custom_fields_by_key_or_label_are_validated_and_stored(world):
    CustomField.objects.create(target="customer", key="erp_id", label="ERP 编号", kind="number")
    CustomField.objects.create(target="customer", key="tier", label="合同级别", kind="choice", choices=["A", "B"],
                               required=True)
    job = run(world.admin, "customers", xlsx([
        ["客户编码", "客户名称", "服务分支机构编码", "erp_id", "合同级别"],
        ["C100", "新客户", "bj", "42", "A"],
        ["C101", "缺级别", "bj", "", ""],
        ["C001", "", "", 7, ""],  # an update need not repeat required custom fields
    ]))
    assert errors_of(job) == [(3, "合同级别", "This field is required.")]
    job = run(world.admin, "customers", xlsx([
        ["客户编码", "客户名称", "服务分支机构编码", "erp_id", "合同级别"],
        ["C100", "新客户", "bj", "42", "A"],
        ["C001", "", "", 7, ""],
    ]))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    assert Company.objects.get(code="C100").custom_fields == {"erp_id": 42, "tier": "A"}
    assert Company.objects.get(code="C001").custom_fields == {"erp_id": 7}


def test_a_branch_manager_imports_only_within_the_branch(world, bj_manager):
    before = snapshot()
    job = run(bj_manager, "customers", xlsx([
        CUSTOMER_HEADER,
        ["C100", "海淀新客户", "bj-hd", "", "", "", "", ""],          # own subtree: fine
        ["C101", "上海新客户", "sh", "", "", "", "", ""],             # another branch
        ["C002", "改上海客户", "", "", "", "", "", ""],               # a Shanghai customer
        ["C001", "", "sh", "", "", "", "", ""],                       # moving own customer out of scope
    ]))
    assert errors_of(job) == [
        (3, "服务分支机构编码", "This organisation is outside your scope."),
        (4, "客户编码", "This customer code belongs to a customer outside your scope."),
        (5, "服务分支机构编码", "This organisation is outside your scope."),
    ]
    assert snapshot() == before
    job = run(bj_manager, "customers", xlsx([CUSTOMER_HEADER, ["C100", "海淀新客户", "bj-hd", "", "", "", "", ""]]))
    assert job.status == ImportJob.Status.SUCCEEDED


def test_thousand_rows_take_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    rows = [CUSTOMER_HEADER] + [[f"N{i:05d}", f"客户{i}", "bj", i % 4, "", "", "", ""] for i in range(1000)]
    upload = xlsx(rows)
    with django_assert_max_num_queries(80):  # batches, not rows: ~20 for validation, a few per 500 rows
        job = run(world.admin, "customers", upload)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Company.objects.filter(code__startswith="N").count() == 1000


def test_headquarters_moves_a_customer_to_another_branch(world):
    job = run(world.manager, "customers", xlsx([CUSTOMER_HEADER, ["C001", "", "sh", "", "", "", "", "sh_agent"]]))
    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    acme = Company.objects.get(code="C001")
    assert (acme.org, acme.designated_engineer) == (world.shanghai, world.sh_agent)
    assert AuditEvent.objects.get(object_id=str(acme.pk), action="update").changes == {
        "org_id": [world.beijing.pk, world.shanghai.pk], "designated_engineer_id": [None, world.sh_agent.pk]}
