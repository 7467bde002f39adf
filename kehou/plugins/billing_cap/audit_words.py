"""Billing's words in the audit log (``kehou_register_audit_vocabulary``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.pluginapi import AuditVocabulary


def _bills(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.plugins.billing_cap.models import Bill

    return dict(session.execute(select(Bill.id, Bill.reference).where(Bill.id.in_(ids))).all())


VOCABULARY = AuditVocabulary(
    actions={
        "billing.issue": "开具账单", "billing.payment": "收到缴费", "billing.refund": "退费", "billing.refund_failed": "退费失败",
        "billing.waiver": "减免", "billing.close_term": "学期结算（多退少补）", "billing.exit_refunds": "机构退出退费",
        "billing.pay_refunds": "支付退费", "settlement.draft": "生成机构结算单", "settlement.approve": "审核结算单",
        "settlement.paid": "结算单已付款",
    },
    entities={"bill": "账单", "settlement": "结算单", "school_term": "学期"},
    fields={"total_fen": "应缴（分）", "paid_fen": "已缴（分）", "refunded_fen": "已退（分）", "tier": "减免档次",
            "gateway": "支付方式", "external_id": "交易号", "lines": "明细"},
    names={"bill": _bills},
)
