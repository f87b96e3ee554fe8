"""The administration screens: practice settings, offices, staff, web forms, phones, spend, audit,
and the platform operator's practices and call centers. Handlers parse, call one domain function
and render; the rules are in router/."""
