"""Building the Excel add-in (.xlam) and the macro-enabled templates: a developer and install tool, apart from the runtime."""
