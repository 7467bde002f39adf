"""Subject (学科类) content in course titles, descriptions and the application statement."""

from __future__ import annotations

from kehou.vetting.rules.common import words
from kehou.vetting.rules.content import Mixed, Wording, scan_submission
from kehou.vetting.types import Finding, Rule, VettingInput

NAME = "academic_content"
SOURCE = ("POLICY.md 课程：严禁学科集中教学、集体补课和新课（001、002篇2）；第三方服务须为非学科类（004）；"
          "区县设置 vetting.academic_words / academic_warn_words / academic_allow / academic_subject_words / "
          "academic_theme_words")
WORDING = Wording("学科类培训用语", "疑似学科类用语", "请人工核实是否为学科类培训")


def check(inp: VettingInput) -> list[Finding]:
    return scan_submission(inp, name=NAME, source=SOURCE, block_key="vetting.academic_words",
                           warn_key="vetting.academic_warn_words", allow_key="vetting.academic_allow", wording=WORDING,
                           mixed=Mixed(words(inp, "vetting.academic_subject_words"),
                                       words(inp, "vetting.academic_theme_words")))


RULE = Rule(name=NAME, label="学科类内容", source=SOURCE, check=check)
