"""The door through which source systems push FHIR: who they are (auth) and what they send."""
