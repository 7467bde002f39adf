"""Tables of outcome reporting, one module per area."""

from kehou.plugins.outcome_reporting.models.evaluation import EvaluationRun, EvaluationScore
from kehou.plugins.outcome_reporting.models.reports import ReportJob
from kehou.plugins.outcome_reporting.models.supervision import Complaint, ComplaintStep, Incident, Patrol
from kehou.plugins.outcome_reporting.models.surveys import SchoolRating, ShowcaseItem, Survey, SurveyResponse

__all__ = ["Complaint", "ComplaintStep", "EvaluationRun", "EvaluationScore", "Incident", "Patrol", "ReportJob",
           "SchoolRating", "ShowcaseItem", "Survey", "SurveyResponse"]
