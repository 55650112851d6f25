"""Lesson links: a Train page set-up (its preset, the settings changed, edited layers) as a URL query, and back.

A link's query holds ``preset=<key>``; each training setting that differs from
where the page starts for that preset, as ``<setting name>=<value>`` (``all``
for all the images, ``1``/``0`` for on/off); and, only when the layers are not
the preset's, ``layers=<text>``: the list of layer dicts as compact JSON,
zlib-compressed (its checksum catches a link cut short or mistyped), in URL-safe
base64 without padding. A ten-layer network takes about 240 characters.

Reading a link never raises: what it cannot use is left out and said in words,
so a tampered link opens what it can.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import recipes
from .settings import SETTINGS, Setting
from .spec import ACTIVATIONS, LAYER_NAMES, LAYER_TYPES, SpecError, check_layer

SETUP_KEYS = frozenset({"preset", "layers", *SETTINGS})  # the query keys of a lesson link
MAX_LAYERS_TEXT = 4_000  # characters of a ``layers=`` text read at most (a typical one is a few hundred)
MAX_JSON = 64_000        # bytes a ``layers=`` text may inflate to
MAX_LAYERS = 64          # layers in a linked network, at most
MAX_SIZE = 4096          # the largest whole-number layer parameter: the layer editor's bound
ON, OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
WORDS = {"padding": ("same", "valid"), "kind": ("max", "avg"), "activation": ACTIVATIONS, "fn": ACTIVATIONS}


@dataclass
class Opened:
    """What a link holds that the Train page can use, and what it could not use, in words."""
    preset: str                                   # a key of recipes.PRESETS
    settings: dict = field(default_factory=dict)  # setting name -> a valid value, for the settings the link sets
    spec: list[dict] | None = None                # its own layers, or None for the preset's
    ignored: list[str] = field(default_factory=list)  # e.g. 'epochs "abc": not a number'


def setup_query(preset: str, settings: dict, start: dict, spec: list[dict] | None = None) -> dict[str, str]:
    """The query of a link to this set-up: the preset, the settings that differ from ``start`` (the page's
    starting values for the preset), and ``spec`` when it is given (layers edited away from the preset's)."""
    query = {"preset": preset}
    for name, value in settings.items():
        if name in SETTINGS and not same(value, start.get(name)):
            query[name] = value_text(SETTINGS[name], value)
    if spec is not None:
        query["layers"] = encode_layers(spec)
    return query


def read_query(query: Mapping[str, str], fallback: str = recipes.DEFAULT_PRESET) -> Opened:
    """The set-up a link's query holds; ``fallback``: the preset when the link names none, or an unknown one."""
    preset = str(query.get("preset", fallback))
    opened = Opened(preset if preset in recipes.PRESETS else fallback)
    if preset != opened.preset:
        opened.ignored.append(f"the preset \u201c{shown(preset)}\u201d: there is no such preset")
    for name, setting in SETTINGS.items():
        if name in query:
            try:
                opened.settings[name] = read_value(setting, str(query[name]))
            except ValueError as exc:
                opened.ignored.append(f"{setting.label.lower()} \u201c{shown(query[name])}\u201d: {exc}")
    if "layers" in query:
        try:
            opened.spec = decode_layers(str(query["layers"]))
        except SpecError as exc:
            opened.ignored.append(f"its layers: {exc}; these are the preset's")
    return opened


def shown(text, most: int = 24) -> str:
    """A link's text, safe to quote in a message: letters, digits and ``-_+`` only, dots too in a number (so no
    Markdown and no address to click), at most ``most`` characters."""
    text = str(text)
    number = all(c.isdigit() or c in ".eE+-" for c in text)
    safe = "".join(c for c in text if c.isalnum() or c in "-_+ " or (number and c == "."))
    return safe if len(safe) <= most else safe[:most] + "\u2026"


def same(a, b) -> bool:
    """Equal, floats within rounding."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def value_text(setting: Setting, value) -> str:
    """A setting's value as a link writes it: 'all', '1'/'0', '0.0005', 'nesterov'."""
    if value is None:
        return "all"
    if setting.kind is bool:
        return "1" if value else "0"
    if setting.kind is float:
        return repr(float(value)).replace("e+", "e")  # '+' would read back as a space
    return str(value)


def value_words(setting: Setting, value) -> str:
    """A setting's value for people: 'all', 'on', 'SGD with Nesterov momentum', '10,000', '0.002'."""
    if value is None:
        return "all"
    if setting.kind is bool:
        return "on" if value else "off"
    if setting.names:
        return setting.names.get(value, str(value))
    return f"{value:,}" if setting.kind is int else f"{value:g}" if setting.kind is float else str(value)


def read_value(setting: Setting, text: str):
    """A setting's value from its text in a link; ValueError saying, in words, why it is not one."""
    text = text.strip()
    if setting.kind is bool:
        if text.lower() in ON + OFF:
            return text.lower() in ON
        raise ValueError("on is 1, off is 0")
    if setting.optional and text.lower() == "all":
        return None
    if setting.kind is str:
        if text in setting.options:
            return text
        raise ValueError("not one of its choices")
    try:
        number = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if setting.kind is int and not number.is_integer():
        raise ValueError("not a whole number" if math.isfinite(number) else "not a number")
    value = int(number) if setting.kind is int else number
    if problem := setting.problem(value):
        raise ValueError(problem)
    return value


def encode_layers(spec: list[dict]) -> str:
    """A layer list as a short URL-safe text: compact JSON, zlib-compressed, base64url without padding."""
    text = json.dumps([dict(layer) for layer in spec], separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def decode_layers(text: str) -> list[dict]:
    """The layer list of a ``layers=`` text; SpecError saying, in words, why it cannot be used."""
    if len(text) > MAX_LAYERS_TEXT:
        raise SpecError("too long to be a network from this app")
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), MAX_JSON)
        if not inflate.eof:
            raise ValueError("cut short, or too big")
        spec = json.loads(raw)
    except (ValueError, binascii.Error, zlib.error):  # a JSON or Unicode error is a ValueError too
        raise SpecError("they could not be read (the link was cut short or changed)") from None
    check_linked_spec(spec)
    return spec


def check_linked_spec(spec) -> None:
    """SpecError unless ``spec`` is a list of layers the layer editor can show: known types, known parameters
    of the right kinds, each layer valid (spec.check_layer). Whether the network builds is the page's check."""
    if not isinstance(spec, list):
        raise SpecError("they are not a list of layers")
    if len(spec) > MAX_LAYERS:
        raise SpecError(f"{len(spec)} layers, more than the {MAX_LAYERS} a link may hold")
    for i, layer in enumerate(spec):
        if not isinstance(layer, dict) or not isinstance(layer.get("type"), str) or layer["type"] not in LAYER_TYPES:
            raise SpecError(f"layer {i + 1} is not a layer this app knows")
        defaults = {**LAYER_TYPES[layer["type"]][0], "use_bias": True}
        # its keys and values are checked here, so that check_layer's messages quote only known words
        name = f"layer {i + 1} ({LAYER_NAMES[layer['type']]})"
        for key, value in layer.items():
            if key != "type" and key not in defaults:
                raise SpecError(f"{name} has no setting called \u201c{shown(key)}\u201d")
            if key != "type" and not _fits(value, defaults[key], WORDS.get(key)):
                raise SpecError(f"{name}: its {key} cannot be \u201c{shown(value)}\u201d")
        check_layer(i, layer)


def _fits(value, default, words: tuple | None) -> bool:
    """True if ``value`` is of the kind of a layer parameter whose default is ``default``; ``words``: the
    values a text parameter takes."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and 1 <= value <= MAX_SIZE
    if isinstance(default, float):
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, str) and value in (words or ())
