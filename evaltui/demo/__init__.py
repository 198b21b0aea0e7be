"""The demo: a seeded sample-log generator (``generate``) and the offline sample support bot."""
