"""Offline payments' words in the audit log (``kehou_register_audit_vocabulary``)."""

from __future__ import annotations

from kehou.pluginapi import AuditVocabulary

VOCABULARY = AuditVocabulary(
    actions={"payments_offline.import": "导入银行流水", "payments_offline.match": "手工匹配银行流水"},
    entities={"offline_statement_line": "银行流水"},
    fields={"bank_txn_id": "银行流水号", "payer": "付款人", "paid_on": "到账日期", "matched": "已匹配", "unmatched": "未匹配",
            "rejected": "被拒行", "duplicates": "重复"},
)
