"""Default values of the vetting and document settings.

Kept apart from :mod:`kehou.vetting.plugin` (which wraps them in ``SettingSpec``)
so that rules can fall back to them without importing the plugin. Every word
list is a county setting: the defaults are a starting point, not the law.
"""

from __future__ import annotations

from typing import Any

#: Organisation documents each org type must hold (keys of DOCUMENT_TYPES or documents.extra_types).
REQUIRED_TYPES: dict[str, list[str]] = {
    "enterprise": ["business_licence", "insurance", "safety_commitment"],
    "private_non_enterprise": ["non_enterprise_registration", "insurance", "safety_commitment"],
    "public_institution": ["public_institution_certificate", "safety_commitment"],
    "social_organisation": ["social_organisation_registration", "insurance", "safety_commitment"],
    "training_institution": ["business_licence", "school_licence", "insurance", "safety_commitment"],
    "individual": ["id_card", "insurance", "safety_commitment"],
}

#: Subjects managed as 学科类 by the Ministry of Education (2021 notice on the scope of subject
#: training: 道德与法治、语文、历史、地理、数学、外语、物理、化学、生物), plus the usual words of
#: exam-oriented training. "政治" is left out on purpose: statements often say "政治方向".
#: 科学 (primary science) is not on the Ministry's list and 科普 is explicitly encouraged.
ACADEMIC_WORDS: list[str] = [
    # subjects
    "语文", "数学", "英语", "英文", "外语", "日语", "俄语", "物理", "化学", "生物", "历史", "地理", "道德与法治",
    # subject content and test preparation
    "奥数", "作文", "阅读理解", "拼音", "自然拼读", "新概念", "单词", "语法", "音标", "口算", "速算", "学科知识",
    # the forms of make-up classes the policy bans (学科集中教学、集体补课、新课)
    "同步辅导", "同步练习", "提分", "刷题", "补课", "补习", "培优", "拔高", "预习", "复习", "超前学习",
    "小升初", "中考", "高考", "应试", "真题", "考点",
]

#: The subjects themselves: in a course with a non-academic theme (英语戏剧、数学桌游) a person decides.
SUBJECT_NAMES = ["语文", "数学", "英语", "英文", "外语", "日语", "俄语", "物理", "化学", "生物", "历史", "地理", "道德与法治"]

#: Non-academic themes (activity forms the policy encourages: arts, sport, science popularisation, labour,
#: culture). A text with a subject name and one of these is a warning for a reviewer, not a block — unless it
#: also holds a word of subject training (提分、同步辅导 …: every blocking word that is not a subject name),
#: which blocks whatever the theme. Left out on purpose: "趣味", "思维" and "游戏" (趣味数学、数学思维游戏 are the
#: usual names of 奥数) and "实验" (化学实验、物理实验 are the subjects' own lab work).
ACADEMIC_THEME_WORDS: list[str] = [
    "戏剧", "课本剧", "话剧", "绘本", "桌游", "棋", "手工", "书法", "美术", "绘画", "音乐", "歌曲", "合唱",
    "舞蹈", "体育", "运动", "科普", "编程", "机器人", "电影", "动画", "博物", "非遗", "剪纸", "劳动",
    "种植", "烹饪", "魔术", "研学", "天文",
]

#: Words that often, but not always, mean subject training: a warning for a person to judge.
#: 辅导 (作业辅导 is the school's job, 心理辅导 is fine), 思维训练 (the usual disguise of 奥数),
#: 识字 / 古诗词 (语文 content, or traditional culture), 同步 / 衔接 (同步课、幼小衔接).
ACADEMIC_WARN_WORDS: list[str] = ["辅导", "思维训练", "识字", "古诗词", "同步", "衔接"]

#: Phrases that contain an academic word but are not subject training. They are masked out
#: before matching, so "微生物的奥秘" passes while "生物同步辅导" still blocks.
#: Chosen narrowly: only where the academic word is part of another word (微生物、生物多样性、
#: 跨学科 — seed 001 asks for 跨学科综合实践活动), or where the policy names the activity as
#: non-academic (体育 is 非学科类, so 中考体育 training is sport; 心理辅导 is mental health;
#: 历史文化 is local heritage under 优秀传统文化). English drama, picture books or songs are NOT
#: allowed by default: seed 003 lists 英语课本剧社团 among the subject clubs that "延伸课堂学习知识".
ACADEMIC_ALLOW: list[str] = [
    "微生物", "生物多样性", "跨学科", "中考体育", "体育中考", "心理辅导", "心理健康辅导", "历史文化",
]

#: Commercial promotion, banned in after-school services (001, 002 篇2, 004): selling packages,
#: renewals, trial lessons and funnels to the provider's own off-campus classes.
PROMOTION_WORDS: list[str] = [
    "报名优惠", "报名即送", "优惠券", "限时优惠", "特价", "折扣", "打折", "团购", "续费", "续报", "课时包",
    "赠送课时", "充值", "扫码领取", "试听课", "免费试听", "免费试学", "加微信", "添加微信", "转介绍", "老带新",
    "暑假班", "寒假班", "暑期班", "校外班", "到店",
]

#: Promotion hints that have innocent uses (赠送材料, a 公众号 for showing pupils' work,
#: "本机构课程" in a plain description): a warning, not a block.
PROMOTION_WARN_WORDS: list[str] = ["优惠", "赠送", "礼品", "微信", "二维码", "公众号", "免费体验", "机构课程", "门店"]

#: For each default course category, words of which at least one must appear in the
#: business scope (经营范围/业务范围) of a licence for the category to be covered.
CATEGORY_SCOPE_KEYWORDS: dict[str, list[str]] = {
    "优秀传统文化": ["传统文化", "文化艺术", "国学", "书法", "非遗", "非物质文化遗产", "民俗", "戏曲", "武术", "茶艺", "剪纸"],
    "体育艺术": ["体育", "运动", "健身", "艺术", "音乐", "舞蹈", "美术", "文艺", "球类"],
    "劳动实践": ["劳动", "实践", "研学", "手工", "农事", "园艺", "烹饪", "家政", "木工", "陶艺"],
    "心理健康": ["心理"],
    "科普": ["科普", "科技", "科学", "编程", "机器人", "创客", "天文"],
    "阅读": ["阅读", "读书", "图书", "绘本", "朗诵", "演讲"],
    "社团兴趣": ["兴趣", "社团", "文化艺术", "体育", "科技", "棋"],
}

ORG_TYPES: list[str] = ["enterprise", "private_non_enterprise", "public_institution", "social_organisation",
                        "training_institution", "individual"]

DEFAULTS: dict[str, Any] = {
    "documents.allowed_types": ["pdf", "jpeg", "png"],
    "documents.max_size_bytes": 20 * 1024 * 1024,
    "documents.required_types": REQUIRED_TYPES,
    "documents.staff_required_types": ["qualification_certificate", "criminal_record_certificate"],
    "documents.extra_types": [],
    "documents.expiry_warning_days": 30,
    "vetting.criminal_record_max_months": 6,
    "vetting.forbid_serving_teachers": True,
    "vetting.academic_words": ACADEMIC_WORDS,
    "vetting.academic_warn_words": ACADEMIC_WARN_WORDS,
    "vetting.academic_allow": ACADEMIC_ALLOW,
    "vetting.academic_theme_words": ACADEMIC_THEME_WORDS,
    "vetting.academic_subject_words": SUBJECT_NAMES,
    "vetting.promotion_words": PROMOTION_WORDS,
    "vetting.promotion_warn_words": PROMOTION_WARN_WORDS,
    "vetting.category_scope_keywords": CATEGORY_SCOPE_KEYWORDS,
    "vetting.allowed_org_types": ORG_TYPES,
    "vetting.review_org_types": ["enterprise", "training_institution"],
    # declared by the core plugin; repeated here only as the fallback when a snapshot lacks them
    "admission.barred_org_types": [],
}
