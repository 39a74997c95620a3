"""The FHIR REST API's read side: thin routes; access decides and audits."""
