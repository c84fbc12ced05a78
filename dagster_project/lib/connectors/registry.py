"""Which objects each source system's API delivers, and by which connector (no HTTP code is
imported here: the settings and the landing sensor read it).

A system in ``api`` mode extracts these objects from its APIs; its other objects keep arriving as
files (the email tool's events and the website's form submissions are not Salesforce objects;
the ad clicks come from the website's tag, see ``ads``).
"""

from __future__ import annotations

SOURCE_MODES = ("files", "api")

# system -> contract object -> the API that delivers it
API_OBJECTS: dict[str, dict[str, str]] = {
    "crm": dict.fromkeys(
        (
            "users",
            "accounts",
            "contacts",
            "leads",
            "campaigns",
            "campaign_members",
            "tasks",
            "opportunities",
            "opportunity_history",
            "opportunity_contact_roles",
        ),
        "salesforce",
    ),
    "ads": {
        "google_ads_campaigns": "google_ads",
        "google_ads_campaign_stats": "google_ads",
        "meta_ads_campaigns": "meta_ads",
        "meta_ads_insights": "meta_ads",
        "linkedin_ads_campaigns": "linkedin_ads",
        "linkedin_ads_analytics": "linkedin_ads",
    },
    "billing": dict.fromkeys(
        ("customers", "subscriptions", "invoices", "charges", "refunds"), "stripe"
    ),
}

API_NAMES = {
    "salesforce": "Salesforce REST API",
    "stripe": "Stripe API",
    "google_ads": "Google Ads API",
    "meta_ads": "Meta Marketing API",
    "linkedin_ads": "LinkedIn Marketing API",
}


def api_of(system: str, obj: str) -> str | None:
    """The API that delivers ``system/obj`` in api mode, or None (files in every mode)."""
    return API_OBJECTS.get(system, {}).get(obj)
