"""Outcome reporting's words in the audit log (``kehou_register_audit_vocabulary``)."""

from __future__ import annotations

from kehou.pluginapi import AuditVocabulary

VOCABULARY = AuditVocabulary(
    actions={
        "outcome.patrol.record": "记录巡查", "outcome.incident.report": "报告安全事件", "outcome.incident.close": "安全事件结案",
        "outcome.complaint.submit": "收到投诉", "outcome.complaint.assign": "指派投诉",
        "outcome.complaint.investigate": "调查投诉",
        "outcome.complaint.resolve": "办结投诉", "outcome.complaint.visibility": "调整投诉公开范围",
        "outcome.complaint.overdue": "投诉逾期", "outcome.evaluation_computed": "计算考核评价",
        "outcome.evaluation_published": "发布考核评价", "outcome.report_export": "申请导出报表",
        "outcome.report_done": "报表导出完成",
        "outcome.report_failed": "报表导出失败", "outcome.report_requeued": "报表导出重新排队", "survey.open": "发起满意度调查",
        "survey.answer": "填写满意度调查", "survey.school_rating": "学校评分", "showcase.upload": "上传成果展示",
        "showcase.publish": "发布成果展示",
    },
    entities={"outcome_patrol": "巡查记录", "outcome_incident": "安全事件", "outcome_complaint": "投诉",
              "evaluation_run": "考核评价", "outcome_report_job": "报表导出", "outcome_survey": "满意度调查",
              "outcome_survey_response": "调查答卷", "outcome_school_rating": "学校评分", "outcome_showcase_item": "成果展示"},
    fields={"finding": "调查结论", "assigned_to": "承办人", "investigation": "调查情况", "visibility": "公开范围",
            "progress": "进度", "term_name": "学期", "checks": "检查项"},
)
