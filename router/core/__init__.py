"""The foundation: settings, database, schema, clock, events, encryption, errors, ports, the Domain."""
