"""SQLAlchemy models of the platform database. Import from here so Alembic sees them all."""

from .accounts import ROLE_LABELS, Account, AccountRole, Role
from .associations import Association
from .audit import AuditEntry
from .base import Base, UTCDateTime, utcnow
from .certificates import Certificate, CertificateJob
from .cohorts import Cohort, CohortCourse, CohortMember, Programme
from .learning import (
    Attendance,
    CompletionEvent,
    Course,
    CourseCompletion,
    CourseTrainer,
    Enrolment,
    Grade,
    GradingJob,
    JobState,
    Module,
    ModuleKind,
    ModuleResult,
    ResultStatus,
    StudyHours,
    Submission,
)
from .lessons import LessonAnswers
from .logins import KnownClient, LoginThrottle, ThrottleKind
from .members import HubSync, Member, Membership, Standing
from .messages import Message, MessageDelivery
from .onsite import OnsiteSession, WrongCheckinCode
from .service_state import OAuthState, RequestCount

__all__ = [
    "ROLE_LABELS",
    "Account",
    "AccountRole",
    "Association",
    "Attendance",
    "AuditEntry",
    "Base",
    "Certificate",
    "CertificateJob",
    "Cohort",
    "CohortCourse",
    "CohortMember",
    "CompletionEvent",
    "Course",
    "CourseCompletion",
    "CourseTrainer",
    "Enrolment",
    "Grade",
    "GradingJob",
    "HubSync",
    "JobState",
    "KnownClient",
    "LessonAnswers",
    "LoginThrottle",
    "Member",
    "Membership",
    "Message",
    "MessageDelivery",
    "Module",
    "ModuleKind",
    "ModuleResult",
    "OAuthState",
    "OnsiteSession",
    "Programme",
    "RequestCount",
    "ResultStatus",
    "Role",
    "Standing",
    "StudyHours",
    "Submission",
    "ThrottleKind",
    "UTCDateTime",
    "WrongCheckinCode",
    "utcnow",
]
