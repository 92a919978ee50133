"""Partner agencies, data-sharing agreements, uploaded packages, matching cycles, runs and hits."""
