import pytest

from loopdesk.core.customfields import clean_custom_fields
from loopdesk.core.errors import ValidationFailed
from loopdesk.core.models import CustomField


@pytest.fixture
def fields(db):
    T, K = CustomField.Target, CustomField.Kind
    CustomField.objects.create(target=T.TICKET, key="erp_module", label="ERP 模块", kind=K.CHOICE,
                               choices=["总账", "应收", "存货"], required=True)
    CustomField.objects.create(target=T.TICKET, ticket_type="work_order", key="visit_date", label="上门日期",
                               kind=K.DATE)
    CustomField.objects.create(target=T.CUSTOMER, key="employees", label="员工数", kind=K.NUMBER)
    CustomField.objects.create(target=T.ASSET, key="cloud", label="云部署", kind=K.BOOLEAN)


def test_values_are_converted(fields):
    assert clean_custom_fields("ticket", {"erp_module": "总账"}) == {"erp_module": "总账"}
    assert clean_custom_fields("ticket", {"erp_module": "应收", "visit_date": "2026-02-17"},
                               ticket_type="work_order") == {"erp_module": "应收", "visit_date": "2026-02-17"}
    assert clean_custom_fields("customer", {"employees": "1200"}) == {"employees": 1200}
    assert clean_custom_fields("customer", {"employees": 12.5}) == {"employees": 12.5}
    assert clean_custom_fields("asset", {"cloud": "是"}) == {"cloud": True}


@pytest.mark.parametrize(
    ("target", "values", "ticket_type", "bad"),
    [
        ("ticket", {}, "", "custom_fields.erp_module"),  # required
        ("ticket", {"erp_module": "人力"}, "", "custom_fields.erp_module"),  # not a choice
        ("ticket", {"erp_module": "总账", "visit_date": "2026-02-30"}, "work_order", "custom_fields.visit_date"),
        ("ticket", {"erp_module": "总账", "visit_date": "2026-02-17"}, "incident", "custom_fields.visit_date"),
        ("customer", {"employees": "many"}, "", "custom_fields.employees"),
        ("customer", {"employees": True}, "", "custom_fields.employees"),
        ("customer", {"employees": "NaN"}, "", "custom_fields.employees"),
        ("asset", {"cloud": "maybe"}, "", "custom_fields.cloud"),
        ("asset", {"unknown": 1}, "", "custom_fields.unknown"),
    ],
)
def test_bad_values_name_the_field(fields, target, values, ticket_type, bad):
    with pytest.raises(ValidationFailed) as err:
        clean_custom_fields(target, values, ticket_type=ticket_type)
    assert bad in err.value.fields


def test_partial_update_skips_required(fields):
    assert clean_custom_fields("ticket", {}, partial=True) == {}


def test_an_edit_sets_clears_and_keeps(fields):
    from loopdesk.core.customfields import merge_custom_fields

    current = {"employees": 120, "legacy": "x"}
    assert merge_custom_fields("customer", current, {"employees": None}) == {"legacy": "x"}
    assert merge_custom_fields("customer", current, {"employees": "200"}) == {"employees": 200, "legacy": "x"}
    assert merge_custom_fields("customer", current, {}) == current
    assert merge_custom_fields("asset", {"cloud": True}, {"cloud": False}) == {"cloud": False}


def test_an_edit_may_not_clear_a_required_value_or_name_unknown_fields(fields):
    from loopdesk.core.customfields import merge_custom_fields

    with pytest.raises(ValidationFailed) as err:
        merge_custom_fields("ticket", {"erp_module": "总账"}, {"erp_module": ""}, ticket_type="incident")
    assert "custom_fields.erp_module" in err.value.fields
    # clearing a required field that was never set is no change, not an error
    assert merge_custom_fields("ticket", {}, {"erp_module": None}, ticket_type="incident") == {}
    with pytest.raises(ValidationFailed) as err:
        merge_custom_fields("customer", {}, {"nope": None, "employees": "many"})
    assert set(err.value.fields) == {"custom_fields.nope", "custom_fields.employees"}


def test_agent_clears_a_ticket_custom_field_in_the_edit_form(world, client):
    from django.urls import reverse

    from loopdesk.tickets import services

    CustomField.objects.create(target="ticket", key="erp_version", label="ERP 版本", kind="text")
    ticket = services.create_ticket(actor=world.agent, company=world.acme, title="t", description="d",
                                    custom_fields={"erp_version": "U8 13.0"})
    assert client.login(username="agent", password=world.password)
    data = {"title": "t", "description": "d", "type": ticket.type, "impact": 2, "urgency": 2, "channel": ticket.channel,
            "cf_erp_version": ""}
    response = client.post(reverse("tickets:edit", args=[ticket.pk]), data)
    assert response.status_code in (200, 302)
    ticket.refresh_from_db()
    assert ticket.custom_fields == {}
