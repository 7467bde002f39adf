"""Interface text shared by every page (each page's own text sits in its views module)."""

COMMON = {
    "site": "课后服务第三方机构管理平台",
    "home": "首页",
    "login": "登录",
    "logout": "退出",
    "register": "机构注册",
    "public": "信息公开",
    "my_provider": "本机构",
    "county_desk": "审核工作台",
    "school_menus": "课程超市",
    "my_children": "我的孩子",
    "notifications": "消息",
    "settings": "政策设置",
    "audit": "审计日志",
    "blacklist": "黑名单",
    "submit": "提交",
    "save": "保存",
    "back": "返回",
    "none": "暂无",
    "error_title": "出错了",
    "footer": "依据“双减”政策要求，第三方机构须经县级教育行政部门审核准入后方可进校提供课后服务。",
}
