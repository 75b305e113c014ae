"""The "Software 2.0" demo: a network learns y = 2x + 3, approximately."""
