"""How this works: short plain-language pages per role (issue 15)."""
