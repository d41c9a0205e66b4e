"""Partner sessions (Flask-Login): who is signed in, and partner pages scoped to that partner's rows."""
from dataclasses import dataclass
from functools import wraps

from flask_login import UserMixin, current_user, login_required

from app.models import Partner
from app.services import accounts
from app.services.tenancy import acting_as


@dataclass(frozen=True)
class PartnerUser(UserMixin):
    """The signed-in partner, as the pages need it."""

    id: int
    session_key: str
    name: str
    email: str
    timezone: str
    ui_language: str | None

    @classmethod
    def of(cls, partner: Partner) -> "PartnerUser":
        """Describe a partner row for the session."""
        return cls(id=partner.id, session_key=accounts.session_key(partner), name=partner.name,
                   email=partner.email, timezone=partner.timezone or "UTC", ui_language=partner.ui_language)

    def get_id(self) -> str:
        """Return the session id (it changes with the password, ending older sessions)."""
        return self.session_key


def load_user(session_key: str) -> PartnerUser | None:
    """Return the partner a session names, or None."""
    partner = accounts.partner_for_session(session_key)
    return PartnerUser.of(partner) if partner else None


def partner_page(view):
    """Require a signed-in partner and scope every query in the view to its rows."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        with acting_as(current_user.id):
            return view(*args, **kwargs)
    return wrapper
