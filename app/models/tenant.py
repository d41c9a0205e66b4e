"""The mark of tenant-owned tables: rows that belong to one partner."""


class TenantOwned:
    """Mixin for models with a partner_id; partner-scoped queries see only their own rows."""
