"""Course catalogue plugin: offerings, school course supermarkets (课程超市), parent selection
(菜单双选) without overselling, one timetable per student (一人一课表), lessons and attendance.

Other plugins read it only through :mod:`kehou.plugins.course_catalogue.public`.
"""
