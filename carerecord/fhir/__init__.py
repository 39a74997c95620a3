"""Small pure helpers over FHIR R4 resources held as plain dicts."""
