"""Commercial promotion in course titles, descriptions and the application statement."""

from __future__ import annotations

from kehou.vetting.rules.content import Wording, scan_submission
from kehou.vetting.types import Finding, Rule, VettingInput

NAME = "promotion"
SOURCE = ("POLICY.md 课程：严禁商业推广、诱导学生参加校外培训（001、002篇2）；公益第三方不得带有商业推广和商业隐含元素（004）；"
          "区县设置 vetting.promotion_words / promotion_warn_words")
WORDING = Wording("商业推广用语", "疑似商业推广用语", "请人工核实是否含商业推广")


def check(inp: VettingInput) -> list[Finding]:
    return scan_submission(inp, name=NAME, source=SOURCE, block_key="vetting.promotion_words",
                           warn_key="vetting.promotion_warn_words", allow_key=None, wording=WORDING)


RULE = Rule(name=NAME, label="商业推广", source=SOURCE, check=check)
