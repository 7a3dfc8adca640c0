"""YouTube Analytics Lakehouse."""
