"""The data inventory (issue 20 part 1): every personal field is declared once; a model that gains a personal
column the inventory does not declare fails here, and the docs and the county's page show the inventory."""

from __future__ import annotations

import re
from pathlib import Path

from kehou.models import Base
from kehou.platform.privacy import inventory as inv
from kehou.platform.privacy.inventory import BY_COLUMN, FIELDS

#: column names that hold a person's data wherever they appear
PERSONAL = re.compile(r"(^|_)(name|phone|contact|id_number|legal_rep_id|email|address|student_no|class_name|priority"
                      r"|relation|username|ip|payer|signer|injured|respondent|parent_note|answer|user_agent|photos"
                      r"|evidence|keyed_hash|label)(_|$)")
#: tables about children and their families: every column not technical must be declared or named below
FAMILY_TABLES = {"student", "guardian", "guardian_contact", "attendance", "no_show_case", "ranked_choice", "enrolment",
                 "fee_waiver", "outcome_survey_response", "child_access", "privacy_request", "consent", "data_export"}
TECHNICAL = re.compile(r"^(id|.*_id|.*_at|.*_by|county_code|status|created_at|at)$")
#: matched by the patterns or in a family table, and not a person's data (with why)
NOT_PERSONAL = {
    "region.name": "a place", "school.name": "a school", "calendar_day.name": "a holiday", "ledger_account.name": "an account",
    "api_token.name": "a token's label", "provider.name": "an organisation", "provider.address": "an organisation's address",
    "document.original_name": "an organisation's file name", "course_entry.venue": "a room",
    "outcome_report_job.filename": "a report file", "admission_objection.answer": "the bureau's answer",
    "ranked_choice.entry_id": "a course", "enrolment.source": "how a seat was taken", "attendance.reason": "declared",
    "student.grade": "declared", "guardian.relation": "declared", "no_show_case.lesson_ids": "lessons",
    "no_show_case.deadline": "a date", "fee_waiver.term_name": "a term", "fee_waiver.percent": "a share",
    "outcome_survey_response.score": "a number", "outcome_survey_response.satisfied": "a number",
    "child_access.actor_role": "a role", "child_access.what": "a page", "child_access.purpose": "a purpose",
    "vetting_override.fingerprint": "a finding", "vetting_finding.fingerprint": "a finding",
    "blacklist_entry.kind": "a kind", "agreement_signature.party_role": "a role", "agreement_signature.party_ref": "a reference",
    "agreement_signature.pdf_sha256": "a digest", "agreement_signature.void_reason": "a reason",
    "outcome_complaint.tracking_code": "a code", "outcome_complaint.anonymous": "a flag",
    "exit_step.actor_role": "a role", "enrolment_event.actor_role": "a role", "audit_entry.actor_role": "a role",
    "outcome_complaint_step.actor_role": "a role", "outcome_showcase_item.title": "a work's title",
    "exit_case.evidence": "about an organisation", "vetting_finding.evidence": "about an organisation",
    "consent.notice_version": "a number", "privacy_request.kind": "a kind", "privacy_request.due_on": "a date",
    "data_export.kind": "a kind", "data_export.params": "the list's filters", "data_export.decision_note": "the approver's",
    "data_export.rows": "a count", "data_export.sha256": "a digest",
}


def columns() -> set[str]:
    return {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns}


def test_every_declared_field_exists_and_is_described() -> None:
    assert sorted(set(BY_COLUMN) - columns()) == []
    assert len(BY_COLUMN) == len(FIELDS), "a field is declared twice"
    for f in FIELDS:
        assert f.subject in inv.SUBJECTS and f.basis in inv.BASES and f.sensitivity in inv.SENSITIVITY, f
        assert f.protection in inv.PROTECTION and f.category in inv.CATEGORIES and set(f.who) <= set(inv.ROLES), f
        assert f.label and f.purpose, f


def test_no_personal_column_is_left_undeclared() -> None:
    missing = []
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            key = f"{table.name}.{col.name}"
            named = PERSONAL.search(col.name) and col.name != "term_name"
            personal = named or (table.name in FAMILY_TABLES and not TECHNICAL.match(col.name))
            if personal and key not in BY_COLUMN and key not in NOT_PERSONAL:
                missing.append(key)
    assert missing == [], f"personal columns not in kehou/platform/privacy/inventory.py: {missing}"


def test_the_check_catches_a_new_personal_column() -> None:
    from sqlalchemy import Column, MetaData, String, Table

    table = Table("student", MetaData(), Column("mother_phone", String(20)))
    assert PERSONAL.search(table.c.mother_phone.name) and "student.mother_phone" not in BY_COLUMN


def test_sensitive_and_sealed_fields_are_what_the_law_marks() -> None:
    assert BY_COLUMN["student.priority_sealed"].sensitivity == "sensitive" == BY_COLUMN["attendance.reason"].sensitivity
    sealed = {f.column for f in FIELDS if f.protection == "sealed"}
    assert {"student.priority_sealed", "guardian_contact.phone_enc", "outcome_complaint.contact_phone_sealed"} <= sealed


def test_the_docs_list_every_field() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "privacy.md").read_text(encoding="utf-8")
    assert [f.column for f in FIELDS if f"`{f.column}`" not in text] == []
    assert inv.markdown() in text, "docs/privacy.md: regenerate its inventory from inventory.markdown()"
