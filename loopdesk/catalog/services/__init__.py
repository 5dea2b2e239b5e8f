"""Catalogue, contract and consumption services (see docs/catalog.md)."""

from .balances import Balance, balance, balances, company_balances
from .consumption import ConsumeResult, approve, consume, decide, give_back, preview, reject
from .contracts import (
    add_entitlement,
    can_approve,
    can_manage_contracts,
    create_contract,
    create_product,
    update_contract,
    update_product,
)

__all__ = [
    "Balance", "ConsumeResult", "add_entitlement", "approve", "balance", "balances", "can_approve",
    "can_manage_contracts", "company_balances", "consume", "create_contract", "create_product", "decide",
    "give_back", "preview", "reject", "update_contract", "update_product",
]
