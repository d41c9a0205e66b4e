"""SQLAlchemy models, one module per noun."""
from app.models.catalogue_version import CatalogueVersion
from app.models.client import Client
from app.models.deal import Deal, DealLabel, DealStatusChange, Message
from app.models.lead_request import LeadRequest
from app.models.offer import Offer, ReminderDecision
from app.models.outbox import OutboxMessage
from app.models.partner import ApiToken, Partner, PartnerLanguage, partner_services
from app.models.pipeline import Pipeline
from app.models.quick_response import QuickResponse
from app.models.review import Review
from app.models.service import Service

__all__ = [
    "ApiToken", "CatalogueVersion", "Client", "Deal", "DealLabel", "DealStatusChange", "LeadRequest", "Message",
    "Offer", "OutboxMessage", "Partner", "PartnerLanguage", "Pipeline", "QuickResponse", "ReminderDecision",
    "Review", "Service", "partner_services",
]
