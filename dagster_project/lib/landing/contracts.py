"""Landing contracts: the single definition of every source object the warehouse accepts.

A contract says where an object's files land (``data/landing/<system>/<object>/``), their format,
the columns with their DuckDB types, which columns a file must carry, the values a column may hold,
the primary key and the field that orders versions of a record. The loader, the Dagster assets,
the quality suites, the dbt sources and the sample-data generator all read these contracts, so a
column (or an accepted value) is added in exactly one place.

Raw tables keep the source's own column names (Salesforce API names, Google Ads / Meta / LinkedIn
report fields, Stripe object fields); renaming happens in dbt staging. Every raw table also carries
the lineage columns in ``LINEAGE_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["csv", "ndjson"]

RAW_SCHEMAS = {"crm": "raw_crm", "ads": "raw_ads", "billing": "raw_billing"}
META_SCHEMA = "raw_meta"

# Added by the loader to every raw row; a non-file connector fills them the same way
# (``_source_uri`` is then e.g. an API URL, ``_source_line`` the record's position in the page).
LINEAGE_COLUMNS: dict[str, str] = {
    "_extra": "JSON",  # columns/keys the contract does not know, never silently dropped
    "_source_uri": "VARCHAR",
    "_source_line": "BIGINT",
    "_load_id": "BIGINT",
    # export order of the source: the export time in its file name (epoch seconds) where the
    # name carries one, else the load id of its first load (kept when a changed file is
    # reloaded), so "the latest export wins" never favours an old export that arrives late
    "_source_seq": "BIGINT",
    "_loaded_at": "TIMESTAMPTZ",
}


INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "INT",
    "BIGINT",
    "HUGEINT",
    "UBIGINT",
    "UINTEGER",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = True  # a file without this column fails the load
    # the values the column may hold (None: not a closed set): the quality suites'
    # expect_column_values_to_be_in_set and the dbt tests of the staged column read them from here
    values: tuple[Any, ...] | None = None
    # NDJSON only: JSON paths tried in order after the top-level key when it is absent or null
    # (an API version that moved the field), e.g. ("$.items.data[0].current_period_start",)
    paths: tuple[str, ...] = ()
    # NDJSON only: a reference the API may expand into the referenced object (Stripe's
    # `expand[]`): an object value loads as its "id"
    expandable: bool = False

    @property
    def is_integer(self) -> bool:
        """Integer columns take whole numbers only: a fraction is rejected, never rounded."""
        return self.type.split("(")[0].strip().upper() in INTEGER_TYPES


@dataclass(frozen=True)
class RowCheck:
    """A rule every row of a contract must meet at load; a row that breaks it is rejected.

    ``condition`` is DuckDB SQL over the typed contract columns (NULL counts as met: not-null
    rules belong to the quality suites); ``reason`` is a SQL expression for the reject reason.
    """

    column: str
    condition: str
    reason: str


@dataclass(frozen=True)
class Contract:
    system: str
    object: str
    format: Format
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    updated_at: str | None  # orders versions of a record; None: the latest export wins
    extensions: tuple[str, ...] = field(default=(".csv",))
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def accepted_extensions(self) -> tuple[str, ...]:
        """File name endings the loader reads: the contract's, plain or gzip-compressed."""
        return (*self.extensions, *(f"{e}.gz" for e in self.extensions))

    @property
    def schema(self) -> str:
        return RAW_SCHEMAS[self.system]

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.object}"

    @property
    def folder(self) -> str:
        """Landing folder relative to the landing root."""
        return f"{self.system}/{self.object}"

    @property
    def asset_path(self) -> list[str]:
        return ["raw", self.system, self.object]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name.lower() == name.lower():
                return c
        raise KeyError(name)


def _cols(*specs: tuple | Column) -> tuple[Column, ...]:
    """Build columns from ``(name, type, description[, required])`` tuples (or ``Column``s, for
    a column with a value set)."""
    return tuple(s if isinstance(s, Column) else Column(*s) for s in specs)


def _csv(system: str, obj: str, description: str, columns, pk, updated_at) -> Contract:
    return Contract(system, obj, "csv", description, _cols(*columns), tuple(pk), updated_at)


def _ndjson(
    system: str, obj: str, description: str, columns, pk, updated_at, row_checks=()
) -> Contract:
    return Contract(
        system,
        obj,
        "ndjson",
        description,
        _cols(*columns),
        tuple(pk),
        updated_at,
        extensions=(".json", ".jsonl", ".ndjson"),
        row_checks=tuple(row_checks),
    )


TS = "TIMESTAMPTZ"
ID = ("Id", "VARCHAR", "Salesforce record id (18 characters).")
CREATED = ("CreatedDate", TS, "When the record was created (ISO-8601 with UTC offset).")
MODIFIED = ("LastModifiedDate", TS, "When the record was last changed; orders versions.")
DELETED = ("IsDeleted", "BOOLEAN", "Soft-deleted in Salesforce.", False)
UTM = (
    ("UTM_Source__c", "VARCHAR", "utm_source captured on the form.", False),
    ("UTM_Medium__c", "VARCHAR", "utm_medium captured on the form.", False),
    ("UTM_Campaign__c", "VARCHAR", "utm_campaign captured on the form.", False),
    ("UTM_Content__c", "VARCHAR", "utm_content captured on the form.", False),
    ("UTM_Term__c", "VARCHAR", "utm_term captured on the form.", False),
    ("Click_Id__c", "VARCHAR", "Ad click id captured on the form (gclid/fbclid/li_fat_id).", False),
)

# ------------------------------------------------------------------------------------ value sets
# The one list of the values a column may hold. The quality suites (accepted_values) take them from
# the contract column, and so do the dbt tests of the staged columns (through the generated dbt
# sources, column meta `accepted_values`): a new stage or status is added here only.
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "KWD")  # those dbt/seeds/exchange_rates.csv has rates for
STRIPE_CURRENCIES = tuple(c.lower() for c in CURRENCIES)  # Stripe writes them lower-case
USER_ROLES = ("Account Executive", "SDR", "Marketing", "Sales Manager")
ACCOUNT_TYPES = ("Prospect", "Customer", "Partner")
LEAD_SOURCES = (
    "Content",
    "Display",
    "Email",
    "Organic Search",
    "Outbound",
    "Paid Search",
    "Paid Social",
    "Partner Referral",
    "Trade Show",
    "Web",
    "Webinar",
)
LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Nurturing",
    "Qualified",
    "Unqualified",
)
DISQUALIFICATION_REASONS = (
    "Competitor",
    "No Budget",
    "No Response",
    "Not a Fit",
    "Spam",
    "Student / Job Seeker",
    "Timing",
)
CAMPAIGN_TYPES = ("Advertisement", "Email", "Webinar", "Trade Show", "Content", "Referral Program")
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed", "Aborted")
CAMPAIGN_MEMBER_STATUSES = (
    "Sent",
    "Opened",
    "Clicked",
    "Responded",
    "Registered",
    "Attended",
    "No Show",
)
FORM_NAMES = (
    "Contact Us",
    "Content Download",
    "Demo Request",
    "Event Registration",
    "Webinar Registration",
)
EMAIL_EVENT_TYPES = ("sent", "delivered", "open", "click", "bounce", "unsubscribe")
TASK_TYPES = ("Call", "Email", "Meeting")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
OPPORTUNITY_TYPES = ("New Business", "Expansion", "Renewal")
LOSS_REASONS = ("Competitor", "No Decision", "Price", "Product Fit", "Timing")
CONTACT_ROLES = (
    "Business User",
    "Champion",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)
GOOGLE_ADS_CAMPAIGN_STATUSES = ("ENABLED", "PAUSED", "REMOVED")
GOOGLE_ADS_CHANNEL_TYPES = (
    "SEARCH",
    "DISPLAY",
    "SHOPPING",
    "HOTEL",
    "VIDEO",
    "MULTI_CHANNEL",
    "LOCAL",
    "SMART",
    "PERFORMANCE_MAX",
    "LOCAL_SERVICES",
    "TRAVEL",
    "DEMAND_GEN",
)
META_CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "DELETED", "ARCHIVED")
META_OBJECTIVES = (
    "OUTCOME_APP_PROMOTION",
    "OUTCOME_AWARENESS",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_SALES",
    "OUTCOME_TRAFFIC",
)
LINKEDIN_CAMPAIGN_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "COMPLETED",
    "CANCELED",
    "DRAFT",
    "PENDING_DELETION",
    "REMOVED",
)
LINKEDIN_CAMPAIGN_TYPES = ("TEXT_AD", "SPONSORED_UPDATES", "SPONSORED_INMAILS", "DYNAMIC")
LINKEDIN_COST_TYPES = ("CPM", "CPC", "CPV")
STRIPE_SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)
STRIPE_INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
STRIPE_CHARGE_STATUSES = ("succeeded", "pending", "failed")
STRIPE_REFUND_STATUSES = ("pending", "requires_action", "succeeded", "failed", "canceled")
STRIPE_REFUND_REASONS = (
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "expired_uncaptured_charge",
)


def _stripe_object(name: str) -> Column:
    return Column("object", "VARCHAR", f"Always '{name}'.", values=(name,))


def _stripe_ref(name: str, description: str, required: bool = True) -> Column:
    """An expandable Stripe reference: the id, or the whole object when the export expanded it
    (``expand[]=data.customer``), which loads as its ``id``."""
    return Column(name, "VARCHAR", description, required, expandable=True)


# ---------------------------------------------------------------- CRM (Salesforce-like CSV exports)
CRM = [
    _csv(
        "crm",
        "users",
        "Salesforce User: sales reps, SDRs, marketers.",
        [
            ID,
            ("Name", "VARCHAR", "Full name."),
            ("Email", "VARCHAR", "Work email."),
            ("Title", "VARCHAR", "Job title.", False),
            Column("UserRole", "VARCHAR", "Role.", values=USER_ROLES),
            ("IsActive", "BOOLEAN", "Active user."),
            CREATED,
            MODIFIED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "accounts",
        "Salesforce Account: companies.",
        [
            ID,
            ("Name", "VARCHAR", "Company name."),
            ("Website", "VARCHAR", "Company website.", False),
            ("Industry", "VARCHAR", "Industry.", False),
            ("NumberOfEmployees", "INTEGER", "Employee count.", False),
            ("BillingCountry", "VARCHAR", "Billing country.", False),
            Column(
                "CurrencyIsoCode",
                "VARCHAR",
                "Account currency (multi-currency org).",
                values=CURRENCIES,
            ),
            Column("Type", "VARCHAR", "Account type.", False, ACCOUNT_TYPES),
            ("OwnerId", "VARCHAR", "Owning user (account executive)."),
            CREATED,
            MODIFIED,
            DELETED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "contacts",
        "Salesforce Contact: people at accounts (converted leads or created by sales).",
        [
            ID,
            ("AccountId", "VARCHAR", "Account of the contact."),
            ("FirstName", "VARCHAR", "First name.", False),
            ("LastName", "VARCHAR", "Last name."),
            ("Email", "VARCHAR", "Email as typed (not normalised).", False),
            ("Title", "VARCHAR", "Job title.", False),
            Column(
                "LeadSource",
                "VARCHAR",
                "Lead source carried over from the lead.",
                False,
                LEAD_SOURCES,
            ),
            ("OwnerId", "VARCHAR", "Owning user."),
            CREATED,
            MODIFIED,
            DELETED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "leads",
        "Salesforce Lead with marketing-automation fields (UTM, click id, lifecycle dates).",
        [
            ID,
            ("FirstName", "VARCHAR", "First name.", False),
            ("LastName", "VARCHAR", "Last name."),
            ("Email", "VARCHAR", "Email as typed on the form (not normalised).", False),
            ("Company", "VARCHAR", "Company typed on the form."),
            ("Title", "VARCHAR", "Job title.", False),
            ("Phone", "VARCHAR", "Phone.", False),
            Column("Status", "VARCHAR", "Lead status (lifecycle).", values=LEAD_STATUSES),
            Column(
                "Disqualification_Reason__c",
                "VARCHAR",
                "Why sales disqualified the lead.",
                False,
                DISQUALIFICATION_REASONS,
            ),
            Column("LeadSource", "VARCHAR", "Lead source picklist.", False, LEAD_SOURCES),
            *UTM,
            ("OwnerId", "VARCHAR", "Owning user (SDR)."),
            ("MQL_Date__c", TS, "When the lead became marketing-qualified.", False),
            ("SAL_Date__c", TS, "When sales accepted the lead.", False),
            ("SQL_Date__c", TS, "When sales qualified the lead.", False),
            ("IsConverted", "BOOLEAN", "Converted to contact/account/opportunity."),
            ("ConvertedDate", "DATE", "Conversion date.", False),
            ("ConvertedContactId", "VARCHAR", "Contact created or matched at conversion.", False),
            ("ConvertedAccountId", "VARCHAR", "Account at conversion.", False),
            ("ConvertedOpportunityId", "VARCHAR", "Opportunity created at conversion.", False),
            CREATED,
            MODIFIED,
            DELETED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "campaigns",
        "Salesforce Campaign: ads, emails, webinars, events, content.",
        [
            ID,
            ("Name", "VARCHAR", "Campaign name."),
            Column("Type", "VARCHAR", "Campaign type.", values=CAMPAIGN_TYPES),
            ("Channel__c", "VARCHAR", "Channel as marketing labels it.", False),
            (
                "UTM_Campaign__c",
                "VARCHAR",
                "utm_campaign value used by the campaign's links.",
                False,
            ),
            Column("Status", "VARCHAR", "Campaign status.", values=CAMPAIGN_STATUSES),
            ("StartDate", "DATE", "Start date.", False),
            ("EndDate", "DATE", "End date.", False),
            ("ActualCost", "DECIMAL(18,2)", "Cost booked in the CRM (non-ad costs).", False),
            Column("CurrencyIsoCode", "VARCHAR", "Currency of ActualCost.", values=CURRENCIES),
            ("ParentId", "VARCHAR", "Parent campaign.", False),
            CREATED,
            MODIFIED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "campaign_members",
        "Salesforce CampaignMember: a lead or contact in a campaign with its response status.",
        [
            ID,
            ("CampaignId", "VARCHAR", "Campaign."),
            ("LeadId", "VARCHAR", "Lead member.", False),
            ("ContactId", "VARCHAR", "Contact member.", False),
            Column(
                "Status", "VARCHAR", "Member status (response).", values=CAMPAIGN_MEMBER_STATUSES
            ),
            ("HasResponded", "BOOLEAN", "Member responded."),
            ("FirstRespondedDate", "DATE", "Date of the first response.", False),
            CREATED,
            MODIFIED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "form_submissions",
        "Marketing-automation form submissions (web forms, registrations, content downloads).",
        [
            ("submission_id", "VARCHAR", "Form submission id."),
            Column("form_name", "VARCHAR", "Form filled in.", values=FORM_NAMES),
            ("page_url", "VARCHAR", "Page URL with its query string (UTM parameters, click ids)."),
            ("referrer_url", "VARCHAR", "HTTP referrer.", False),
            ("email", "VARCHAR", "Email as typed."),
            ("first_name", "VARCHAR", "First name.", False),
            ("last_name", "VARCHAR", "Last name.", False),
            ("company", "VARCHAR", "Company as typed.", False),
            ("visitor_id", "VARCHAR", "Anonymous visitor (cookie) id.", False),
            ("click_id", "VARCHAR", "Click id from the landing URL or the cookie.", False),
            ("lead_id", "VARCHAR", "Lead the submission created or updated.", False),
            ("submitted_at", TS, "Submission time (ISO-8601, visitor's UTC offset)."),
        ],
        ["submission_id"],
        None,
    ),
    _csv(
        "crm",
        "email_events",
        "Marketing email activity: sent, delivered, open, click, bounce, unsubscribe.",
        [
            ("event_id", "VARCHAR", "Event id."),
            ("email_campaign_id", "VARCHAR", "CRM campaign of the email send."),
            ("recipient_id", "VARCHAR", "Lead or contact id of the recipient.", False),
            ("email", "VARCHAR", "Recipient email as stored by the email tool."),
            Column("event_type", "VARCHAR", "Email event.", values=EMAIL_EVENT_TYPES),
            ("link_url", "VARCHAR", "Clicked link with UTM parameters (click events).", False),
            ("occurred_at", TS, "Event time."),
        ],
        ["event_id"],
        None,
    ),
    _csv(
        "crm",
        "tasks",
        "Salesforce Task/Event: sales activities (calls, emails, meetings).",
        [
            ID,
            ("WhoId", "VARCHAR", "Lead or contact the activity was with.", False),
            ("WhatId", "VARCHAR", "Account or opportunity the activity was about.", False),
            ("OwnerId", "VARCHAR", "User who did the activity."),
            Column("Type", "VARCHAR", "Activity type.", values=TASK_TYPES),
            ("Subject", "VARCHAR", "Subject line.", False),
            Column("Status", "VARCHAR", "Activity status.", values=TASK_STATUSES),
            ("CallDurationInSeconds", "INTEGER", "Call length.", False),
            ("ActivityDate", "DATE", "Due / activity date.", False),
            ("CompletedDateTime", TS, "When the activity happened.", False),
            CREATED,
            MODIFIED,
            DELETED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "opportunities",
        "Salesforce Opportunity: deals.",
        [
            ID,
            ("AccountId", "VARCHAR", "Account."),
            ("Name", "VARCHAR", "Opportunity name."),
            Column("StageName", "VARCHAR", "Sales stage.", values=OPPORTUNITY_STAGES),
            ("Amount", "DECIMAL(18,2)", "Annual contract value.", False),
            Column("CurrencyIsoCode", "VARCHAR", "Currency of Amount.", values=CURRENCIES),
            ("Probability", "INTEGER", "Stage probability in percent.", False),
            ("CloseDate", "DATE", "Expected or actual close date."),
            ("IsClosed", "BOOLEAN", "Closed."),
            ("IsWon", "BOOLEAN", "Won."),
            Column("Loss_Reason__c", "VARCHAR", "Why the deal was lost.", False, LOSS_REASONS),
            Column("Type", "VARCHAR", "Opportunity type.", False, OPPORTUNITY_TYPES),
            Column("LeadSource", "VARCHAR", "Lead source.", False, LEAD_SOURCES),
            ("CampaignId", "VARCHAR", "Primary campaign source.", False),
            ("OwnerId", "VARCHAR", "Owning user (account executive)."),
            CREATED,
            MODIFIED,
            DELETED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
    _csv(
        "crm",
        "opportunity_history",
        "Salesforce OpportunityHistory: one row per stage change.",
        [
            ID,
            ("OpportunityId", "VARCHAR", "Opportunity."),
            Column("StageName", "VARCHAR", "Stage entered.", values=OPPORTUNITY_STAGES),
            ("Amount", "DECIMAL(18,2)", "Amount at the change.", False),
            ("Probability", "INTEGER", "Probability at the change.", False),
            ("CloseDate", "DATE", "Close date at the change.", False),
            ("CreatedById", "VARCHAR", "User who made the change.", False),
            CREATED,
        ],
        ["Id"],
        None,
    ),
    _csv(
        "crm",
        "opportunity_contact_roles",
        "Salesforce OpportunityContactRole: contacts on a deal and their role.",
        [
            ID,
            ("OpportunityId", "VARCHAR", "Opportunity."),
            ("ContactId", "VARCHAR", "Contact."),
            Column("Role", "VARCHAR", "The contact's role on the deal.", False, CONTACT_ROLES),
            ("IsPrimary", "BOOLEAN", "Primary contact."),
            CREATED,
            MODIFIED,
        ],
        ["Id"],
        "LastModifiedDate",
    ),
]

# ------------------------------------------------------------------------------ ads platforms
ADS = [
    _csv(
        "ads",
        "google_ads_campaigns",
        "Google Ads campaigns (GAQL report fields, flattened).",
        [
            ("campaign_id", "BIGINT", "Campaign id."),
            ("campaign_name", "VARCHAR", "Campaign name."),
            Column(
                "campaign_status",
                "VARCHAR",
                "Campaign status.",
                values=GOOGLE_ADS_CAMPAIGN_STATUSES,
            ),
            Column(
                "advertising_channel_type",
                "VARCHAR",
                "Advertising channel type.",
                values=GOOGLE_ADS_CHANNEL_TYPES,
            ),
            ("start_date", "DATE", "Start date."),
            ("end_date", "DATE", "End date.", False),
            ("final_url_suffix", "VARCHAR", "URL suffix with the UTM tags.", False),
            Column("customer_currency_code", "VARCHAR", "Account currency.", values=CURRENCIES),
        ],
        ["campaign_id"],
        None,
    ),
    _csv(
        "ads",
        "google_ads_campaign_stats",
        "Google Ads daily performance per campaign.",
        [
            ("segments_date", "DATE", "Day."),
            ("campaign_id", "BIGINT", "Campaign id."),
            ("metrics_impressions", "BIGINT", "Impressions."),
            ("metrics_clicks", "BIGINT", "Clicks."),
            ("metrics_cost_micros", "BIGINT", "Cost in micros of the account currency."),
            Column("customer_currency_code", "VARCHAR", "Account currency.", values=CURRENCIES),
        ],
        ["segments_date", "campaign_id"],
        None,
    ),
    _csv(
        "ads",
        "google_ads_clicks",
        "Google Ads click_view: one row per click with its gclid.",
        [
            ("click_view_gclid", "VARCHAR", "Google click id."),
            ("segments_date", "DATE", "Day of the click."),
            ("click_time", TS, "Click time."),
            ("campaign_id", "BIGINT", "Campaign id."),
            ("ad_group_id", "BIGINT", "Ad group id.", False),
            ("keyword_text", "VARCHAR", "Matched keyword (search).", False),
            ("landing_page_url", "VARCHAR", "Final URL with UTM tags and gclid."),
        ],
        ["click_view_gclid"],
        None,
    ),
    _ndjson(
        "ads",
        "meta_ads_campaigns",
        "Meta (Facebook/Instagram) campaigns as the Graph API returns them.",
        [
            ("id", "VARCHAR", "Campaign id."),
            ("name", "VARCHAR", "Campaign name."),
            Column("objective", "VARCHAR", "Campaign objective.", values=META_OBJECTIVES),
            Column("status", "VARCHAR", "Campaign status.", values=META_CAMPAIGN_STATUSES),
            ("start_time", TS, "Start time."),
            ("stop_time", TS, "Stop time.", False),
            ("url_tags", "VARCHAR", "URL tags (UTM) appended to ad links.", False),
            Column("account_currency", "VARCHAR", "Ad account currency.", values=CURRENCIES),
            ("updated_time", TS, "Last update."),
        ],
        ["id"],
        "updated_time",
    ),
    _ndjson(
        "ads",
        "meta_ads_insights",
        "Meta daily campaign insights (Graph API returns numbers as strings).",
        [
            ("campaign_id", "VARCHAR", "Campaign id."),
            ("campaign_name", "VARCHAR", "Campaign name.", False),
            ("date_start", "DATE", "Day."),
            ("date_stop", "DATE", "Day (same as date_start for daily breakdowns)."),
            ("impressions", "BIGINT", "Impressions."),
            ("clicks", "BIGINT", "Link clicks."),
            ("spend", "DECIMAL(18,2)", "Spend in the account currency."),
            Column("account_currency", "VARCHAR", "Ad account currency.", values=CURRENCIES),
        ],
        ["campaign_id", "date_start"],
        None,
        row_checks=(
            # Without time_increment=1 the Insights API (Graph API v2x) returns one row for the
            # whole range (date_start..date_stop): loading it as the first day would put the
            # range's spend on one day, so such rows are rejected, never split.
            RowCheck(
                "date_stop",
                '"date_start" = "date_stop"',
                "'the row covers ' || \"date_start\" || ' to ' || \"date_stop\" || ', not one day:"
                " export insights with time_increment=1 (one row per day)'",
            ),
        ),
    ),
    _ndjson(
        "ads",
        "meta_ads_clicks",
        "Meta click records with the fbclid appended to the landing URL.",
        [
            ("fbclid", "VARCHAR", "Facebook click id."),
            ("campaign_id", "VARCHAR", "Campaign id."),
            ("adset_id", "VARCHAR", "Ad set id.", False),
            ("click_time", TS, "Click time."),
            ("landing_page_url", "VARCHAR", "Landing URL with UTM tags and fbclid."),
        ],
        ["fbclid"],
        None,
    ),
    _ndjson(
        "ads",
        "linkedin_ads_campaigns",
        "LinkedIn Marketing API adCampaigns.",
        [
            ("id", "BIGINT", "Campaign id."),
            ("name", "VARCHAR", "Campaign name."),
            Column("status", "VARCHAR", "Campaign status.", values=LINKEDIN_CAMPAIGN_STATUSES),
            Column("type", "VARCHAR", "Campaign type.", values=LINKEDIN_CAMPAIGN_TYPES),
            Column("costType", "VARCHAR", "Cost type.", values=LINKEDIN_COST_TYPES),
            ("account", "VARCHAR", "Sponsored account URN."),
            ("runSchedule", "JSON", "{start, end} in epoch milliseconds."),
            ("utm_campaign", "VARCHAR", "utm_campaign the campaign's links carry.", False),
            Column("currency", "VARCHAR", "Account currency.", values=CURRENCIES),
            ("lastModified", "BIGINT", "Last modification, epoch milliseconds."),
        ],
        ["id"],
        "lastModified",
    ),
    _ndjson(
        "ads",
        "linkedin_ads_analytics",
        "LinkedIn adAnalytics, daily per campaign.",
        [
            ("pivotValues", "JSON", "[campaign URN]."),
            ("dateRange", "JSON", "{start: {year, month, day}, end: {...}}."),
            ("impressions", "BIGINT", "Impressions."),
            ("clicks", "BIGINT", "Clicks."),
            ("costInLocalCurrency", "DECIMAL(18,2)", "Spend in the account currency."),
        ],
        ["pivotValues", "dateRange"],
        None,
    ),
    _ndjson(
        "ads",
        "linkedin_ads_clicks",
        "LinkedIn click records with the li_fat_id appended to the landing URL.",
        [
            ("li_fat_id", "VARCHAR", "LinkedIn first-party ad tracking id."),
            ("campaign", "VARCHAR", "Campaign URN."),
            ("clickedAt", "BIGINT", "Click time, epoch milliseconds."),
            ("landingPageUrl", "VARCHAR", "Landing URL with UTM tags and li_fat_id."),
        ],
        ["li_fat_id"],
        None,
    ),
]

# ------------------------------------------------------------------- billing (Stripe API objects)
BILLING = [
    _ndjson(
        "billing",
        "customers",
        "Stripe customers.",
        [
            ("id", "VARCHAR", "Customer id (cus_...)."),
            _stripe_object("customer"),
            ("email", "VARCHAR", "Billing email as entered.", False),
            ("name", "VARCHAR", "Customer name.", False),
            Column(
                "currency",
                "VARCHAR",
                "Default currency (lower-case ISO).",
                False,
                STRIPE_CURRENCIES,
            ),
            ("metadata", "JSON", "Key-value metadata; crm_account_id when sales set it."),
            ("created", "BIGINT", "Creation time, epoch seconds."),
            Column("livemode", "BOOLEAN", "Live or test mode.", values=(True,)),
            ("delinquent", "BOOLEAN", "Has unpaid invoices.", False),
        ],
        ["id"],
        None,
    ),
    _ndjson(
        "billing",
        "subscriptions",
        "Stripe subscriptions.",
        [
            ("id", "VARCHAR", "Subscription id (sub_...)."),
            _stripe_object("subscription"),
            _stripe_ref("customer", "Customer id (an expanded customer object loads as its id)."),
            Column(
                "status", "VARCHAR", "Subscription status.", values=STRIPE_SUBSCRIPTION_STATUSES
            ),
            Column("currency", "VARCHAR", "Currency (lower-case ISO).", values=STRIPE_CURRENCIES),
            ("items", "JSON", "List object of subscription items with price and quantity."),
            ("start_date", "BIGINT", "Start, epoch seconds."),
            # API 2025-03-31.basil moved the billing period from the subscription to its items
            Column(
                "current_period_start",
                "BIGINT",
                "Current period start, epoch seconds (basil and later: of the first item).",
                paths=("$.items.data[0].current_period_start",),
            ),
            Column(
                "current_period_end",
                "BIGINT",
                "Current period end, epoch seconds (basil and later: of the first item).",
                paths=("$.items.data[0].current_period_end",),
            ),
            ("canceled_at", "BIGINT", "Cancellation time, epoch seconds.", False),
            ("metadata", "JSON", "Key-value metadata."),
            ("created", "BIGINT", "Creation time, epoch seconds."),
        ],
        ["id"],
        None,
    ),
    _ndjson(
        "billing",
        "invoices",
        "Stripe invoices with their line items.",
        [
            ("id", "VARCHAR", "Invoice id (in_...)."),
            _stripe_object("invoice"),
            _stripe_ref("customer", "Customer id (an expanded customer object loads as its id)."),
            # API 2025-03-31.basil moved it to parent.subscription_details.subscription
            Column(
                "subscription",
                "VARCHAR",
                "Subscription id (basil and later: parent.subscription_details.subscription).",
                False,
                paths=("$.parent.subscription_details.subscription",),
                expandable=True,
            ),
            Column("status", "VARCHAR", "Invoice status.", values=STRIPE_INVOICE_STATUSES),
            Column("currency", "VARCHAR", "Currency (lower-case ISO).", values=STRIPE_CURRENCIES),
            ("amount_due", "BIGINT", "Amount due, smallest currency unit."),
            ("amount_paid", "BIGINT", "Amount paid, smallest currency unit."),
            ("total", "BIGINT", "Total, smallest currency unit."),
            ("lines", "JSON", "List object of line items."),
            ("period_start", "BIGINT", "Period start, epoch seconds."),
            ("period_end", "BIGINT", "Period end, epoch seconds."),
            ("status_transitions", "JSON", "finalized_at, paid_at, voided_at (epoch seconds)."),
            ("created", "BIGINT", "Creation time, epoch seconds."),
        ],
        ["id"],
        None,
    ),
    _ndjson(
        "billing",
        "charges",
        "Stripe charges: payment attempts on invoices.",
        [
            ("id", "VARCHAR", "Charge id (ch_...)."),
            _stripe_object("charge"),
            _stripe_ref("customer", "Customer id (an expanded customer object loads as its id)."),
            _stripe_ref(
                "invoice", "Invoice id (an expanded invoice loads as its id).", required=False
            ),
            ("amount", "BIGINT", "Amount, smallest currency unit."),
            ("amount_refunded", "BIGINT", "Amount refunded, smallest currency unit."),
            Column("currency", "VARCHAR", "Currency (lower-case ISO).", values=STRIPE_CURRENCIES),
            Column("status", "VARCHAR", "Charge status.", values=STRIPE_CHARGE_STATUSES),
            ("paid", "BOOLEAN", "Charge succeeded."),
            ("refunded", "BOOLEAN", "Fully refunded."),
            ("failure_code", "VARCHAR", "Why the charge failed.", False),
            ("created", "BIGINT", "Creation time, epoch seconds."),
        ],
        ["id"],
        None,
    ),
    _ndjson(
        "billing",
        "refunds",
        "Stripe refunds.",
        [
            ("id", "VARCHAR", "Refund id (re_...)."),
            _stripe_object("refund"),
            _stripe_ref("charge", "Refunded charge (an expanded charge loads as its id)."),
            ("amount", "BIGINT", "Amount, smallest currency unit."),
            Column("currency", "VARCHAR", "Currency (lower-case ISO).", values=STRIPE_CURRENCIES),
            Column("reason", "VARCHAR", "Why it was refunded.", False, STRIPE_REFUND_REASONS),
            Column("status", "VARCHAR", "Refund status.", values=STRIPE_REFUND_STATUSES),
            ("created", "BIGINT", "Creation time, epoch seconds."),
        ],
        ["id"],
        None,
    ),
]

CONTRACTS: dict[tuple[str, str], Contract] = {(c.system, c.object): c for c in CRM + ADS + BILLING}
SYSTEMS = tuple(RAW_SCHEMAS)


def contracts_for(system: str) -> list[Contract]:
    return [c for c in CONTRACTS.values() if c.system == system]


def get_contract(system: str, obj: str) -> Contract:
    try:
        return CONTRACTS[(system, obj)]
    except KeyError:
        known = ", ".join(f"{s}/{o}" for s, o in CONTRACTS)
        raise KeyError(f"no landing contract for {system}/{obj}; known: {known}") from None
