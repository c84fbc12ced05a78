"""The write-side stand-ins (dagster_project/standins/bulk.py and push.py) over plain HTTP:
requests in the published shapes are accepted and answered as the APIs answer them; malformed
ones get the APIs' errors. A tiny hand-made world keeps this fast."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests

from dagster_project.lib.connectors.salesforce import API_VERSION
from dagster_project.standins.push import (
    GOOGLE_CONVERSION_ACTION_ID,
    LINKEDIN_CONVERSION_ID,
    META_PIXEL_ID,
    duplicates,
)
from dagster_project.standins.server import CREDENTIALS, StandIns, request_summary
from dagster_project.standins.world import SampleWorld

NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
ACC = [f"001{n:015d}" for n in range(5)]
LEAD = [f"00Q{n:015d}" for n in range(10)]
GCLID, OLD_GCLID = "Cj0KCQjwA1b2C3d4E5f6G7h8", "Cj0KCQjwZ9y8X7w6V5u4T3s2"
ACTION = f"customers/1234567890/conversionActions/{GOOGLE_CONVERSION_ACTION_ID}"
JOBS = f"/services/data/{API_VERSION}/jobs/ingest"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def running():
    world = SampleWorld(
        records={
            "accounts": [{"Id": ACC[1]}, {"Id": ACC[2], "IsDeleted": True}, {"Id": ACC[3]}],
            "opportunities": [{"Id": "006000000000000001"}],
            "leads": [{"Id": i, "IsConverted": i == LEAD[2]} for i in LEAD],
            "google_ads_clicks": [
                {"click_view_gclid": GCLID, "click_time": datetime(2026, 10, 20, 12, tzinfo=UTC)},
                {"click_view_gclid": OLD_GCLID, "click_time": datetime(2026, 6, 1, tzinfo=UTC)},
            ],
        }
    )
    with StandIns(world) as started:  # (one set of servers: stopping them takes seconds)
        yield started


@pytest.fixture
def standins(running):
    """The running stand-ins with the write side's state as a new StandIns has it."""
    fresh = StandIns(running.world)
    for name in ("crm_values", "bulk_jobs", "bulk_polls_in_progress", "bulk_fail_once"):
        setattr(running, name, getattr(fresh, name))
    for name in ("bulk_fail_job_after", "conversions", "google_fail_once", "requests"):
        setattr(running, name, getattr(fresh, name))
    running.now = NOW
    return running


# -------------------------------------------------------------------------------- Salesforce
def sf_session(standins: StandIns) -> requests.Session:
    c = CREDENTIALS["salesforce"]
    answer = requests.post(
        standins.url("salesforce") + "/services/oauth2/token",
        data={"grant_type": "refresh_token"} | {k: c[k] for k in c},
    ).json()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer['access_token']}"
    return session


def bulk(standins: StandIns, sobject: str, csv_text: str, line_ending: str = "LF") -> dict:
    """Create, upload, close and poll one update job to its end; the final JobInfo."""
    s, base = sf_session(standins), standins.url("salesforce") + JOBS
    job = s.post(base, json={"object": sobject, "operation": "update", "lineEnding": line_ending})
    job = job.json()
    upload = s.put(
        f"{base}/{job['id']}/batches", data=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert (upload.status_code, upload.content) == (201, b"")
    assert s.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"}).status_code == 200
    states = [s.get(f"{base}/{job['id']}").json() for _ in range(2)]
    assert states[0]["state"] == "InProgress"
    return states[1]


def results(standins: StandIns, job_id: str, kind: str) -> str:
    answer = sf_session(standins).get(f"{standins.url('salesforce')}{JOBS}/{job_id}/{kind}/")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv"
    return answer.text


def test_bulk_update_job_answers_the_published_shapes_and_updates_the_org(standins):
    s, base = sf_session(standins), standins.url("salesforce") + JOBS
    created = s.post(base, json={"object": "Account", "operation": "update", "contentType": "CSV"})
    job = created.json()
    assert created.status_code == 200 and job["id"].startswith("750") and len(job["id"]) == 18
    assert list(job) == [
        "id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
        "concurrencyMode", "contentType", "apiVersion", "contentUrl", "lineEnding",
        "columnDelimiter",
    ]  # fmt: skip
    assert job["state"] == "Open" and job["apiVersion"] == 64.0
    assert job["createdDate"] == "2026-10-30T12:00:00.000+0000"
    assert job["contentUrl"] == f"services/data/v64.0/jobs/ingest/{job['id']}/batches"
    s.patch(f"{base}/{job['id']}", json={"state": "Aborted"})

    upload = (
        "Id,RJW_Engagement_Score__c,RJW_Call_Today__c,RJW_Surge_Date__c,"
        "RJW_Last_Marketing_Touch__c,RJW_Briefing__c\n"
        f'{ACC[1]},42.35,true,2026-10-29,2026-10-29T10:00:00Z,"One, two\nand a ""quote"""\n'
        f"{ACC[3]},,false,#N/A,2026-10-28T09:30:00.000+0200,\n"
    )
    standins.crm_values[("Account", ACC[3])] = {"RJW_Engagement_Score__c": Decimal("7.0")}
    info = bulk(standins, "Account", upload)
    assert info["state"] == "JobComplete" and info["jobType"] == "V2Ingest"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"], info["retries"]) == (
        2,
        0,
        0,
    )
    assert {"totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"} <= set(info)
    assert "errorMessage" not in info
    assert standins.crm_values[("Account", ACC[1])] == {
        "RJW_Engagement_Score__c": Decimal("42.4"),  # rounded to the field's one decimal
        "RJW_Call_Today__c": True,
        "RJW_Surge_Date__c": date(2026, 10, 29),
        "RJW_Last_Marketing_Touch__c": datetime(2026, 10, 29, 10, tzinfo=UTC),
        "RJW_Briefing__c": 'One, two\nand a "quote"',
    }
    assert standins.crm_values[("Account", ACC[3])] == {  # empty cells leave fields as they are
        "RJW_Engagement_Score__c": Decimal("7.0"),
        "RJW_Call_Today__c": False,
        "RJW_Surge_Date__c": None,  # #N/A empties it
        "RJW_Last_Marketing_Touch__c": datetime(2026, 10, 28, 7, 30, tzinfo=UTC),
    }
    good = results(standins, info["id"], "successfulResults").splitlines()
    assert good[0] == (
        '"sf__Id","sf__Created","Id","RJW_Engagement_Score__c","RJW_Call_Today__c",'
        '"RJW_Surge_Date__c","RJW_Last_Marketing_Touch__c","RJW_Briefing__c"'
    )
    assert (
        good[-1]
        == f'"{ACC[3]}","false","{ACC[3]}","","false","#N/A","2026-10-28T09:30:00.000+0200",""'
    )
    assert results(standins, info["id"], "failedResults").startswith('"sf__Id","sf__Error","Id"')


def test_bulk_record_errors_are_salesforces(standins):
    locked = (
        "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: "
        f"{LEAD[6]}:--"
    )
    standins.bulk_fail_once[LEAD[6]] = locked
    header = "Id,RJW_Nurture_Reason__c,RJW_Sourcing_Channel__c,RJW_Engagement_Score__c,"
    header += "RJW_Nurture_Since__c"
    rows = [
        f"{LEAD[1]},sla_missed,paid_search,12.5,2026-10-01",
        f"{LEAD[2]},sla_missed,,,",
        f"{LEAD[3]},bored,,,",
        f"{LEAD[4]},,{'x' * 81},,",
        f"{LEAD[5]},,,abc,",
        f"{LEAD[7]},,,,2026-13-01",
        "00Q999999999999999,,,,",
        f"{ACC[1]},,,,",
        f"{LEAD[6]},,email,,",
    ]
    info = bulk(standins, "Lead", "\n".join([header, *rows]) + "\n")
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete", 9, 8,
    )  # fmt: skip
    failed = list(csv.reader(io.StringIO(results(standins, info["id"], "failedResults"))))
    assert failed[0][:3] == ["sf__Id", "sf__Error", "Id"]
    errors = {row[2]: row[1] for row in failed[1:]}
    assert {row[0] for row in failed[1:]} - {""} == set(errors) - {ACC[1]}  # malformed: no sf__Id
    assert errors == {
        LEAD[2]: "CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--",
        LEAD[3]: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Nurture Reason: bad value for "
        "restricted picklist field: bored:RJW_Nurture_Reason__c --",
        LEAD[4]: f"STRING_TOO_LONG:Sourcing Channel: data value too large: {'x' * 81} "
        "(max length=80):RJW_Sourcing_Channel__c --",
        LEAD[5]: "INVALID_FIELD:Failed to deserialize field at col 3. Due to, 'abc' is not a "
        "valid value for the type xsd:double:RJW_Engagement_Score__c --",
        LEAD[7]: "INVALID_FIELD:Failed to deserialize field at col 4. Due to, '2026-13-01' is "
        "not a valid value for the type xsd:date:RJW_Nurture_Since__c --",
        "00Q999999999999999": "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--",
        ACC[1]: f"MALFORMED_ID:Lead ID: id value of incorrect type: {ACC[1]}:Id --",
        LEAD[6]: locked,
    }
    assert not standins.bulk_fail_once  # the scripted failure happened once
    assert list(standins.crm_values) == [("Lead", LEAD[1])]
    again = bulk(standins, "Lead", f"{header}\n{LEAD[6]},,email,,\n")  # the lock is gone now
    assert (again["numberRecordsProcessed"], again["numberRecordsFailed"]) == (1, 0)
    assert standins.crm_values[("Lead", LEAD[6])] == {"RJW_Sourcing_Channel__c": "email"}


def test_bulk_job_failures_leave_unprocessed_records(standins):
    unknown = bulk(standins, "Account", f"Id,RJW_Nope__c\n{ACC[1]},1\n")
    assert unknown["state"] == "Failed"
    assert unknown["errorMessage"] == "InvalidBatch : Field name not found : RJW_Nope__c"
    assert unknown["numberRecordsProcessed"] == 0
    assert results(standins, unknown["id"], "unprocessedrecords") == (
        f'"Id","RJW_Nope__c"\n"{ACC[1]}","1"\n'
    )
    crlf = bulk(standins, "Account", f"Id,RJW_Call_Today__c\r\n{ACC[1]},true\r\n")  # LF job
    assert crlf["errorMessage"] == (
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    )
    assert bulk(standins, "Account", f"Id\r\n{ACC[1]}\r\n", "CRLF")["state"] == "JobComplete"

    standins.bulk_fail_job_after = 1
    rows = "\n".join(f"{a},true" for a in (ACC[1], ACC[3], ACC[1]))
    info = bulk(standins, "Account", f"Id,RJW_Call_Today__c\n{rows}\n")
    assert (info["state"], info["numberRecordsProcessed"]) == ("Failed", 1)
    assert info["errorMessage"].startswith("InternalServerError")
    assert results(standins, info["id"], "unprocessedrecords").count("\n") == 3
    assert standins.bulk_fail_job_after is None  # one job only


def test_bulk_protocol_errors(standins):
    s, base = sf_session(standins), standins.url("salesforce") + JOBS
    standins.expire_tokens("salesforce")
    expired = s.post(base, json={"object": "Account", "operation": "update"})
    assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    s = sf_session(standins)
    unknown = s.post(base, json={"object": "Acount", "operation": "update"})
    assert unknown.status_code == 400 and unknown.json()[0]["errorCode"] == "INVALIDENTITY"
    bad_operation = s.post(base, json={"object": "Account", "operation": "updte"})
    assert bad_operation.json()[0]["errorCode"] == "INVALIDJOB"
    job = s.post(base, json={"object": "Account", "operation": "update"}).json()
    as_json = s.put(f"{base}/{job['id']}/batches", json=[{"Id": ACC[1]}])
    assert as_json.status_code == 415
    csv_headers = {"Content-Type": "text/csv"}
    assert s.put(f"{base}/{job['id']}/batches", data="Id\n", headers=csv_headers).status_code == 201
    twice = s.put(f"{base}/{job['id']}/batches", data="Id\n", headers=csv_headers)
    assert twice.status_code == 400 and twice.json()[0]["errorCode"] == "BULK_API_ERROR"
    s.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"})
    again = s.patch(f"{base}/{job['id']}", json={"state": "UploadComplete"})
    assert again.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    assert s.get(f"{base}/750000000000000AAA").status_code == 404


# -------------------------------------------------------------------------------- Google Ads
def google(standins: StandIns, body: dict, **headers: str) -> requests.Response:
    c = CREDENTIALS["google_ads"]
    token = requests.post(
        standins.url("google_ads") + "/token",
        data={k: c[k] for k in ("client_id", "client_secret", "refresh_token")}
        | {"grant_type": "refresh_token"},
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "developer-token": c["developer_token"],
    } | headers
    url = f"{standins.url('google_ads')}/v21/customers/1234567890:uploadClickConversions"
    return requests.post(url, json=body, headers=headers | {"login-customer-id": "1112223333"})


def conversion(gclid: str, when: str, **extra) -> dict:
    return {"gclid": gclid, "conversionAction": ACTION, "conversionDateTime": when} | extra


def test_google_upload_answers_results_and_partial_failures(standins):
    good = conversion(
        GCLID, "2026-10-25 09:00:00+00:00", conversionValue=1200.5, currencyCode="EUR"
    )
    body = {
        "conversions": [
            good | {"orderId": "006000000000000001"},
            conversion("Cj0KCQjwUNKNOWNclick00", "2026-10-25 09:00:00+00:00"),
            conversion(GCLID, "2026-10-19 09:00:00+00:00"),
            conversion(OLD_GCLID, "2026-10-25 09:00:00+00:00"),
            conversion(GCLID, "2026-10-25T09:00:00Z"),
        ],
        "partialFailure": True,
    }
    answer = google(standins, body)
    assert answer.status_code == 200
    out = answer.json()
    accepted = {k: good[k] for k in ("gclid", "conversionAction", "conversionDateTime")}
    assert out["results"] == [accepted, {}, {}, {}, {}]
    assert isinstance(out["jobId"], str) and int(out["jobId"]) >= 2**31
    failure = out["partialFailureError"]
    assert failure["code"] == 3 and failure["message"].startswith("Multiple errors in 'details'")
    detail = failure["details"][0]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure"
    codes = [
        (e["errorCode"], e["location"]["fieldPathElements"][0]["index"]) for e in detail["errors"]
    ]
    assert codes == [
        ({"conversionUploadError": "EVENT_NOT_FOUND"}, 1),
        ({"conversionUploadError": "CONVERSION_PRECEDES_EVENT"}, 2),
        ({"conversionUploadError": "EXPIRED_EVENT"}, 3),
        ({"dateError": "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET"}, 4),
    ]
    assert len(standins.conversions["google_ads"]) == 1

    again = google(standins, {"conversions": [good], "partialFailure": True, "jobId": 7}).json()
    assert again["jobId"] == "7" and again["results"] == [{}]
    error = again["partialFailureError"]["details"][0]["errors"][0]
    assert error["errorCode"] == {"conversionUploadError": "CLICK_CONVERSION_ALREADY_EXISTS"}
    assert again["partialFailureError"]["message"].endswith(", at conversions[0].gclid")
    assert duplicates(standins, "google_ads") == []

    standins.google_fail_once.add(GCLID)
    retried = conversion(GCLID, "2026-10-26 09:00:00+00:00")
    first = google(standins, {"conversions": [retried], "partialFailure": True}).json()
    assert first["partialFailureError"]["details"][0]["errors"][0]["errorCode"] == {
        "internalError": "TRANSIENT_ERROR"
    }
    second = google(standins, {"conversions": [retried], "partialFailure": True}).json()
    assert "partialFailureError" not in second and second["results"][0]["gclid"] == GCLID


def test_google_upload_refuses_malformed_requests(standins):
    one = [conversion(GCLID, "2026-10-25 09:00:00+00:00")]
    whole = google(standins, {"conversions": one, "partialFailure": False})
    assert whole.status_code == 400
    error = whole.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["details"][0]["errors"][0]["errorCode"] == {
        "partialFailureError": "PARTIAL_FAILURE_MODE_REQUIRED"
    }
    unknown = google(standins, {"conversions": [one[0] | {"value": 3}], "partialFailure": True})
    assert (
        unknown.status_code == 400 and 'Unknown name "value"' in unknown.json()["error"]["message"]
    )
    wrong_type = google(
        standins, {"conversions": [one[0] | {"conversionValue": "12"}], "partialFailure": True}
    )
    assert wrong_type.status_code == 400
    hashed = one[0] | {"userIdentifiers": [{"hashedEmail": "ana@example.com"}]}
    answer = google(standins, {"conversions": [hashed], "partialFailure": True}).json()
    assert answer["partialFailureError"]["details"][0]["errors"][0]["errorCode"] == {
        "conversionUploadError": "INVALID_USER_IDENTIFIER"
    }
    no_developer_token = google(
        standins, {"conversions": one, "partialFailure": True}, **{"developer-token": ""}
    )
    assert no_developer_token.status_code == 403
    assert standins.conversions["google_ads"] == []


# -------------------------------------------------------------------------------------- Meta
def meta_event(**extra) -> dict:
    return {
        "event_name": "Purchase",
        "event_time": int(NOW.timestamp()) - 3600,
        "event_id": "opp-006000000000000001",
        "action_source": "system_generated",
        "user_data": {"em": [sha("ana@example.com")], "fbc": "fb.1.1761300000000.IwAR3abc"},
        "custom_data": {"currency": "EUR", "value": 1200.5},
    } | extra


def meta(standins: StandIns, body: dict, token: str | None = None) -> requests.Response:
    token = token or CREDENTIALS["meta_ads"]["access_token"]
    url = f"{standins.url('meta_ads')}/v23.0/{META_PIXEL_ID}/events"
    return requests.post(url, params={"access_token": token}, json=body)


def test_meta_events_are_received_with_the_token_in_the_query_or_the_body(standins):
    answer = meta(standins, {"data": [meta_event(), meta_event(event_id="opp-2")]})
    assert answer.status_code == 200
    assert set(answer.json()) == {"events_received", "messages", "fbtrace_id"}
    assert answer.json()["events_received"] == 2 and answer.json()["messages"] == []
    url = f"{standins.url('meta_ads')}/v23.0/{META_PIXEL_ID}/events"
    token = CREDENTIALS["meta_ads"]["access_token"]
    in_json = requests.post(
        url, json={"data": [meta_event(event_id="opp-3")], "access_token": token}
    )
    form = {"data": json.dumps([meta_event(event_id="opp-4")]), "access_token": token}
    assert in_json.status_code == 200 and requests.post(url, data=form).status_code == 200
    assert len(standins.conversions["meta_ads"]) == 4 and duplicates(standins, "meta_ads") == []
    meta(standins, {"data": [meta_event()]})
    assert duplicates(standins, "meta_ads") == [("Purchase", "opp-006000000000000001")]
    meta_requests = [r for r in standins.requests if r.api == "meta_ads"]
    assert request_summary(meta_requests)["meta_ads"]["records"] == 5


@pytest.mark.parametrize(
    ("event", "subcode"),
    [
        (meta_event(event_time=int(NOW.timestamp()) - 8 * 86400), 2804003),
        (meta_event(event_time=int(NOW.timestamp()) + 600), 2804004),
        (meta_event(user_data={"em": ["ana@example.com"]}), 2804019),
        (meta_event(user_data={"em": [sha("a@b.c")], "fbc": "IwAR3abc"}), 2804019),
        (meta_event(user_data={"unknown": "x"}), 2804050),
        (meta_event(action_source="crm"), 2804019),
        (meta_event(event_time=str(int(NOW.timestamp()))), 2804019),
    ],
)
def test_meta_rejects_the_whole_request_for_one_bad_event(standins, event, subcode):
    answer = meta(standins, {"data": [meta_event(), event]})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["error_subcode"]) == (
        "OAuthException",
        100,
        subcode,
    )
    assert {"message", "error_user_title", "error_user_msg", "fbtrace_id"} <= set(error)
    assert standins.conversions["meta_ads"] == []


def test_meta_refuses_a_wrong_token_or_pixel(standins):
    assert meta(standins, {"data": [meta_event()]}, token="nope").json()["error"]["code"] == 190
    url = f"{standins.url('meta_ads')}/v23.0/999/events"
    token = CREDENTIALS["meta_ads"]["access_token"]
    wrong = requests.post(url, params={"access_token": token}, json={"data": [meta_event()]})
    assert wrong.json()["error"]["error_subcode"] == 33
    assert meta(standins, {}).json()["error"]["message"] == "(#100) The parameter data is required"


# ---------------------------------------------------------------------------------- LinkedIn
LI_HEADERS = {
    "Authorization": f"Bearer {CREDENTIALS['linkedin_ads']['access_token']}",
    "LinkedIn-Version": "202509",
    "X-Restli-Protocol-Version": "2.0.0",
}


def li_event(**extra) -> dict:
    return {
        "conversion": f"urn:lla:llaPartnerConversion:{LINKEDIN_CONVERSION_ID}",
        "conversionHappenedAt": int(NOW.timestamp() * 1000) - 86_400_000,
        "conversionValue": {"currencyCode": "EUR", "amount": "1200.50"},
        "user": {"userIds": [{"idType": "SHA256_EMAIL", "idValue": sha("ana@example.com")}]},
        "eventId": "opp-006000000000000001",
    } | extra


def test_linkedin_batch_create_answers_a_status_per_element(standins):
    url = standins.url("linkedin_ads") + "/rest/conversionEvents"
    old = int(NOW.timestamp() * 1000) - 91 * 86_400_000
    unhashed = {"userIds": [{"idType": "SHA256_EMAIL", "idValue": "ana@example.com"}]}
    body = {"elements": [li_event(), li_event(conversionHappenedAt=old), li_event(user=unhashed)]}
    answer = requests.post(url, json=body, headers=LI_HEADERS | {"X-RestLi-Method": "BATCH_CREATE"})
    assert answer.status_code == 200
    assert [e["status"] for e in answer.json()["elements"]] == [201, 400, 400]
    assert "90 days" in answer.json()["elements"][1]["error"]["message"]
    single = requests.post(url, json=li_event(eventId="opp-2"), headers=LI_HEADERS)
    assert (single.status_code, single.content) == (201, b"")
    assert len(standins.conversions["linkedin_ads"]) == 2


def test_linkedin_refuses_requests_without_the_published_headers(standins):
    url = standins.url("linkedin_ads") + "/rest/conversionEvents"
    no_protocol = {k: v for k, v in LI_HEADERS.items() if k != "X-Restli-Protocol-Version"}
    assert requests.post(url, json=li_event(), headers=no_protocol).status_code == 400
    bad_version = requests.post(
        url, json=li_event(), headers=LI_HEADERS | {"LinkedIn-Version": "2025"}
    )
    assert (bad_version.status_code, bad_version.json()["code"]) == (426, "NONEXISTENT_VERSION")
    batch_without_method = requests.post(url, json={"elements": [li_event()]}, headers=LI_HEADERS)
    assert batch_without_method.status_code == 400
    assert standins.conversions["linkedin_ads"] == []
