"""A run's settings as rows people read (name, value in words, what it does), and the settings that differ
between runs.

The names, units and meanings come from the table of training settings
(``settings.SETTINGS``); the network is written with Keras's layer names.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .recipes import PRESETS
from .settings import SETTINGS, Setting, TrainConfig

# what a run trained with where its config predates a setting: the setting's default
DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}

OTHER_PRESETS = {"custom": "Custom (edited layer by layer)", "imported": "Imported model"}


def preset_title(key: str | None) -> str:
    """'two_block' -> 'Two-block': how people call a preset."""
    if key in PRESETS:
        return PRESETS[key].title
    return OTHER_PRESETS.get(key, str(key or "unknown"))


def value_text(setting: Setting, value) -> str:
    """One setting's value in words, with its unit: 'yes', '2 pixels', 'SGD with Nesterov momentum', 'all'."""
    if value is None:
        return "all" if setting.optional else "–"
    if setting.kind is bool:
        return "yes" if value else "no"
    if setting.names and value in setting.names:
        return setting.names[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value):,}"
    else:
        text = f"{value:g}"
    if not setting.unit:
        return text
    unit, _, rest = setting.unit.partition(" ")
    unit = unit[:-1] if text == "1" and unit.endswith("s") else unit  # 1 epoch, 1 pixel
    return " ".join(filter(None, (text, unit, rest)))


def _layer_text(layer: Mapping) -> str:
    kind = layer.get("type", "?")
    if kind == "conv":
        return f"Conv2D {layer.get('filters', '')}".strip()
    if kind == "pool":
        return "AveragePooling2D" if layer.get("kind") == "avg" else "MaxPooling2D"
    if kind == "dense":
        return f"Dense {layer.get('units', '')}".strip()
    if kind == "dropout":
        return f"Dropout {layer.get('rate', 0):g}"
    if kind == "activation":
        return f"Activation {layer.get('fn', '')}".strip()
    if kind == "block":
        return f"conv block {layer.get('filters', '')}".strip()
    return {"batchnorm": "BatchNormalization", "flatten": "Flatten", "gap": "GlobalAveragePooling2D",
            "whiten": "fixed whitening", "scale": "Rescaling"}.get(kind, kind)


def network_text(config: Mapping) -> str:
    """The run's network in Keras's layer names: 'Conv2D 32 → MaxPooling2D → Flatten → Dense 10'."""
    if config.get("architecture"):  # an imported model: what is known of it
        return str(config["architecture"])
    return " → ".join(_layer_text(layer) for layer in config.get("spec") or []) or "–"


def config_rows(config: Mapping) -> list[dict]:
    """{"setting", "value", "meaning"} for the preset, the network and every setting the config holds."""
    rows = [{"setting": "Preset", "value": preset_title(config.get("preset")),
             "meaning": "The recipe the run started from."},
            {"setting": "Network", "value": network_text(config),
             "meaning": "Its layers, from the image to the 10 class scores."}]
    rows += [{"setting": s.label, "value": value_text(s, config.get(name, DEFAULTS[name])), "meaning": s.help}
             for name, s in SETTINGS.items() if name in config or config.get("preset") != "imported"]
    return rows


def differing(configs: Sequence[Mapping]) -> list[dict]:
    """The settings whose values differ between the configs: {"setting": label, "values": [one text each]}.

    The preset and the network come first when they differ; a config older than a setting had its default.
    """
    rows = []
    for label, texts in (("Preset", [preset_title(c.get("preset")) for c in configs]),
                         ("Network", [network_text(c) for c in configs])):
        if len(set(texts)) > 1:
            rows.append({"setting": label, "values": texts})
    for name, s in SETTINGS.items():
        texts = [value_text(s, c.get(name, DEFAULTS[name])) for c in configs]
        if len(set(texts)) > 1:
            rows.append({"setting": s.label, "values": texts})
    return rows
