"""Upward and downward flows (DESIGN.md section 5): forwarding adopted proposals to parent
councils, the upward inbox and its clusters, the minister's answers, and national
consultations cascaded down the forum network."""
