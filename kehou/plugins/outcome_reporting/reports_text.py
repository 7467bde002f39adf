"""Every piece of Chinese text of outcome reporting's reports area: the dashboard pages, the charts,
the Excel and PDF exports, the export job's stages and the messages shown after an action."""

from __future__ import annotations

DASHBOARD = {
    "title": "课后服务成效", "school_title": "本校课后服务成效", "term": "学期", "show": "查看",
    "intro": "按学期汇总课后服务的覆盖面、参与、出勤、满意度、监管与收费情况；数据来自选课、考勤、问卷、投诉与收费记录。",
    "no_terms": "本区县还没有课后服务学期数据。", "headline": "总体情况", "by_school": "各校情况",
    "by_category": "课程类别", "history": "学期对比", "charts": "图表", "export": "导出报告",
    "export_intro": "生成 Excel（多工作表）或 PDF 报告，可用于向上级报送。生成需要一点时间，完成后可在此下载。",
    "fmt": "格式", "start_export": "开始生成", "jobs": "最近的导出", "download": "下载", "status": "状态",
    "progress": "进度", "requested": "申请时间", "polling": "正在生成，页面会自动更新进度。", "failed": "生成失败",
    "none": "—", "yuan": "元",
}

FORMATS = {"xlsx": "Excel 表格（.xlsx）", "pdf": "PDF 文件（.pdf）"}

JOB_STATUS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}

STAGES = {"queued": "等待处理", "figures": "统计数据", "render": "生成文件", "store": "保存文件", "done": "完成",
          "failed": "失败"}

#: figure key -> label (dashboard tables, Excel and PDF)
FIGURES = {
    "schools": "学校数", "schools_served": "开展课后服务的学校", "coverage": "学校覆盖率（%）",
    "students": "在校学生数", "students_served": "参加课后服务的学生", "students_rate": "学生参与率（%）",
    "priority_students": "重点群体学生", "priority_served": "参加的重点群体学生", "priority_rate": "重点群体参与率（%）",
    "courses": "开设课程数", "enrolments": "选课人次", "attendance_marked": "考勤记录", "attendance_present": "出勤人次",
    "attendance_rate": "出勤率（%）", "responses": "家长问卷数", "satisfaction_mean": "家长满意度均分（0-100）",
    "satisfied_rate": "家长满意率（%）", "school_rating_mean": "学校评价均分（0-100）", "complaints": "投诉件数",
    "complaints_resolved": "已办结投诉", "handling_days_mean": "平均办结天数", "complaints_overdue": "逾期未办结投诉",
    "patrols": "巡课次数", "incidents": "安全事件", "collected_fen": "实收费用（元）", "waived_fen": "减免金额（元）",
    "refunded_fen": "退费金额（元）",
}
MONEY = {"collected_fen", "waived_fen", "refunded_fen"}
#: the columns of the by-school table and the term-over-term headlines
SCHOOL_COLUMNS = ("students", "students_served", "students_rate", "priority_served", "priority_rate", "courses",
                  "enrolments", "attendance_rate", "satisfaction_mean", "complaints", "collected_fen")
HISTORY_COLUMNS = ("coverage", "students_served", "students_rate", "priority_rate", "enrolments", "attendance_rate",
                   "satisfaction_mean", "complaints", "collected_fen")

CATEGORY = {"category": "类别", "providers": "机构数", "courses": "课程数", "enrolments": "选课人次"}
SCHOOL = {"school": "学校"}
TERM = {"term": "学期"}

CHARTS = {
    "coverage": "各校学生参与率（%）", "categories": "各类别选课人次", "history": "学期对比（%）",
    "satisfaction": "家长满意度与学校评价（0-100）", "history_served": "学生参与率", "history_attendance": "出勤率",
    "history_satisfied": "家长满意率", "parents": "家长满意度均分", "schools": "学校评价均分", "satisfied": "家长满意率",
}

SHEETS = {"summary": "汇总", "schools": "分校", "categories": "分类别", "history": "学期对比"}
EXPORT = {"generated": "生成时间", "county": "区县", "figure": "指标", "value": "数值", "page": "第 {n} 页",
          "source": "数据来源：课后服务第三方机构管理平台（选课、考勤、问卷、投诉与收费记录）。学生数按当前在册名单计。"}

DONE = {"export_started": "已开始生成报告，完成后可在本页下载。"}

ERRORS = {
    "fmt": "导出格式须为 {formats} 之一。", "term": "请选择学期。", "job_not_found": "导出任务不存在。",
    "not_ready": "报告尚未生成完成。", "no_renderer": "没有可用的「{fmt}」格式生成程序。", "failed": "报告生成失败：{error}",
    "interrupted": "生成过程中处理程序中断（已尝试{n}次），请重新导出。",
}

NOTIFY = {"title": "课后服务成效报告已生成", "body": "{title}（{fmt}）已生成，可在成效页面下载。"}
