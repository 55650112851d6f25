"""The runs table: one flat row per run, what it was, how it was trained and how it did, for people to read."""
from __future__ import annotations

from .runs import IMPORTED, Run, RunError
from .settings import AUGMENTATION, in_section
from .spec import describe_spec


def table(run_list: list[Run]) -> list[dict]:
    """One flat row per run for a runs table: what it was, how it was trained, how it did.

    A run whose files cannot be read still gets a row, with status "unreadable"
    and the reason, so that it can be seen and deleted.
    """
    rows = []
    for run in run_list:
        try:
            s, config = run.summary(), run.config
        except RunError as exc:
            rows.append({"id": run.id, "status": "unreadable", "error": str(exc)})
            continue
        imported = s["status"] == IMPORTED
        rows.append({
            "id": run.id, "status": s["status"], "preset": s["preset"],
            "architecture": config.get("architecture") or describe_spec(config.get("spec") or []),
            "epochs": None if imported else config.get("epochs"), "epochs_done": None if imported else s["epochs_done"],
            "batch_size": config.get("batch_size"), "optimizer": config.get("optimizer"),
            "learning_rate": config.get("learning_rate"), "augmentation": _augmentation(config),
            "subset": config.get("subset") or (None if imported else 50_000),
            "best_val_accuracy": s["best_val_accuracy"], "final_val_accuracy": s["final_val_accuracy"],
            "test_accuracy": s["test_accuracy"], "train_seconds": s["train_seconds"],
            "created": s["created"], "error": s["error"],
        })
    return rows


def _augmentation(config: dict) -> str | None:
    """'flip, shift 2, cutout 4': the augmentations a run's config turns on, by the settings table."""
    if config.get("preset") == "imported":
        return None
    parts = [name if setting.kind is bool else f"{name} {config[name]}"
             for name, setting in in_section(AUGMENTATION).items() if config.get(name)]
    return ", ".join(parts) or "none"
