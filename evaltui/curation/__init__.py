"""Dataset building: buckets (failing / borderline / passing) from per-scorer
thresholds, a seeded stratified sample of a log slice, versions, import and export."""
