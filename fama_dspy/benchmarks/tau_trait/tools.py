"""τ-trait tools as fama-dspy ``ToolSpec``s.

The name, description and parameters come from each tool's own ``get_info()`` (OpenAI function
format). Parameters go through ``tool_schemas.engine_schema`` without length bounds: type aliases
become JSON Schema types and objects that declare properties are closed, because τ-trait calls
``invoke(data, **arguments)`` and an unknown keyword fails there anyway.

``writes`` says whether a tool may change the domain's data, i.e. the database whose hash decides
the reward. τ-trait's tools carry no such flag, so it is decided per tool from its code
(``WRITE_TOOLS``): a tool writes when its ``invoke`` assigns into, appends to or removes from
``data``. This matches τ-bench's naming convention (lookups are ``get_``/``find_``/``list_``/
``search_``/``check_``, plus ``calculate``, ``think``, ``troubleshoot_device`` and the transfer
tools, which change nothing); ``manage_service`` writes although its ``list`` action only reads.
"""

from __future__ import annotations

from typing import Any

from fama_dspy.benchmarks.tau_trait.data import Domain
from fama_dspy.conversation import ToolSpec
from fama_dspy.tool_schemas import engine_schema

WRITE_TOOLS: dict[str, frozenset[str]] = {
    "telehealth": frozenset(
        {
            "schedule_appointment",
            "reschedule_appointment",
            "cancel_appointment",
            "update_prescription_supplier",
            "update_medical_record_note",
        }
    ),
    "telecom": frozenset(
        {
            "add_device",
            "create_support_ticket",
            "manage_billing",
            "manage_service",
            "modify_support_ticket",
            "record_payment",
        }
    ),
    "airline": frozenset(
        {
            "book_reservation",
            "cancel_reservation",
            "send_certificate",
            "update_reservation_baggages",
            "update_reservation_flights",
            "update_reservation_passengers",
        }
    ),
    "retail": frozenset(
        {
            "cancel_pending_order",
            "exchange_delivered_order_items",
            "modify_pending_order_address",
            "modify_pending_order_items",
            "modify_pending_order_payment",
            "modify_user_address",
            "return_delivered_order_items",
        }
    ),
}


def tool_writes(domain: str, name: str) -> bool:
    return name in WRITE_TOOLS.get(domain, frozenset())


def tool_spec(domain: str, info: dict[str, Any]) -> ToolSpec:
    """One ``ToolSpec`` from a τ-trait tool's ``get_info()``."""
    function = info["function"]
    return ToolSpec(
        name=function["name"],
        description=function.get("description") or "",
        parameters=engine_schema(function.get("parameters"), bound=False),
        writes=tool_writes(domain, function["name"]),
    )


def tool_specs(domain: Domain) -> list[ToolSpec]:
    """The agent's tools for ``domain``, in the domain's own order."""
    return [tool_spec(domain.name, tool.get_info()) for tool in domain.tools.values()]
