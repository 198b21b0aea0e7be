"""Prompts as versioned things: a prompt file (text, or a chat template with
``{{variables}}``, a model and parameters) is stored under a name; each new content hash
is a new version. ``load_prompt(NAME, version=None)`` builds OpenAI-style messages and
records the version on the eval case that built it, so an experiment knows which prompt
version it ran and a diff of two experiments shows what changed in the prompt."""
