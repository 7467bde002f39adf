"""Benchmark of the vetting rules on a large application: 50 staff, 150 documents, 20 courses.

Pure computation on a snapshot (no database): what one vetting run costs once the
snapshot is built. Run: ``python -c "from benchmarks.vetting import bench_vetting_rules; bench_vetting_rules()"``.
"""

from __future__ import annotations

import datetime as dt
import time

from kehou.platform.providers.identifiers import uscc_check_char
from kehou.vetting.engine import run_rules, summarise
from kehou.vetting.rules import BUILTIN_RULES
from kehou.vetting.rules.defaults import DEFAULTS
from kehou.vetting.types import CourseSnapshot, DocumentSnapshot, ProviderSnapshot, StaffSnapshot, VettingInput

TITLES = ["少儿国画启蒙", "趣味科学实验", "书法练习（硬笔）", "篮球基础", "非遗剪纸", "创意美术", "少儿编程", "机器人搭建",
          "围棋入门", "合唱团", "绘本阅读与分享", "校园足球", "京剧脸谱", "微生物的奥秘", "中考体育跳绳训练", "心理成长小组",
          "陶艺手作", "演讲与口才", "逻辑思维训练", "古诗词吟诵"]
DESCRIPTION = ("面向三至六年级学生，每周两次，每次一课时。课程注重动手实践与团队合作，"
               "学期末举办成果展示，不涉及语文、数学等学科内容。")
STATEMENT = ("本机构为依法登记的民办非企业单位，多年来坚持公益普惠原则，开展体育、艺术、科普和传统文化活动。"
             "全部授课人员均持有相应资格证书并经无犯罪记录核查，承诺不开展学科类培训，不进行商业推广。") * 4


def _doc(i: int, doc_type: str, staff_id: int | None = None, **kw) -> DocumentSnapshot:  # type: ignore[no-untyped-def]
    base = {"number": f"N-{i:05d}", "issuer": "杭州市西湖区", "valid_from": dt.date(2025, 1, 1), "valid_to": None,
            "scope_text": "", "status": "accepted", "original_name": f"{doc_type}-{i}.pdf"}
    return DocumentSnapshot(id=i, doc_type=doc_type, staff_id=staff_id, **(base | kw))


def build_input(n_staff: int = 50, n_documents: int = 150, n_courses: int = 20) -> VettingInput:
    today = dt.date(2026, 3, 1)
    body = "52330106MJ0000001"
    provider = ProviderSnapshot(id=1, name="西湖青少年活动中心", uscc=body + uscc_check_char(body), uscc_hash="org-hash",
                                org_type="private_non_enterprise", legal_rep_name="张三", legal_rep_id_hash="rep-hash",
                                legal_rep_id_last4="0015")
    staff = tuple(StaffSnapshot(id=i, name=f"老师{i}", id_hash=f"staff-hash-{i}", id_last4=f"{i:04d}",
                                qualification_type="professional_certificate", qualification_number=f"ZY-{i:04d}",
                                criminal_record_issued_on=dt.date(2026, 1, 1) + dt.timedelta(days=i % 40),
                                is_serving_teacher=False) for i in range(1, n_staff + 1))
    docs = [_doc(1, "non_enterprise_registration", scope_text="青少年体育、艺术、科普、阅读活动；传统文化传承；心理健康教育",
                 valid_to=dt.date(2030, 12, 31)),
            _doc(2, "insurance", valid_to=dt.date(2027, 6, 30)), _doc(3, "safety_commitment")]
    for s in staff:
        docs.append(_doc(len(docs) + 1, "qualification_certificate", s.id, number=s.qualification_number))
        docs.append(_doc(len(docs) + 1, "criminal_record_certificate", s.id, valid_from=s.criminal_record_issued_on))
    for s in staff:  # identity documents for as many staff as fit, up to n_documents in all
        if len(docs) >= n_documents:
            break
        docs.append(_doc(len(docs) + 1, "id_card", s.id))
    courses = tuple(CourseSnapshot(title=TITLES[i % len(TITLES)], description=DESCRIPTION, category="体育艺术")
                    for i in range(n_courses))
    blacklist = frozenset({("person", f"listed-{i}") for i in range(1000)} | {("organisation", f"org-{i}") for i in range(200)})
    return VettingInput(county_code="330106", today=today, period_end=dt.date(2027, 2, 28), provider=provider, staff=staff,
                        documents=tuple(docs), categories=("体育艺术", "科普", "阅读", "优秀传统文化", "心理健康"),
                        courses=courses, statement=STATEMENT, settings=dict(DEFAULTS), blacklist=blacklist)


def bench_vetting_rules(iterations: int = 200) -> None:
    inp = build_input()
    rules = list(BUILTIN_RULES)
    assert len(inp.staff) == 50 and len(inp.documents) == 150 and len(inp.courses) == 20
    findings = run_rules(inp, rules)  # warm up
    start = time.perf_counter()
    for _ in range(iterations):
        run_rules(inp, rules)
    per = (time.perf_counter() - start) / iterations * 1000
    counts = summarise(findings)
    print(f"vetting rules, 50 staff / 150 documents: {per:.2f} ms per application "
          f"({len(rules)} rules, 20 courses, {iterations} runs; "
          f"findings pass={counts['pass']} warn={counts['warn']} block={counts['block']})")


if __name__ == "__main__":
    bench_vetting_rules()
