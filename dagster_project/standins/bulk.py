"""Stand-in of the Salesforce Bulk API 2.0 ingest jobs, the write-back's CRM target, answering in
the published shapes and refusing a malformed request with the error the real API gives
(see ``push`` for the ad platforms' conversion APIs).

Sources: Bulk API 2.0 and Bulk API Developer Guide, "Create a Job", "Upload Job Data", "Upload
Complete", "Get Job Info", "Get Job Successful / Failed / Unprocessed Record Results", "Valid Date
Format in Records", "Errors". ``POST .../jobs/ingest`` (JobInfo with ``contentUrl``), one ``PUT
.../batches`` (text/csv, 201), ``PATCH`` to ``UploadComplete`` or ``Aborted``, ``GET`` polled
through ``InProgress`` to ``JobComplete`` or ``Failed``, results as CSV with every value quoted.
Record errors read ``STATUS_CODE:message:fields --``; an empty cell leaves a field as it is,
``#N/A`` empties it. The org's fields: ``push_fields.py`` plus ``Id``.

Tests script failures (``StandIns.bulk_fail_once``, ``bulk_fail_job_after``) and read
``crm_values`` and ``bulk_jobs``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from dagster_project.lib.connectors.push_fields import PUSH_BY_SOBJECT, PushField
from dagster_project.lib.connectors.salesforce import API_VERSION as SF_VERSION
from dagster_project.lib.connectors.salesforce import SOBJECTS

if TYPE_CHECKING:
    from dagster_project.standins.server import StandIns

SF_OBJECT = {v: k for k, v in SOBJECTS.items()}  # sObject -> world records
SF_PREFIX = {"Account": "001", "Opportunity": "006", "Lead": "00Q", "Contact": "003"}
SF_DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^"}
SF_DELIMITERS["BACKQUOTE"] = "`"
SF_XSD = {"number": "double", "currency": "double", "date": "date", "datetime": "dateTime"}
SF_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:?\d\d)")
SF_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
SF_DONE = ("JobComplete", "Failed", "Aborted")
SF_RECORD_ERRORS = {
    "value": "INVALID_FIELD:Failed to deserialize field at col {col}. Due to, '{value}' is not a "
    "valid value for the type xsd:{xsd}:{name} --",
    "range": "NUMBER_OUTSIDE_VALID_RANGE:{label}: value outside of valid range on numeric field: "
    "{value}:{name} --",
    "picklist": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:{label}: bad value for restricted "
    "picklist field: {value}:{name} --",
    "long": "STRING_TOO_LONG:{label}: data value too large: {value} (max length={limit}):{name} --",
}
SF_JOB_FAILED = (
    "InternalServerError : An unexpected error occurred. Please include this ErrorId if you "
    "contact support: 1449083624-20613 (-1203938817)"
)


# ------------------------------------------------------------------------- Salesforce Bulk 2.0
def _sf_error(status: int, code: str, message: str):
    return status, [{"errorCode": code, "message": message}], {}


def salesforce_bulk(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    """``/services/data/v64.0/jobs/ingest[/<id>[/batches|/successfulResults|...]]``."""
    rest = parts.path.removeprefix(f"/services/data/{SF_VERSION}/jobs/ingest").strip("/")
    job_id, _, sub = rest.partition("/")
    with standins._lock:
        job = standins.bulk_jobs.get(job_id)
        if not rest and method == "POST":
            return _sf_create(standins, body)
        if job is None:
            return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if (sub, method) == ("batches", "PUT"):
            return _sf_upload(job, body, headers)
        if (sub, method) == ("", "PATCH"):
            return _sf_patch(standins, job, body)
        if (sub, method) == ("", "GET"):
            if job["state"] in ("UploadComplete", "InProgress"):
                job["polls"] += 1
                done = job["polls"] > standins.bulk_polls_in_progress
                job["state"] = job["final"] if done else "InProgress"
            return 200, _sf_info(job, full=True), {}
        if sub in ("successfulResults", "failedResults", "unprocessedrecords") and method == "GET":
            if job["state"] not in SF_DONE:
                return _sf_error(400, "INVALIDJOBSTATE", f"Job {job_id} is not complete")
            return 200, _sf_results(job, sub), {"Content-Type": "text/csv"}
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def _sf_create(standins: StandIns, body: str):
    try:
        request = json.loads(body or "")
        sobject, operation = request.get("object"), request.get("operation")
    except (ValueError, AttributeError):
        return _sf_error(400, "JSON_PARSER_ERROR", "The request body isn't a JSON object")
    if operation not in ("insert", "update", "upsert", "delete", "hardDelete"):
        return _sf_error(400, "INVALIDJOB", f"InvalidJob : Invalid job operation: {operation}")
    if sobject not in SF_OBJECT:
        return _sf_error(400, "INVALIDENTITY", f"sObject type '{sobject}' is not supported.")
    job_id = f"750{secrets.token_hex(6).upper()}IAO"
    job = {"id": job_id, "operation": operation, "object": sobject, "state": "Open"}
    for key, default, allowed in (
        ("contentType", "CSV", ("CSV",)),
        ("lineEnding", "LF", ("LF", "CRLF")),
        ("columnDelimiter", "COMMA", tuple(SF_DELIMITERS)),
    ):
        job[key] = request.get(key, default)
        if job[key] not in allowed:
            return _sf_error(400, "INVALIDJOB", f"InvalidJob : Invalid {key}: {job[key]}")
    job["externalIdFieldName"] = request.get("externalIdFieldName")
    if operation == "upsert" and not job["externalIdFieldName"]:
        return _sf_error(400, "INVALIDJOB", "InvalidJob : External ID was blank for upsert")
    job["createdDate"] = standins.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    job |= {"final": "JobComplete", "errorMessage": None, "data": None, "polls": 0}
    job |= {"header": [], "success": [], "failed": [], "unprocessed": []}
    standins.bulk_jobs[job_id] = job
    return 200, _sf_info(job, full=False), {}


def _sf_info(job: dict[str, Any], full: bool) -> dict[str, Any]:
    """JobInfo as Create / Upload Complete (``full=False``) or Get Job Info answer it."""
    info = {k: job[k] for k in ("id", "operation", "object")}
    info |= {"createdById": "005000000000001AAA", "createdDate": job["createdDate"]}
    info |= {"systemModstamp": job["createdDate"], "state": job["state"]}
    if job["operation"] == "upsert":
        info["externalIdFieldName"] = job["externalIdFieldName"]
    info |= {"concurrencyMode": "Parallel", "contentType": "CSV"}
    info["apiVersion"] = float(SF_VERSION.removeprefix("v"))
    if not full:
        info["contentUrl"] = f"services/data/{SF_VERSION}/jobs/ingest/{job['id']}/batches"
        return info | {k: job[k] for k in ("lineEnding", "columnDelimiter")}
    done = job["state"] in SF_DONE
    processed = len(job["success"]) + len(job["failed"]) if done else 0
    info |= {"jobType": "V2Ingest", "lineEnding": job["lineEnding"]}
    info |= {"columnDelimiter": job["columnDelimiter"], "numberRecordsProcessed": processed}
    info |= {"numberRecordsFailed": len(job["failed"]) if done else 0, "retries": 0}
    info |= {"totalProcessingTime": 40 * processed, "apiActiveProcessingTime": 20 * processed}
    info["apexProcessingTime"] = 0
    if job["state"] == "Failed":
        info["errorMessage"] = job["errorMessage"]
    return info


def _sf_upload(job: dict[str, Any], body: str, headers: Any):
    kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind != "text/csv":
        return _sf_error(415, "UNSUPPORTED_MEDIA_TYPE", f"Content-Type '{kind}' isn't text/csv")
    if job["state"] != "Open":
        return _sf_error(400, "INVALIDJOBSTATE", f"Job {job['id']} isn't Open: {job['state']}")
    if job["data"] is not None:
        message = (
            f"Found multiple contents for job: <{job['id']}>, please 'Close' / 'Abort' / 'Delete' "
            "the current Job then create a new Job and make sure you only do 'PUT' once on a "
            "given Job."
        )
        return _sf_error(400, "BULK_API_ERROR", message)
    job["data"] = body
    return 201, None, {}


def _sf_patch(standins: StandIns, job: dict[str, Any], body: str):
    try:
        state = json.loads(body or "{}").get("state")
    except (ValueError, AttributeError):
        return _sf_error(400, "JSON_PARSER_ERROR", "Expected a JSON object with 'state'")
    if state == "UploadComplete" and job["state"] == "Open":
        job["state"] = "UploadComplete"
        _sf_process(standins, job)
    elif state == "Aborted" and job["state"] not in SF_DONE:
        job["state"], job["success"], job["failed"] = "Aborted", [], []
        job["header"], job["unprocessed"], _ = _sf_rows(job)
    else:
        message = f"InvalidJobState : cannot change the job from {job['state']} to {state}"
        return _sf_error(400, "INVALIDJOBSTATE", message)
    return 200, _sf_info(job, full=False), {}


def _sf_rows(job: dict[str, Any]) -> tuple[list[str], list[list[str]], str | None]:
    """The upload's header, records and what is wrong with the file as a whole (None: nothing)."""
    text, ending = job["data"] or "", job["lineEnding"]
    if "\r\n" in text if ending == "LF" else re.search(r"(?<!\r)\n", text):
        wrong = f"LineEnding is invalid on user data. Current LineEnding setting is {ending}"
        return [], [], f"ClientInputError : {wrong}"
    delimiter = SF_DELIMITERS[job["columnDelimiter"]]
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return [], [], f"ClientInputError : Failed to parse CSV: {exc}"
    header, records = (rows[0], rows[1:]) if rows else ([], [])
    for number, row in enumerate(records, start=2):
        if len(row) != len(header):
            return header, records, f"ClientInputError : Wrong number of columns in row {number}"
    return header, records, None


def _sf_process(standins: StandIns, job: dict[str, Any]) -> None:
    """Process the upload as Salesforce would, row by row; the results wait for the polls."""
    header, records, problem = _sf_rows(job)
    job["header"] = header
    push = PUSH_BY_SOBJECT.get(job["object"])
    fields = {f.api_name: f for f in push.fields} if push else {}
    unknown = [name for name in header if name != "Id" and name not in fields]
    if problem is None and unknown and job["operation"] != "insert":
        problem = f"InvalidBatch : Field name not found : {unknown[0]}"
    if problem is not None:
        job["final"], job["errorMessage"], job["unprocessed"] = "Failed", problem, records
        return
    limit, standins.bulk_fail_job_after = standins.bulk_fail_job_after, None
    # the object's records by 18- and 15-character Id, once per job (not a scan per row)
    with standins.world.lock:
        rows = list(standins.world.records.get(SF_OBJECT.get(job["object"], ""), []))
    index: dict[str, dict[str, Any]] = {}
    for record in rows:
        rid = str(record.get("Id"))
        index.setdefault(rid, record)
        index.setdefault(rid[:15], record)
    for i, row in enumerate(records):
        if limit is not None and i >= limit:
            job["unprocessed"].append(row)
            continue
        if job["operation"] == "insert":  # (not used by the warehouse: accepted as is)
            new_id = f"{SF_PREFIX.get(job['object'], 'a00')}{secrets.token_hex(6).upper()}AAA"
            job["success"].append([new_id, "true", *row])
            continue
        record_id, error, changes = _sf_record(standins, job["object"], header, row, fields, index)
        if error:
            job["failed"].append([record_id, error, *row])
            continue
        if job["operation"] == "update":
            standins.crm_values.setdefault((job["object"], record_id), {}).update(changes)
        job["success"].append([record_id, "false", *row])
    if limit is not None:
        job["final"], job["errorMessage"] = "Failed", SF_JOB_FAILED


def _sf_record(
    standins: StandIns,
    sobject: str,
    header: list[str],
    row: list[str],
    fields: dict,
    index: dict[str, dict[str, Any]],
) -> tuple[str, str | None, dict[str, Any]]:
    """(record Id, error or None, typed changes) of one CSV record."""
    values = dict(zip(header, row, strict=True))
    given = values.get("Id", "")
    if not given:
        return "", "MISSING_ARGUMENT:Id not specified in an update call:--", {}
    well_formed = re.fullmatch(r"[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?", given)
    if not well_formed or not given.startswith(SF_PREFIX.get(sobject, "")):
        return "", f"MALFORMED_ID:{sobject} ID: id value of incorrect type: {given}:Id --", {}
    record = index.get(given)
    if record is None:
        return given, "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--", {}
    record_id = record["Id"]
    if record.get("IsDeleted"):
        return record_id, "ENTITY_IS_DELETED:entity is deleted:--", {}
    if sobject == "Lead" and record.get("IsConverted"):
        return record_id, "CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--", {}
    for key in (record_id, given):
        if key in standins.bulk_fail_once:
            return record_id, standins.bulk_fail_once.pop(key), {}
    changes: dict[str, Any] = {}
    for col, name in enumerate(header):
        value = values[name]
        if name == "Id" or value == "":  # an empty cell leaves the field as it is
            continue
        if value == "#N/A":
            changes[name] = False if fields[name].kind == "checkbox" else None
            continue
        typed, error = _sf_value(fields[name], value, col)
        if error:
            return record_id, error, {}
        changes[name] = typed
    return record_id, None, changes


def _sf_value(field: PushField, value: str, col: int) -> tuple[Any, str | None]:
    """A CSV value as the field's type, or the record error Salesforce gives for it."""
    label = field.api_name.removeprefix("RJW_").removesuffix("__c").replace("_", " ")
    limit, kind = field.length or (0 if field.kind in ("number", "currency") else 255), field.kind
    facts = dict(col=col, value=value, name=field.api_name, label=label, limit=limit)
    bad = (None, SF_RECORD_ERRORS["value"].format(xsd=SF_XSD.get(kind, "boolean"), **facts))
    if kind in ("number", "currency"):
        if not SF_NUMBER.fullmatch(value):
            return bad
        number = Decimal(value).quantize(Decimal(1).scaleb(-limit), rounding=ROUND_HALF_UP)
        if len(str(int(abs(number)))) > 18 - limit:
            return None, SF_RECORD_ERRORS["range"].format(**facts)
        return number, None
    if kind in ("date", "datetime", "checkbox"):
        try:
            if kind == "date" and len(value) == 10:
                return date.fromisoformat(value), None
            if kind == "datetime" and SF_DATETIME.fullmatch(value):
                text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value.replace("Z", "+00:00"))
                return datetime.fromisoformat(text).astimezone(UTC), None
        except ValueError:
            return bad
        flag = value.lower()
        if kind != "checkbox":
            return bad
        return (flag in ("true", "1"), None) if flag in ("true", "false", "1", "0") else bad
    if kind == "picklist" and value not in field.values:
        return None, SF_RECORD_ERRORS["picklist"].format(**facts)
    if len(value) > limit:
        return None, SF_RECORD_ERRORS["long"].format(**facts)
    return value, None


def _sf_results(job: dict[str, Any], kind: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if kind == "unprocessedrecords":
        writer.writerows([job["header"], *job["unprocessed"]] if job["header"] else [])
    else:
        first = "sf__Created" if kind == "successfulResults" else "sf__Error"
        rows = job["success"] if kind == "successfulResults" else job["failed"]
        writer.writerows([["sf__Id", first, *job["header"]], *rows])
    return out.getvalue()
