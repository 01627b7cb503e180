"""Residents' requests (诉求): intake and routing, stages, the working-day clock, escalation,
duplicates, plans that change under open requests, assessment figures, Open311."""

from gisgrid.requests.answers import request_answer
from gisgrid.requests.batch import MAX_BATCH, take_in_batch
from gisgrid.requests.cases import ESCALATION_LEVELS, escalate_overdue, move_request
from gisgrid.requests.clock import WorkCalendar
from gisgrid.requests.follow import follow_plan
from gisgrid.requests.intake import DUPLICATE_M, SOURCES, Intake, Rules, RulesCache, take_in
from gisgrid.requests.stages import TRANSITIONS, allowed_from, check_transition
from gisgrid.requests.stats import STAT_FIELDS, request_stats
from gisgrid.rules import OPEN_STAGES, OVERDUE_SQL, REQUEST_STAGES

__all__ = ["DUPLICATE_M", "ESCALATION_LEVELS", "MAX_BATCH", "OPEN_STAGES", "OVERDUE_SQL", "REQUEST_STAGES",
           "SOURCES", "STAT_FIELDS", "TRANSITIONS", "Intake", "Rules", "RulesCache", "WorkCalendar",
           "allowed_from",
           "check_transition", "escalate_overdue", "follow_plan", "move_request", "request_answer",
           "request_stats", "take_in", "take_in_batch"]
