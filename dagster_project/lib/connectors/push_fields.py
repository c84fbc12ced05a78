"""What the warehouse writes back to Salesforce: per sObject, the dbt model that holds the values
(one row per record, keyed by the record's Salesforce Id), and per column the custom field an
administrator creates for it (API name, type). The README's "Write-back" section documents each
field for a sales operations admin; ``lib/connectors/crm_push.py`` sends them through the Bulk
API 2.0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PushField:
    """A custom field: the mart column it comes from, its API name and Salesforce type
    (``number``, ``currency``, ``date``, ``datetime``, ``checkbox``, ``text``, ``picklist``,
    ``longtext``) with its length or scale, and the picklist's values."""

    column: str
    api_name: str
    kind: str
    length: int | None = None  # text: characters; number / currency: decimal places
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushObject:
    sobject: str
    model: str  # the mart (schema marts) with one row per record to update
    key: str  # its column holding the record's Salesforce Id
    fields: tuple[PushField, ...]


PUSH_OBJECTS: tuple[PushObject, ...] = (
    PushObject(
        "Account",
        "crm_account_updates",
        "account_id",
        (
            PushField("engagement_score", "RJW_Engagement_Score__c", "number", 1),
            PushField("engaged_people", "RJW_Engaged_People__c", "number", 0),
            PushField("surge_started_on", "RJW_Surge_Date__c", "date"),
            PushField("is_call_today", "RJW_Call_Today__c", "checkbox"),
            PushField("last_marketing_touch_at", "RJW_Last_Marketing_Touch__c", "datetime"),
            PushField("briefing", "RJW_Briefing__c", "longtext", 32768),
        ),
    ),
    PushObject(
        "Opportunity",
        "crm_opportunity_updates",
        "opportunity_id",
        (
            PushField("sourced_by", "RJW_Sourced_By__c", "picklist", values=("marketing", "sales")),
            PushField("sourcing_channel", "RJW_Sourcing_Channel__c", "text", 80),
            PushField("first_touch", "RJW_First_Touch__c", "text", 255),
            PushField("marketing_attributed_amount", "RJW_Attributed_Pipeline__c", "currency", 2),
            PushField("last_sales_touch_at", "RJW_Last_Sales_Touch__c", "datetime"),
            PushField("briefing", "RJW_Briefing__c", "longtext", 32768),
        ),
    ),
    PushObject(
        "Lead",
        "crm_lead_updates",
        "lead_id",
        (
            PushField("engagement_score", "RJW_Engagement_Score__c", "number", 1),
            PushField("sourcing_channel", "RJW_Sourcing_Channel__c", "text", 80),
            PushField("first_touch", "RJW_First_Touch__c", "text", 255),
            PushField(
                "nurture_reason",
                "RJW_Nurture_Reason__c",
                "picklist",
                values=("sla_missed", "disqualified_timing", "disqualified_no_response"),
            ),
            PushField("nurture_since", "RJW_Nurture_Since__c", "date"),
        ),
    ),
)
PUSH_BY_SOBJECT = {o.sobject: o for o in PUSH_OBJECTS}
