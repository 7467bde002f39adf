"""The evaluation pages' text (Simplified Chinese), in one place."""

from kehou.plugins.outcome_reporting.policy import INDICATORS

TEXT = {
    "title": "机构考核评价",
    "intro": "按本区县设置的评价指标和权重，对本学期有课程的每家机构打分、排名并说明失分原因；"
             "发布后机构可查看本机构结果，低于合格分或任一单项低于最低分的机构自动提请退出。",
    "runs": "评价记录", "term": "学期", "status": "状态", "computed": "计算时间", "published": "发布时间", "empty": "暂无",
    "compute": "计算评价", "as_of": "计课截至日期（可空）", "submit": "计算", "publish": "发布结果并提请不合格机构退出",
    "publish_confirm": "发布后结果向机构公开，不合格机构将进入退出程序。确定发布吗？",
    "rank": "排名", "provider": "机构", "total": "总分", "verdict": "结论", "passed": "合格", "failed": "不合格",
    "indicator": "指标", "weight": "权重", "effective_weight": "折算权重", "score": "得分", "lost": "失分",
    "min": "单项最低分", "why": "说明", "not_scored": "不计分", "config": "评价设置", "pass_score": "合格分",
    "proposal": "已提请退出", "not_rated": "未评价",
    "not_rated_why": "本学期没有巡课、应上课次、问卷或投诉处理等记录：不评分、不排名、不判定合格与否。",
    "unrated_heading": "未评价的机构", "done": "已完成，记入审计日志。", "back": "返回评价列表",
    "own_intro": "本机构在各区县已发布的考核评价结果。家长问卷为匿名汇总，机构看不到填写人。",
}
STATUS = {"draft": "草稿", "published": "已发布", "superseded": "已被新结果取代"}
FAILURES = {"total_below_pass": "总分低于合格分"} | {f"min:{k}": f"{v}低于单项最低分" for k, v in INDICATORS.items()}
