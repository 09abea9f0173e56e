"""Models of the enrollment app, one module per part of the flow."""

from enrollment.models.matching import (
    LinkStatus,
    MatchChunk,
    MatchDecision,
    MatchEvent,
    MatchRun,
    Outcome,
    RememberedLink,
    ResidentFeatures,
    ResidentMatchKey,
    Resolution,
)
from enrollment.models.people import (
    RESIDENT_STATUS_FROM_REGISTER,
    Annex,
    IsaRecord,
    NhiMembership,
    Resident,
    ResidentEvent,
    ResidentStatus,
    Sex,
)

__all__ = [
    "RESIDENT_STATUS_FROM_REGISTER",
    "Annex",
    "IsaRecord",
    "LinkStatus",
    "MatchChunk",
    "MatchDecision",
    "MatchEvent",
    "MatchRun",
    "NhiMembership",
    "Outcome",
    "RememberedLink",
    "Resident",
    "ResidentEvent",
    "ResidentFeatures",
    "ResidentMatchKey",
    "ResidentStatus",
    "Resolution",
    "Sex",
]
