"""Ingest: bytes from a source become validated FHIR resources, ready for identity and store."""
