"""The built-in Chinese agreement texts (version 0 of every county's templates) and standard clauses.

A county saves its own versions (``templates.save``); until it does, these apply. Parties are not
named in the body: the text begins with the list of parties (甲方, 乙方, 丙方) and ends with the
signature block, both written by ``render.compose``.
"""

from __future__ import annotations

#: Placeholders a template of each kind may use, with their meaning (shown on the template page).
PLACEHOLDER_LABELS = {
    "county_name": "区县名称（自动填写）",
    "school_name": "学校名称（自动填写）",
    "provider_name": "机构名称（自动填写）",
    "student_name": "学生姓名（自动填写）",
    "parent_name": "监护人姓名",
    "term": "学期（自动填写）",
    "categories": "准入服务类别",
    "period": "准入有效期",
    "course": "服务内容（课程名称、类别、授课人员）",
    "schedule": "上课时间和地点",
    "fee": "收费标准",
    "materials": "材料费",
    "refund_rule": "退费规则（含规则版本）",
    "safety": "安全责任",
    "insurance": "保险",
    "complaint_channel": "投诉渠道",
    "signing_note": "签署说明",
}

_COMMON = ("county_name", "provider_name", "safety", "insurance", "complaint_channel", "signing_note")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "admission": (*_COMMON, "categories", "period"),
    "service": (*_COMMON, "school_name", "term", "course", "schedule", "fee", "materials", "refund_rule"),
    "tripartite": (*_COMMON, "school_name", "parent_name", "student_name", "term", "course", "schedule", "fee", "materials",
                   "refund_rule"),
}
#: Placeholders a county's template of the kind must keep: what the agreement exists to fix.
REQUIRED: dict[str, tuple[str, ...]] = {
    "admission": ("categories", "period"),
    "service": ("fee", "refund_rule"),
    "tripartite": ("fee", "refund_rule"),
}

SAFETY = ("机构进校人员须经学校登记、持证上岗，遵守学校安全管理制度，不得在服务期间擅离岗位；机构与学校每日落实考勤和"
          "交接班制度，学生名单逐一交接并当日记录；发生意外或安全事故时，立即报告学校并配合救治和处置。")
INSURANCE = ("学校已投保校方责任保险，保障范围覆盖课后服务时段；机构应为其进校人员投保相应的责任保险；家长可根据自愿原则"
             "为学生购买意外伤害保险，学校和机构不得强制购买或代为推销。")
SIGNING_NOTE = ("本协议在课后服务第三方机构管理平台上以电子方式签署。平台记录每一方的签署人、签署时间、IP地址和本协议"
                "PDF文件的SHA-256摘要；协议文本变更后，此前的签署失效，须重新签署。")


def standard_values(county_name: str) -> dict[str, str]:
    """Clauses used when the caller gives no value of its own."""
    return {
        "safety": SAFETY,
        "insurance": INSURANCE,
        "complaint_channel": (f"{county_name}教育行政部门课后服务监督电话（见本平台“信息公开”页面）；学校课后服务负责人。"
                              "接到投诉后应在5个工作日内答复。"),
        "signing_note": SIGNING_NOTE,
    }


DEFAULT_TITLES = {
    "admission": "{county_name}课后服务第三方机构准入协议",
    "service": "课后服务委托协议（{term}）",
    "tripartite": "课后服务三方协议（{student_name}，{term}）",
}

DEFAULT_BODIES = {
    "admission": """\
为规范第三方机构参与中小学课后服务，依据国家“双减”政策和{county_name}课后服务有关规定，经甲方审核、公示，乙方已列入{county_name}课后服务第三方机构白名单。双方在平等自愿的基础上订立本协议。

一、服务内容
乙方准入的服务类别为：{categories}。乙方只能在上述类别内，与学校另行签订服务协议后进校提供非学科类课后服务，不得开展学科类培训，不得借机向学生推销课程、商品或服务。

二、上课时间地点
具体课程、上课时间和地点由学校与乙方在服务协议中约定，乙方应按学校课表准时到校。

三、收费标准与材料费
乙方收费须执行{county_name}公布的收费标准和上限；材料费据实收取、事先公示，不得以任何名义额外收费。

四、退费规则
学生退课、课程取消或乙方退出服务的，按服务协议和三方协议约定的退费规则办理，退费不得设置额外条件。

五、安全责任
{safety}

六、保险
{insurance}

七、监督与退出
甲方对乙方开展日常监管和年度评估。乙方出现资质失效、安全事故、违规收费、评估不合格等情形的，甲方可暂停其服务或将其移出白名单，本协议随之终止。

八、投诉渠道
{complaint_channel}

九、协议期限
准入有效期为{period}。有效期届满前乙方应申请留库审查；本协议自双方签署之日起生效，至准入有效期届满或乙方被移出白名单之日终止。

十、其他
{signing_note}
本协议未尽事宜，按照国家和{county_name}有关规定执行。
""",
    "service": """\
为落实“双减”政策、丰富课后服务内容，甲方委托乙方在{term}为本校学生提供课后服务。乙方已列入{county_name}课后服务第三方机构白名单。双方在平等自愿的基础上订立本协议。

一、服务内容
{course}
乙方应按经审核的课程方案授课，不得开展学科类培训，不得向学生推销课程、商品或服务。

二、上课时间地点
{schedule}
乙方不得擅自调课、停课；确需调整的，应提前与甲方协商，由甲方通知家长。

三、收费标准与材料费
收费标准：{fee}
材料费：{materials}
收费不得高于{county_name}公布的标准和上限，由学校或按规定渠道统一收取，乙方不得直接向学生或家长收费。

四、退费规则
{refund_rule}

五、安全责任
{safety}
甲方负责提供安全的教学场地并安排教师参与管理；乙方负责其进校人员的管理和授课期间的教学秩序。

六、保险
{insurance}

七、投诉渠道
{complaint_channel}
甲方组织学生和家长对乙方的服务进行评价，评价结果报{county_name}教育行政部门。

八、协议期限
本协议期限为{term}，自双方签署之日起生效。期满后经双方同意可续签。

九、其他
{signing_note}
""",
    "tripartite": """\
为保障学生参加课后服务期间的权益，明确各方权利和义务，经乙方自愿选择，学生{student_name}参加丙方在甲方开设的课后服务课程。三方订立本协议。

一、服务内容
{course}
丙方不得开展学科类培训，不得向学生和家长推销课程、商品或服务。

二、上课时间地点
{schedule}

三、收费标准与材料费
收费标准：{fee}
材料费：{materials}
乙方确认已知悉上述收费标准；除此之外，任何一方不得以任何名义向乙方收取其他费用。

四、退费规则
{refund_rule}
本条所载退费规则为乙方选课时确认的版本。

五、安全责任
{safety}
乙方应教育学生遵守课堂纪律和安全规定，按学校规定的时间接送学生；学生因故缺课的，应提前告知甲方。

六、保险
{insurance}

七、投诉渠道
{complaint_channel}

八、协议期限
本协议期限为{term}。学生退课、课程取消或丙方退出服务的，按第四条办理退费后本协议终止。

九、其他
乙方（监护人）：{parent_name}
{signing_note}
""",
}
