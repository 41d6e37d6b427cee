"""Issuer persistence models, one module per aggregate (CONVENTIONS §11).

Importing this package registers every table in :data:`metadata`, which Alembic and the tests
compare against the migrations.
"""

from __future__ import annotations

from issuer.models._base import IssuerModel, metadata
from issuer.models.applications import (
    Application,
    ApplicationCreate,
    ApplicationPublic,
    ApplicationReceipt,
    ApplicationStatusPublic,
    ResidenceAddress,
)
from issuer.models.audit import AuditEvent, AuditHead, Transition
from issuer.models.batches import Batch, BatchPublic, BatchUpload
from issuer.models.employers import Employer, EmployerCreate, EmployerPublic
from issuer.models.offers import AccessToken, CNonce, CredentialOffer
from issuer.models.officers import Officer, OfficerCreate, OfficerPublic, Role
from issuer.models.permits import (
    Credential,
    CredentialPublic,
    Permit,
    PermitPublic,
    PermitSequence,
)
from issuer.models.status import StatusAllocation, StatusList

__all__ = [
    "AccessToken",
    "Application",
    "ApplicationCreate",
    "ApplicationPublic",
    "ApplicationReceipt",
    "ApplicationStatusPublic",
    "AuditEvent",
    "AuditHead",
    "Batch",
    "BatchPublic",
    "BatchUpload",
    "CNonce",
    "Credential",
    "CredentialOffer",
    "CredentialPublic",
    "Employer",
    "EmployerCreate",
    "EmployerPublic",
    "IssuerModel",
    "Officer",
    "OfficerCreate",
    "OfficerPublic",
    "Permit",
    "PermitPublic",
    "PermitSequence",
    "ResidenceAddress",
    "Role",
    "StatusAllocation",
    "StatusList",
    "Transition",
    "metadata",
]
