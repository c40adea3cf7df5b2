"""Pure data: the tables of the store and the rules that belong to them. Imports no Qt."""

from console.models.alert import OPEN_STATUSES, Alert, AlertEvent, AlertStatus, Severity
from console.models.base import MAX_STORED_INTEGER, Base, UTCDateTime, storable, utcnow
from console.models.incident import ALERT_BOT, INCIDENT_LABEL, Incident, IncidentStatus, Note
from console.models.integration import INTEGRATION_TYPES, Integration
from console.models.metrics import AlertRule, Dashboard
from console.models.setting import SettingRow
from console.models.template import IssueTemplate

__all__ = [
    "ALERT_BOT",
    "INCIDENT_LABEL",
    "INTEGRATION_TYPES",
    "MAX_STORED_INTEGER",
    "OPEN_STATUSES",
    "Alert",
    "AlertEvent",
    "AlertRule",
    "AlertStatus",
    "Base",
    "Dashboard",
    "Incident",
    "IncidentStatus",
    "Integration",
    "IssueTemplate",
    "Note",
    "SettingRow",
    "Severity",
    "UTCDateTime",
    "storable",
    "utcnow",
]
