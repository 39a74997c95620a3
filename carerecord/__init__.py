"""carerecord: a read-only, joined-up view of a person's health and care record."""

__version__ = "0.1.0"
