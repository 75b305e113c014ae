"""Per-cell statistics: exact ones from the processed distribution, empirical ones from draws."""
