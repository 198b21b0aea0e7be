"""evaltui: find a problem in production logs, turn it into a dataset, evaluate a fix.

The core (store, ingest, scoring, topics, curation, evals) never imports Textual;
the TUI is one client of it, the CLI another, this Python API a third.
"""

__version__ = "0.1.0"

# The public Python API, imported on first use so `import evaltui` stays light.
_LAZY = {
    "Eval": ("evaltui.evals.runner", "Eval"),
    "EvalAsync": ("evaltui.evals.runner", "EvalAsync"),
    "EvalHooks": ("evaltui.evals.hooks", "EvalHooks"),
    "Score": ("evaltui.scoring.protocol", "Score"),
    "init_dataset": ("evaltui.curation.dataset", "init_dataset"),
    "Dataset": ("evaltui.curation.dataset", "Dataset"),
    "compare_experiments": ("evaltui.evals.compare", "compare_experiments"),
    "load_prompt": ("evaltui.prompts.versions", "load_prompt"),
    "init_function": ("evaltui.scoring.stored", "init_function"),
    "init": ("evaltui.evals.experiment_log", "init"),
    "init_experiment": ("evaltui.evals.experiment_log", "init_experiment"),
    "login": ("evaltui.evals.experiment_log", "login"),
    "init_logger": ("evaltui.tracing", "init_logger"),
    "current_logger": ("evaltui.tracing", "current_logger"),
    "current_span": ("evaltui.tracing", "current_span"),
    "traced": ("evaltui.tracing", "traced"),
    "wrap_openai": ("evaltui.tracing", "wrap_openai"),
    "wrap_anthropic": ("evaltui.tracing", "wrap_anthropic"),
    "flush": ("evaltui.tracing", "flush"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'evaltui' has no attribute {name!r}")
