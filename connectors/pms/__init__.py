"""The practice-management system: a FHIR R4 adapter, a file-export reader, a local FHIR test server."""
