"""The Eval runner (async workers, concurrency, trials, timeouts, resume) and the
comparison of two experiments case by case with paired statistics."""
