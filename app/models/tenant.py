"""The mark of tenant-owned tables: rows that belong to one partner."""
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class TenantOwned:
    """Mixin for rows owned by a partner; partner-scoped queries see only their own rows."""

    @declared_attr
    def partner_id(cls) -> Mapped[int]:
        """The owning partner."""
        return mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
